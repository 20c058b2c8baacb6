"""Layers point down: utils <- models/datasets/evaluation <- engine <- apis;
no import cycle, and no srtoolbox module imported inside a function.

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


def _from_base(mod, node, modules):
    """The absolute module a ``from ... import`` statement reads."""
    base = node.module or ''
    if node.level:
        parts = mod.split('.')
        if not modules[mod].endswith('__init__.py'):
            parts = parts[:-1]
        parts = parts[:len(parts) - node.level + 1]
        base = '.'.join(parts + ([base] if base else []))
    return base


def _targets(mod, node, modules):
    """The srtoolbox modules one import statement names."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = _from_base(mod, node, modules)
        names = [f'{base}.{a.name}' for a in node.names]
    out = set()
    for name in names:
        while name and name not in modules:  # an attribute of a module
            name = name.rpartition('.')[0]
        if name and name != mod:
            out.add(name)
    return out


def _packages_run(mod, target, modules):
    """The packages whose ``__init__`` importing ``target`` runs, those
    around ``mod`` itself excepted (already running when ``mod`` is)."""
    parts = target.split('.')
    return [p for p in ('.'.join(parts[:i]) for i in range(2, len(parts)))
            if p in modules and p != mod and not mod.startswith(p + '.')]


def import_graph():
    """``{module: {imported module: line}}`` over every import statement,
    with an edge to each package ``__init__`` such an import runs."""
    modules = _modules()
    graph = {}
    for mod, path in modules.items():
        with open(path, encoding='utf-8') as f:
            tree = ast.parse(f.read(), path)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _targets(mod, node, modules):
                    edges = graph.setdefault(mod, {})
                    edges[target] = node.lineno
                    for package in _packages_run(mod, target, modules):
                        edges.setdefault(package, node.lineno)
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
    # importing a module runs the __init__ of each package around it
    modules.update({'srtoolbox.utils': 'u/__init__.py',
                    'srtoolbox.utils.io': 'u/io.py'})
    assert _packages_run('srtoolbox.apis.x', 'srtoolbox.utils.io',
                         modules) == ['srtoolbox.utils']
    assert _packages_run('srtoolbox.apis.x', 'srtoolbox.apis.y',
                         modules) == []


# ------------------------------------------------- function-level imports
# Only an optional (or slow, or platform-specific) third-party module may be
# imported inside a function or method, with a comment on its line or the
# line above saying why. srtoolbox's own modules are imported at the top,
# where the checks above and a reader see them: a function-level import that
# would go up a layer or close a cycle means the code is in the wrong module.
import io  # noqa: E402
import re  # noqa: E402
import tokenize  # noqa: E402

# lint markers say nothing about why an import is lazy
_MARKERS = re.compile(r'noqa(:\s*[A-Z]+\d+(\s*,\s*[A-Z]+\d+)*)?|'
                      r'type:\s*ignore(\[[^\]]*\])?|pragma:\s*no cover',
                      re.IGNORECASE)


def _comments(source):
    """``({line: reason}, lines holding only a comment)``; a reason is a
    comment's text without lint markers, '' when nothing else is left."""
    reasons, alone = {}, set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            line = tok.start[0]
            text = _MARKERS.sub('', tok.string.lstrip('#'))
            reasons[line] = text if any(c.isalnum() for c in text) else ''
            if tok.line.lstrip().startswith('#'):
                alone.add(line)
    return reasons, alone


def function_level_imports(mod, source, modules):
    """``(line, module, is_srtoolbox, has_reason)`` of every import
    statement inside a function or method (nested ones included) of the
    module ``mod`` whose text is ``source``."""
    reasons, alone = _comments(source)
    seen, found = set(), []
    for fn in ast.walk(ast.parse(source)):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(fn):
            if not isinstance(node, (ast.Import, ast.ImportFrom)) \
                    or id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                names = [_from_base(mod, node, modules)]
            names = sorted(_targets(mod, node, modules)) or names
            ours = bool(getattr(node, 'level', 0)) or any(
                n == 'srtoolbox' or n.startswith('srtoolbox.') for n in names)
            above = node.lineno - 1
            reason = any(reasons.get(n) for n in
                         range(node.lineno, node.end_lineno + 1)) or \
                (above in alone and bool(reasons.get(above)))
            found.append((node.lineno, ', '.join(names), ours, reason))
    return sorted(found)


def lazy_import_offences():
    """``(srtoolbox modules imported in a function, other function-level
    imports without a reason)``, each as ``'path:line module'`` (one of
    srtoolbox's is an offence with or without a comment)."""
    modules = _modules()
    ours, unexplained = [], []
    for mod, path in sorted(modules.items()):
        with open(path, encoding='utf-8') as f:
            source = f.read()
        rel = osp.relpath(path, ROOT).replace(os.sep, '/')
        for line, name, is_ours, reason in function_level_imports(
                mod, source, modules):
            if is_ours:
                ours.append(f'{rel}:{line} {name}')
            elif not reason:
                unexplained.append(f'{rel}:{line} {name}')
    return ours, unexplained


def test_no_hidden_import_and_every_lazy_one_says_why():
    ours, unexplained = lazy_import_offences()
    message = ''
    if ours:
        message += ('srtoolbox modules imported inside a function (import '
                    'them at the top of the module; if that makes a cycle '
                    'or an upward import, move the code instead):\n  ' +
                    '\n  '.join(ours) + '\n')
    if unexplained:
        message += ('function-level imports without a comment on their line '
                    'or the line above saying why they are lazy (only an '
                    'optional, slow or platform-specific package may be):'
                    '\n  ' + '\n  '.join(unexplained))
    assert not message, message


def test_the_lazy_import_check_sees_a_hidden_import():
    # the check above is only worth something if it can fail
    modules = {'srtoolbox.apis': 'apis/__init__.py',
               'srtoolbox.apis.x': 'apis/x.py',
               'srtoolbox.utils': 'utils/__init__.py'}
    source = ('import os\n'                               # 1: top level
              'def f():\n'
              '    from ..utils import imwrite\n'         # 3: ours
              '    import json\n'                         # 4: no reason
              '    # optional: the plot extra\n'
              '    import matplotlib\n'                   # 6: fine
              '    import lpips  # noqa: F401\n'          # 7: a marker only
              'class A:\n'
              '    def m(self):\n'
              '        def inner():\n'
              '            import srtoolbox.utils  # registration\n'  # 11
              '            from PIL import (\n'
              '                Image)  # optional: else OpenCV\n'     # 12
              '        return os, inner\n')
    found = function_level_imports('srtoolbox.apis.x', source, modules)
    assert [(line, name) for line, name, ours, _ in found if ours] == \
        [(3, 'srtoolbox.utils'), (11, 'srtoolbox.utils')]
    assert [line for line, _, _, reason in found if not reason] == [3, 4, 7]
    assert (12, 'PIL', False, True) in found


MAX_LINES = 400  # a module a reader can hold in their head (#25)


def test_no_module_over_max_lines():
    long = []
    for folder, _, files in os.walk(osp.join(ROOT, 'srtoolbox')):
        for name in files:
            if name.endswith('.py'):
                path = osp.join(folder, name)
                with open(path, encoding='utf-8') as f:
                    count = sum(1 for _ in f)
                if count > MAX_LINES:
                    long.append(f'{osp.relpath(path, ROOT)}: {count} lines')
    assert not long, (f'over {MAX_LINES} lines (split by job):\n'
                      + '\n'.join(long))
