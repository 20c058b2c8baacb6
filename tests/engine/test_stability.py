"""A NaN loss stops (or skips) training; torch.compile; loss scaling."""
import pytest
import torch
from mmengine.logging import MessageHub
from torch import nn

from srtoolbox.engine.nonfinite import NonFiniteLossError
from srtoolbox.registry import LOSSES

from .tiny_run import tiny_config, train_in_process


@LOSSES.register_module(force=True)
class NaNAtIterationLoss(nn.Module):
    """L1, but NaN at 0-based iteration ``iteration`` (a diverged step)."""

    def __init__(self, iteration):
        super().__init__()
        self.iteration = iteration

    def forward(self, pred, target):
        loss = (pred - target).abs().mean()
        if MessageHub.get_current_instance().get_info('iter') == \
                self.iteration:
            loss = loss * float('nan')
        return loss


def _nan_config(tiny_data, path, nonfinite, interval=None, **overrides):
    return tiny_config(
        tiny_data, path,
        model="dict(type='SRModel', generator=dict(type='MSRResNet', "
              "upscale=4, num_feat=8, num_blocks=1), pixel_loss=dict("
              "type='NaNAtIterationLoss', iteration=2))",
        train_cfg='dict(max_iters=4, val_interval=100)', val_cfg='None',
        val_dataloader='None', val_evaluator='None',
        default_hooks='dict(checkpoint=dict(interval=100, save_best=None), '
                      f'nonfinite=dict(action={nonfinite!r}, '
                      f'interval={interval}))', **overrides)


def test_nan_loss_stops_training_naming_loss_and_iteration(tiny_data,
                                                           tmp_path):
    cfg = _nan_config(tiny_data, tmp_path / 'cfg.py', 'raise')
    with pytest.raises(NonFiniteLossError,
                       match=r'iteration 3: .*loss_pix=nan'):
        train_in_process(cfg, tmp_path / 'work')


def test_nan_loss_skip_skips_that_step_and_goes_on(tiny_data, tmp_path):
    cfg = _nan_config(tiny_data, tmp_path / 'cfg.py', 'skip')
    runner, state = train_in_process(cfg, tmp_path / 'work')
    assert runner.iter == 4
    assert all(torch.isfinite(v).all() for v in state.values())
    skipped = runner.message_hub.get_scalar('train/skipped_steps')
    assert len(skipped.data[0]) == 1  # the NaN step, and only it


def test_compile_switch_compiles_networks_in_place(tiny_data, tmp_path):
    cfg = tiny_config(tiny_data, tmp_path / 'cfg.py',
                      compile="dict(backend='eager')",
                      train_cfg='dict(max_iters=2, val_interval=2)')
    runner, state = train_in_process(cfg, tmp_path / 'work')
    generator = runner.model.generator
    assert getattr(generator, '_compiled_call_impl', None) is not None
    assert runner.cfg.compile is None  # not mmengine's train_step compile
    assert 'generator.conv_first.weight' in state  # keys unchanged


def test_grad_scaler_state_survives_resume():
    from srtoolbox.engine.optim_wrapper import AutocastOptimWrapper

    def step(wrapper, net):
        with wrapper.optim_context(net):
            loss = net(torch.rand(2, 3, 8, 8)).float().mean()
        wrapper.update_params(loss)

    nets = [nn.Conv2d(3, 3, 3) for _ in range(2)]
    wrappers = [AutocastOptimWrapper(dtype='float16', optimizer=torch.optim
                                     .SGD(n.parameters(), lr=0.1))
                for n in nets]
    step(wrappers[0], nets[0])
    saved = wrappers[0].state_dict()
    assert 'grad_scaler' in saved
    wrappers[1].load_state_dict(saved)
    step(wrappers[1], nets[1])
    assert wrappers[1].state_dict()['grad_scaler']['_growth_tracker'] == 2
