"""Layers point down: utils <- models/datasets/evaluation <- engine <- apis.

Each check runs in a fresh interpreter, so modules imported by other tests
cannot hide an upward import.
"""
import subprocess
import sys

import pytest

# package -> srtoolbox packages it must never load
FORBIDDEN = {
    'srtoolbox.utils': ('srtoolbox.models', 'srtoolbox.datasets',
                        'srtoolbox.evaluation', 'srtoolbox.engine',
                        'srtoolbox.apis'),
    'srtoolbox.models': ('srtoolbox.engine', 'srtoolbox.apis'),
    'srtoolbox.datasets': ('srtoolbox.models', 'srtoolbox.engine',
                           'srtoolbox.apis'),
    'srtoolbox.evaluation': ('srtoolbox.engine', 'srtoolbox.apis'),
    'srtoolbox.engine': ('srtoolbox.apis', ),
}


@pytest.mark.parametrize('package', sorted(FORBIDDEN))
def test_importing_a_layer_loads_nothing_above_it(package):
    code = (f'import sys, {package}\n'
            'print("\\n".join(sorted(m for m in sys.modules '
            'if m.startswith("srtoolbox."))))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True).stdout.split()
    above = [m for m in out
             if any(m == f or m.startswith(f + '.')
                    for f in FORBIDDEN[package])]
    assert not above, f'importing {package} loaded {above}'


def test_registry_lookup_from_a_lower_layer_stays_in_its_layer():
    # building a generator (models) must not pull in engine or apis
    code = ('import sys\n'
            'from srtoolbox.models.builder import build_generator\n'
            "build_generator(dict(type='MSRResNet', num_feat=4, "
            'num_blocks=1))\n'
            'print(" ".join(m for m in sys.modules '
            'if m.startswith(("srtoolbox.apis", "srtoolbox.engine"))))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == []


# ---------------------------------------------------------------- static
# The checks above see what an import loads; these read every import
# statement from the AST (function-level ones included), so a cycle or an
# upward import hidden inside a function is found too.
import ast  # noqa: E402
import os  # noqa: E402
import os.path as osp  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
# lower number = lower layer; a module may import only its layer or below
LAYER = {'version': 0, 'registry': 0, 'utils': 0, 'degradations': 1,
         'evaluation': 1, 'models': 1, 'datasets': 1, 'engine': 2,
         'apis': 3, 'cli': 4}


def _modules():
    found = {}
    for folder, _, files in os.walk(osp.join(ROOT, 'srtoolbox')):
        for name in files:
            if name.endswith('.py'):
                path = osp.join(folder, name)
                mod = osp.relpath(path, ROOT)[:-3].replace(os.sep, '.')
                found[mod[:-len('.__init__')] if mod.endswith('.__init__')
                      else mod] = path
    return found


def _targets(mod, node, modules):
    """The srtoolbox modules one import statement names."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = node.module or ''
        if node.level:
            parts = mod.split('.')
            if not modules[mod].endswith('__init__.py'):
                parts = parts[:-1]
            parts = parts[:len(parts) - node.level + 1]
            base = '.'.join(parts + ([base] if base else []))
        names = [f'{base}.{a.name}' for a in node.names]
    out = set()
    for name in names:
        while name and name not in modules:  # an attribute of a module
            name = name.rpartition('.')[0]
        if name and name != mod:
            out.add(name)
    return out


def import_graph():
    """``{module: {imported module: line}}`` over every import statement."""
    modules = _modules()
    graph = {}
    for mod, path in modules.items():
        with open(path, encoding='utf-8') as f:
            tree = ast.parse(f.read(), path)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _targets(mod, node, modules):
                    graph.setdefault(mod, {})[target] = node.lineno
    return graph


def find_cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in list(graph):
        if v not in index:
            visit(v)
    return cycles


def _layer(mod):
    parts = mod.split('.')
    return LAYER[parts[1]] if len(parts) > 1 else max(LAYER.values()) + 1


def test_no_import_cycle_even_through_function_level_imports():
    graph = import_graph()
    cycles = find_cycles(graph)
    detail = [f'{a} -> {b} (line {graph[a][b]})' for c in cycles
              for a in c for b in graph.get(a, {}) if b in c]
    assert not cycles, 'import cycles:\n' + '\n'.join(detail)


def test_no_upward_import_even_at_function_level():
    graph = import_graph()
    assert set(LAYER) >= {m.split('.')[1] for m in graph if '.' in m}, \
        'a new top-level srtoolbox module needs a layer in LAYER'
    up = [f'{a} -> {b} (line {n})' for a, targets in sorted(graph.items())
          for b, n in targets.items() if _layer(b) > _layer(a)]
    # datasets and models share a layer but datasets never need a network
    up += [f'{a} -> {b}' for a, targets in graph.items() for b in targets
           if a.startswith('srtoolbox.datasets')
           and b.startswith('srtoolbox.models')]
    assert not up, 'upward imports:\n' + '\n'.join(up)


def test_the_static_checks_see_a_hidden_cycle():
    # the checks above are only worth something if they can fail
    graph = {'a': {'b': 1}, 'b': {'c': 2}, 'c': {'a': 3}, 'd': {'a': 4}}
    assert find_cycles(graph) == [['a', 'b', 'c']]
    modules = {'srtoolbox.apis.x': 'x.py', 'srtoolbox.apis.y': 'y.py',
               'srtoolbox.apis': '__init__.py'}
    node = ast.parse('def f():\n    from .y import g\n').body[0].body[0]
    assert _targets('srtoolbox.apis.x', node, modules) == {'srtoolbox.apis.y'}
