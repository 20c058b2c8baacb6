"""docs/losses_and_discriminators.md: every config fragment names a
registered module with arguments its constructor takes."""
import inspect
import os.path as osp
import re

import pytest

import srtoolbox.engine  # noqa: F401 (registers the hooks)
import srtoolbox.evaluation  # noqa: F401 (registers the metrics)
import srtoolbox.models  # noqa: F401 (registers losses, discriminators)
from srtoolbox.registry import DISCRIMINATORS, HOOKS, LOSSES, METRICS

DOC = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'docs',
               'losses_and_discriminators.md')


def _fragments():
    text = open(DOC, encoding='utf-8').read()
    return re.findall(r'```python\n(.*?)```', text, re.S)


def _configs(value):
    if isinstance(value, dict):
        if 'type' in value:
            yield value
        for v in value.values():
            yield from _configs(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _configs(v)


def _registry(name):
    for registry in (LOSSES, DISCRIMINATORS, METRICS):
        cls = registry.module_dict.get(name)
        if cls is not None:
            return cls
    return None


@pytest.mark.parametrize('code', _fragments())
def test_fragment_names_registered_modules(code):
    namespace = {}
    exec(code, {}, namespace)  # plain dicts and lists
    configs = list(_configs(namespace))
    assert configs or 'default_hooks' in namespace
    for cfg in configs:
        cls = _registry(cfg['type'])
        assert cls is not None, f"{cfg['type']} is not registered"
        args = {k: v for k, v in cfg.items() if k != 'type'}
        inspect.signature(cls).bind(**args)
    hook = namespace.get('default_hooks', {}).get('checkpoint')
    if hook:
        built = HOOKS.build(dict(type='ResumableCheckpointHook', interval=1,
                                 **hook))
        assert built.rules  # the rules were inferred


def test_every_new_module_is_documented():
    text = '\n'.join(_fragments())
    for name in ('CharbonnierLoss', 'SSIMLoss', 'MSSSIMLoss', 'MSSSIML1Loss',
                 'FocalFrequencyLoss', 'LDLLoss', 'DISTSLoss', 'ColorLoss',
                 'LumaLoss', 'PatchGANDiscriminatorSN', "type='DISTS'"):
        assert name in text
