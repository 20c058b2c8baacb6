"""A config shows what it changes (#25).

* A family's main config (``configs/<family>/x.py``) inherits from
  ``configs/_base_/`` only, never from another family.
* A variant (a ``_demo`` beside its recipe, SRResNet beside MSRResNet,
  EDSR-large beside EDSR-baseline) inherits exactly one main config of its
  own family and states only what differs: every key it sets changes the
  merged config, and each carries a comment saying why.
* Two levels of ``_base_`` at most: a chain is three files at most (config,
  parent, grandparent). So a ``configs/_base_/`` file is a leaf that
  inherits nothing, except a recipe in ``configs/_base_/recipes/``, which
  lists leaves only (it may override their keys: mmengine refuses a key in
  two sibling bases); a main config lists leaves, or a recipe when no
  variant inherits it (variant -> main -> recipe -> leaf is four files).
* No block of 6 or more identical lines between two configs: a recipe that
  is needed twice belongs in a main config or in ``configs/_base_/``.
"""
import ast
import glob
import io
import itertools
import os.path as osp
import tokenize

import pytest
import yaml
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(REPO, 'configs')
BASE = osp.join(CONFIGS, '_base_')
MIN_BLOCK = 6
MAX_DEPTH = 3  # config -> parent -> grandparent: two levels of _base_


def family_configs(root=CONFIGS):
    base = osp.join(root, '_base_')
    return sorted(p for p in glob.glob(osp.join(root, '*', '*.*'))
                  if p.endswith(('.py', '.yaml', '.yml'))
                  and not p.startswith(base + osp.sep))


def bases(path):
    """The files a config's ``_base_`` names, as absolute paths."""
    if path.endswith('.py'):
        tree = ast.parse(open(path, encoding='utf-8').read(), path)
        value = None
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == '_base_'
                    for t in node.targets):
                value = ast.literal_eval(node.value)
    else:
        value = (yaml.safe_load(open(path, encoding='utf-8')) or {}).get(
            '_base_')
    if value is None:
        return []
    value = [value] if isinstance(value, str) else list(value)
    return [osp.normpath(osp.join(osp.dirname(path), v)) for v in value]


def chain(path):
    """The longest inheritance chain from ``path``, ``path`` first."""
    return [path] + max((chain(b) for b in bases(path)), key=len,
                        default=[])


def depth(path):
    return len(chain(path))


def in_base(path, root=CONFIGS):
    return path.startswith(osp.join(root, '_base_') + osp.sep)


def is_recipe(path, root=CONFIGS):
    return path.startswith(osp.join(root, '_base_', 'recipes') + osp.sep)


def is_main(path, root=CONFIGS):
    return all(in_base(b, root) for b in bases(path))


def layout_problems(path, root=CONFIGS):
    """What breaks the inheritance rule for one family config."""
    found = bases(path)
    if not is_main(path, root):
        if len(found) != 1:
            return [f'inherits {found}: a variant inherits one main config']
        main = found[0]
        if osp.dirname(main) != osp.dirname(path):
            return [f'inherits {osp.relpath(main, root)}, another family\'s '
                    'config: inherit your family\'s main config or '
                    'configs/_base_/']
        if not is_main(main, root):
            return [f'inherits the variant {osp.relpath(main, root)}: a '
                    'variant inherits its family\'s main config (two levels '
                    'at most)']
    files = chain(path)
    if len(files) > MAX_DEPTH:
        why = ('a main config that has variants lists _base_ leaves only'
               if not is_main(path, root) else
               'a _base_ file is a leaf, or a recipe that lists leaves')
        return [f'{len(files)} files deep ('
                + ' -> '.join(osp.relpath(f, root) for f in files)
                + f'): two levels of _base_ at most ({why})']
    return []


def base_problems(path, root=CONFIGS):
    """What breaks the rule for one ``configs/_base_/`` file: a leaf
    inherits nothing; a recipe (``_base_/recipes/``) lists leaves only."""
    found = bases(path)
    if not is_recipe(path, root):
        if found:
            return [f'inherits {[osp.relpath(b, root) for b in found]}: a '
                    '_base_ file is a leaf that inherits nothing (one that '
                    'composes leaves is a recipe in configs/_base_/recipes/)']
        return []
    return [f'lists {osp.relpath(b, root)}: a recipe lists _base_ leaves '
            'only (two levels of _base_ at most)'
            for b in found
            if not in_base(b, root) or is_recipe(b, root) or bases(b)]


