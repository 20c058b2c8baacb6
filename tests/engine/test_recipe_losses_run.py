"""The current-recipe losses train together in a tiny real run, each
logged by name; a loss whose weights file is missing, or whose input_range
disagrees with gt_range, stops the run when the model is built, before
iteration 1."""
import glob
import math

import pytest
import torch

from .tiny_run import tiny_config, train_in_process

LOSSES = ("dict(charb=dict(type='CharbonnierLoss'), "
          "ssim=dict(type='SSIMLoss', win_size=7, loss_weight=0.5), "
          "ffl=dict(type='FocalFrequencyLoss', loss_weight=0.1), "
          "color=dict(type='ColorLoss', loss_weight=0.5), "
          "luma=dict(type='LumaLoss', criterion='charbonnier'), "
          "ldl=dict(type='LDLLoss'))")


def _config(tiny_data, path, losses, gt_range='(0, 1)'):
    return tiny_config(
        tiny_data, path,
        model="dict(type='SRModel', generator=dict(type='MSRResNet', "
              'upscale=4, num_feat=8, num_blocks=1), pixel_loss=None, '
              f'losses={losses}, data_preprocessor=dict('
              f"type='SRDataPreprocessor', gt_range={gt_range}))",
        train_cfg='dict(max_iters=2, val_interval=100)', val_cfg='None',
        param_scheduler='[]', val_dataloader='None', val_evaluator='None',
        default_hooks='dict(checkpoint=dict(interval=100, save_best=None))')


def test_new_losses_train_together(tiny_data, tmp_path, one_thread):
    runner, state = train_in_process(
        _config(tiny_data, tmp_path / 'cfg.py', LOSSES), tmp_path / 'work')
    hub = runner.message_hub
    names = ('charb', 'ssim', 'ffl', 'color', 'luma', 'ldl')
    values = {n: hub.get_scalar(f'train/loss_{n}').data[0] for n in names}
    assert all(len(v) == 2 and all(math.isfinite(x) and x >= 0 for x in v)
               for v in values.values())
    total = hub.get_scalar('train/loss').data[0]
    assert total == pytest.approx(
        [sum(values[n][i] for n in names) for i in range(2)], rel=1e-4)
    assert any(not torch.equal(state[k], runner.initial_state[k])
               for k in state if k.startswith('generator.'))


def test_missing_weights_or_range_stop_before_iteration_1(
        tiny_data, tmp_path, monkeypatch, one_thread):
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path / 'hub'))
    cfg = _config(tiny_data, tmp_path / 'cfg.py',
                  "dict(dists=dict(type='DISTSLoss'))")
    with pytest.raises(FileNotFoundError, match=r'DISTS needs the ImageNet '
                       r'vgg16 weights vgg16-397923af.pth'):
        train_in_process(cfg, tmp_path / 'work')
    cfg = _config(tiny_data, tmp_path / 'cfg2.py',
                  "dict(color=dict(type='ColorLoss'))", gt_range='(-1, 1)')
    with pytest.raises(ValueError, match=r'model.losses.color.input_range is '
                       r'\(0.0, 1.0\)'):
        train_in_process(cfg, tmp_path / 'work2')
    assert not glob.glob(str(tmp_path / 'work*' / '*.pth'))
