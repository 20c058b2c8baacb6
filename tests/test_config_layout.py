"""Each config family reads alone: it inherits from configs/_base_/ only.

A config under configs/<family>/ that inherited another family's config
(RCAN demo <- EDSR demo <- MSRResNet demo) would silently take that family's
recipe; the chain below a family config is at most two levels deep.
"""
import ast
import glob
import os.path as osp

import pytest
import yaml

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
BASE = osp.join(REPO, 'configs', '_base_')
ALL = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.*'),
                                  recursive=True)
             if p.endswith(('.py', '.yaml', '.yml')))
FAMILY = [p for p in ALL if not p.startswith(BASE + osp.sep)]


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


def depth(path):
    return 1 + max((depth(b) for b in bases(path)), default=0)


def test_there_are_family_configs():
    assert len(FAMILY) >= 20


@pytest.mark.parametrize('path', FAMILY,
                         ids=[osp.relpath(p, REPO) for p in FAMILY])
def test_family_config_inherits_only_from_base(path):
    outside = [osp.relpath(b, REPO) for b in bases(path)
               if not b.startswith(BASE + osp.sep)]
    assert not outside, (f'{osp.relpath(path, REPO)} inherits {outside}; '
                         'family configs inherit only from configs/_base_/')
    # the config itself, its _base_ files and at most one more level
    assert depth(path) <= 3, f'{osp.relpath(path, REPO)}: chain too deep'


def test_a_family_chain_would_be_caught(tmp_path):
    family = tmp_path / 'configs' / 'rcan'
    family.mkdir(parents=True)
    cfg = family / 'x.py'
    cfg.write_text("_base_ = ['../edsr/edsr_demo.py']\n")
    assert bases(str(cfg)) == [str(tmp_path / 'configs' / 'edsr' /
                                   'edsr_demo.py')]