def assignments(path):
    """Top-level ``(name, first line, last line)`` of a Python config."""
    tree = ast.parse(open(path, encoding='utf-8').read(), path)
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id != '_base_':
                    yield target.id, node.lineno, node.end_lineno


def comment_lines(path):
    text = open(path, encoding='utf-8').read()
    return {tok.start[0] for tok in tokenize.generate_tokens(
        io.StringIO(text).readline) if tok.type == tokenize.COMMENT}


def variant_problems(path):
    """Keys a variant sets without changing the merged config, or without
    a comment (on the line above or inside the assignment)."""
    main = bases(path)[0]
    merged, parent = Config.fromfile(path), Config.fromfile(main)
    comments = comment_lines(path)
    out = []
    for name, first, last in assignments(path):
        if name in parent and merged.get(name) == parent[name]:
            out.append(f'{name} restates the main config\'s value')
        if not comments & set(range(first - 1, last + 1)):
            out.append(f'{name} (line {first}) has no comment saying why '
                       'the variant changes it')
    return out


def _code_lines(path):
    """(line number, text) of the lines that carry code: no blank lines,
    comments, lone brackets or ``_base_`` lists (a config's imports)."""
    skip = set()
    for node in ast.parse(open(path, encoding='utf-8').read()).body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == '_base_'
                for t in node.targets):
            skip.update(range(node.lineno, node.end_lineno + 1))
    out = []
    for number, line in enumerate(open(path, encoding='utf-8'), 1):
        if number in skip:
            continue
        text = ' '.join(line.split('#')[0].split())
        if text and text.strip('()[]{},:') and not text.startswith('#'):
            out.append((number, text))
    return out


def shared_blocks(path_a, path_b, size=MIN_BLOCK):
    """Starting lines of runs of ``size`` identical code lines."""
    a, b = _code_lines(path_a), _code_lines(path_b)
    windows = {}
    for i in range(len(a) - size + 1):
        windows.setdefault(tuple(t for _, t in a[i:i + size]), a[i][0])
    return [(windows[key], b[j][0])
            for j in range(len(b) - size + 1)
            if (key := tuple(t for _, t in b[j:j + size])) in windows]


FAMILY = family_configs()
IDS = [osp.relpath(p, REPO) for p in FAMILY]
VARIANTS = [p for p in FAMILY if not is_main(p) and p.endswith('.py')]
BASES = sorted(p for p in glob.glob(osp.join(BASE, '**', '*.*'),
                                    recursive=True)
               if p.endswith(('.py', '.yaml', '.yml')))
PY = [p for p in FAMILY + BASES if p.endswith('.py')]


def test_there_are_family_configs_and_variants():
    assert len(FAMILY) >= 20 and len(VARIANTS) >= 2
    assert any(is_recipe(p) for p in BASES)


@pytest.mark.parametrize('path', FAMILY, ids=IDS)
def test_main_or_variant_of_its_family(path):
    problems = layout_problems(path)
    assert not problems, f'{osp.relpath(path, REPO)}: {problems}'
    assert depth(path) <= MAX_DEPTH, (
        f'{osp.relpath(path, REPO)}: {depth(path)} files deep: two levels '
        'of _base_ at most')


@pytest.mark.parametrize('path', BASES,
                         ids=[osp.relpath(p, REPO) for p in BASES])
def test_base_file_is_a_leaf_or_a_recipe_of_leaves(path):
    problems = base_problems(path)
    assert not problems, f'{osp.relpath(path, REPO)}: {problems}'


@pytest.mark.parametrize('path', VARIANTS,
                         ids=[osp.relpath(p, REPO) for p in VARIANTS])
def test_a_variant_states_only_what_differs_and_why(path):
    problems = variant_problems(path)
    assert not problems, f'{osp.relpath(path, REPO)}: {problems}'


def test_no_block_of_identical_lines_between_configs():
    found = []
    for a, b in itertools.combinations(PY, 2):
        if in_base(a) and in_base(b):
            continue  # the _base_ data files: not variants of each other
        for line_a, line_b in shared_blocks(a, b):
            found.append(f'{osp.relpath(a, REPO)}:{line_a} = '
                         f'{osp.relpath(b, REPO)}:{line_b}')
    assert not found, (f'{MIN_BLOCK}+ identical lines (move them into the '
                       'main config or configs/_base_/):\n'
                       + '\n'.join(found[:20]))


