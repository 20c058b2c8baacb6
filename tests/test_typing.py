"""Every public constructor and function of the packages a config author
and a library user read carries type hints (#25); ``python -m mypy`` (run
by .ci/run, packages in mypy.ini) checks them."""
import ast
import configparser
import os
import os.path as osp

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
# the `model` branch rewrites this file (issue #25); remove when merged
PENDING: set = set()


def typed_packages():
    cfg = configparser.ConfigParser()
    cfg.read(osp.join(REPO, 'mypy.ini'))
    return [p.strip() for p in cfg['mypy']['files'].split(',') if p.strip()]


def unannotated(path, rel):
    tree = ast.parse(open(path, encoding='utf-8').read(), path)
    found = []

    def visit(body, owner=''):
        for node in body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith(
                    '_'):
                visit(node.body, node.name + '.')
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.name.startswith('_') and node.name != '__init__':
                    continue
                a = node.args
                args = [x for x in a.posonlyargs + a.args + a.kwonlyargs
                        if x.arg not in ('self', 'cls')]
                args += [x for x in (a.vararg, a.kwarg) if x is not None]
                if any(x.annotation is None for x in args) or (
                        node.returns is None and node.name != '__init__'):
                    found.append(f'{rel}:{node.lineno} {owner}{node.name}')
    visit(tree.body)
    return found


def test_public_functions_are_annotated():
    packages = typed_packages()
    assert {'srtoolbox/apis', 'srtoolbox/datasets', 'srtoolbox/degradations',
            'srtoolbox/evaluation', 'srtoolbox/models'} <= set(packages)
    missing = []
    for package in packages:
        for folder, _, files in os.walk(osp.join(REPO, package)):
            for name in sorted(files):
                if name.endswith('.py'):
                    path = osp.join(folder, name)
                    rel = osp.relpath(path, REPO).replace(os.sep, '/')
                    if rel not in PENDING:
                        missing += unannotated(path, rel)
    assert not missing, 'public functions without type hints:\n' + \
        '\n'.join(missing)


def test_the_check_sees_a_missing_hint(tmp_path):
    path = tmp_path / 'm.py'
    path.write_text('def f(a: int, b) -> int:\n    return a\n\n'
                    'def g(a: int) -> int:\n    return a\n\n'
                    'class C:\n    def __init__(self, x):\n        pass\n\n'
                    'def _private(a):\n    pass\n')
    assert unannotated(str(path), 'm.py') == ['m.py:1 f', 'm.py:8 C.__init__']
