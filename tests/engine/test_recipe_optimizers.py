"""#21.2: optimizers of schedulefree / pytorch-optimizer by name, and the
load-time errors of #21 (unknown optimizer, schedule-free + LR schedule,
batch augmentation probabilities)."""
import os.path as osp

import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

from srtoolbox.engine.config_checks import ConfigError
from srtoolbox.engine.launch import load_config
from srtoolbox.engine.optimizers import PACKAGE_OPTIMIZERS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MODERN = osp.join(REPO, 'configs', 'modern', 'span_x4_demo.py')
MSR_DEMO = osp.join(REPO, 'configs', 'srresnet', 'msrresnet_x4_demo.py')


def _child(tmp_path, text, base=MODERN):
    path = tmp_path / 'child.py'
    path.write_text(f'_base_ = [{base!r}]\n' + text)
    return str(path)


@pytest.mark.parametrize('name', ['AdamWScheduleFree', 'Adan', 'SOAP',
                                  'ADOPT', 'Lion'])
def test_config_names_build_the_package_class_and_step(name):
    import importlib
    module, cls_name = PACKAGE_OPTIMIZERS[name]
    expected = getattr(importlib.import_module(module), cls_name)
    torch.manual_seed(0)
    net = torch.nn.Conv2d(3, 4, 3)
    with DefaultScope.overwrite_default_scope('srtoolbox'):
        wrapper = build_optim_wrapper(net, dict(
            type='OptimWrapper', optimizer=dict(type=name, lr=1e-2)))
    opt = wrapper.optimizer
    assert type(opt) is expected
    if hasattr(opt, 'train'):
        opt.train()  # schedule-free: steps need train mode
    before = net.weight.detach().clone()
    for _ in range(2):  # SOAP's first step only sets up its preconditioner
        wrapper.zero_grad()
        net(torch.rand(2, 3, 8, 8)).square().mean().backward()
        wrapper.step()
    assert not torch.equal(before, net.weight)


def test_unknown_optimizer_lists_registered_and_closest(tmp_path):
    path = _child(tmp_path, "optim_wrapper = dict(optimizer=dict("
                  "_delete_=True, type='Addan', lr=1e-3))\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    msg = str(err.value)
    assert 'child.py' in msg and "'Addan' is not registered" in msg
    assert "Did you mean 'Adan'?" in msg
    assert 'AdamWScheduleFree' in msg and 'SGD' in msg  # the list


def test_schedule_free_with_an_lr_schedule_is_refused(tmp_path):
    path = _child(tmp_path, "param_scheduler = [dict(type='CosineAnnealingLR'"
                  ", by_epoch=False, T_max=20000, eta_min=1e-6)]\n")
    with pytest.raises(ConfigError, match=r"schedule-free.*param_scheduler"
                       r"\[0\] \(CosineAnnealingLR\)"):
        load_config(path)
    # without it (the demo as committed) the config loads
    assert load_config(MODERN).optim_wrapper.optimizer.type == \
        'AdamWScheduleFree'


def test_plain_adam_keeps_its_schedule(tmp_path):
    assert load_config(MSR_DEMO).param_scheduler[0].type == \
        'CosineAnnealingLR'


@pytest.mark.parametrize('prob', [1.5, -0.1])
def test_augmentation_probability_outside_0_1(tmp_path, prob):
    path = _child(tmp_path, "model = dict(data_preprocessor=dict("
                  f"batch_augments=[dict(type='CutMix', prob={prob})]))\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert (f'model.data_preprocessor.batch_augments[0].prob = {prob} '
            '(CutMix) is outside [0, 1]') in str(err.value)
    assert 'child.py' in str(err.value)


def test_augmentation_probabilities_adding_over_1(tmp_path):
    path = _child(tmp_path, "model = dict(data_preprocessor=dict("
                  "batch_augments=[dict(type='CutMix', prob=0.6), "
                  "dict(type='MixUp', prob=0.5)]))\n")
    with pytest.raises(ConfigError, match='add up to 1.1 > 1'):
        load_config(path)


def test_unknown_augmentation_names_the_closest(tmp_path):
    path = _child(tmp_path, "model = dict(data_preprocessor=dict("
                  "batch_augments=[dict(type='CutMixx', prob=0.1)]))\n")
    with pytest.raises(ConfigError, match="Did you mean 'CutMix'"):
        load_config(path)