def test_the_rules_catch_what_they_forbid(tmp_path):
    root = tmp_path / 'configs'
    for d in ('_base_', 'edsr', 'rcan'):
        (root / d).mkdir(parents=True)
    (root / '_base_' / 'run.py').write_text('a = 1\nb = dict(x=1)\n')
    (root / 'edsr' / 'main.py').write_text(
        "_base_ = ['../_base_/run.py']\nb = dict(x=2)\n")
    (root / 'edsr' / 'good.py').write_text(
        "_base_ = ['./main.py']\n# a larger x for the large model\n"
        'b = dict(x=3)\n')
    (root / 'edsr' / 'chain.py').write_text("_base_ = ['./good.py']\n")
    (root / 'rcan' / 'cross.py').write_text("_base_ = ['../edsr/main.py']\n")
    (root / 'edsr' / 'restates.py').write_text(
        "_base_ = ['./main.py']\nb = dict(x=2)\n")
    r = str(root)
    assert layout_problems(str(root / 'edsr' / 'good.py'), r) == []
    assert 'another family' in layout_problems(
        str(root / 'rcan' / 'cross.py'), r)[0]
    assert 'variant' in layout_problems(str(root / 'edsr' / 'chain.py'),
                                        r)[0]
    assert variant_problems(str(root / 'edsr' / 'good.py')) == []
    problems = variant_problems(str(root / 'edsr' / 'restates.py'))
    assert any('restates' in p for p in problems)
    assert any('no comment' in p for p in problems)
    # two levels of _base_ at most: a recipe of leaves is fine, and so is a
    # main config that lists it; a variant of that main is four files deep
    (root / '_base_' / 'recipes').mkdir()
    (root / '_base_' / 'recipes' / 'rec.py').write_text(
        "_base_ = ['../run.py']\nb = dict(x=4)\n")
    (root / 'rcan' / 'main.py').write_text(
        "_base_ = ['../_base_/recipes/rec.py']\n")
    (root / 'rcan' / 'deep.py').write_text(
        "_base_ = ['./main.py']\n# a larger x\nb = dict(x=5)\n")
    assert base_problems(str(root / '_base_' / 'recipes' / 'rec.py'), r) == []
    assert layout_problems(str(root / 'rcan' / 'main.py'), r) == []
    assert depth(str(root / 'rcan' / 'deep.py')) == 4
    assert 'two levels of _base_' in layout_problems(
        str(root / 'rcan' / 'deep.py'), r)[0]
    # a _base_ leaf that inherits (Python or YAML), and a recipe that lists
    # a file which is not a leaf
    assert base_problems(str(root / '_base_' / 'run.py'), r) == []
    (root / '_base_' / 'inherits.py').write_text("_base_ = ['./run.py']\n")
    (root / '_base_' / 'inherits.yaml').write_text('_base_: ./run.py\n')
    for name in ('inherits.py', 'inherits.yaml'):
        assert 'inherits nothing' in base_problems(
            str(root / '_base_' / name), r)[0]
    (root / '_base_' / 'recipes' / 'nested.py').write_text(
        "_base_ = ['../inherits.py', './rec.py', '../../edsr/main.py']\n")
    problems = base_problems(str(root / '_base_' / 'recipes' / 'nested.py'),
                             r)
    assert len(problems) == 3 and all('leaves only' in p for p in problems)
    block = ''.join(f'k{i} = dict(v={i})\n' for i in range(MIN_BLOCK))
    (root / 'edsr' / 'x.py').write_text('# x\n' + block)
    (root / 'rcan' / 'y.py').write_text('z = 0\n\n' + block.replace(
        '\n', '\n\n', 2))
    assert shared_blocks(str(root / 'edsr' / 'x.py'),
                         str(root / 'rcan' / 'y.py')) == [(2, 3)]
    (root / 'rcan' / 'y.py').write_text(block.replace('v=3', 'v=9'))
    assert shared_blocks(str(root / 'edsr' / 'x.py'),
                         str(root / 'rcan' / 'y.py')) == []
