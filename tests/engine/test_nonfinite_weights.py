"""Non-finite or exploded weights never pass silently (#17.2): loaders and
converters refuse them, the checkpoint hook does not write them, a
non-finite stop names the last checkpoint from before it, and 'skip' stops
after max_consecutive_skips."""
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub
from torch import nn

from srtoolbox.apis.convert import convert_checkpoint
from srtoolbox.apis.interpolation import interpolate_checkpoints
from srtoolbox.models.generators import MSRResNet
from srtoolbox.engine.nonfinite import NonFiniteLossError
from srtoolbox.models.weights import read_generator_weights
from srtoolbox.models.weights.loading import (NonFiniteWeightsError,
                                              load_generator_weights)
from srtoolbox.registry import LOSSES

from .test_stability import NaNAtIterationLoss  # noqa: F401 (registers)
from .tiny_run import REPO, tiny_config, train_in_process

TINY = dict(upscale=4, num_feat=8, num_blocks=1)


@LOSSES.register_module(force=True)
class NaNGradientAtIterationLoss(nn.Module):
    """L1 with a finite value but NaN gradients at 0-based ``iteration``
    (d sqrt(u)/du is infinite at 0, times 0)."""

    def __init__(self, iteration):
        super().__init__()
        self.iteration = iteration

    def forward(self, pred, target):
        loss = (pred - target).abs().mean()
        if MessageHub.get_current_instance().get_info('iter') == \
                self.iteration:
            loss = loss + 0 * torch.sqrt(pred * 0).sum()
        return loss


def _config(tiny_data, path, loss="dict(type='L1Loss')", lr=2e-3,
            nonfinite='raise', extra='', max_iters=6, val=False):
    val_keys = {} if val else dict(
        val_cfg='None', val_dataloader='None', val_evaluator='None')
    return tiny_config(
        tiny_data, path,
        model="dict(type='SRModel', generator=dict(type='MSRResNet', "
              f'upscale=4, num_feat=8, num_blocks=1), pixel_loss={loss})',
        optim_wrapper="dict(type='OptimWrapper', optimizer=dict("
                      f"type='Adam', lr={lr}))",
        param_scheduler='[]',
        train_cfg=f'dict(max_iters={max_iters}, val_interval=1)',
        default_hooks='dict(logger=dict(interval=1), checkpoint=dict('
                      'interval=1, max_keep_ckpts=10, '
                      f"save_best={'auto' if val else None!r}), "
                      f'nonfinite=dict(action={nonfinite!r}{extra}))',
        **val_keys)


def _pth(work):
    return sorted(p for p in os.listdir(work) if p.endswith('.pth'))


def test_stop_names_the_last_checkpoint_before_the_nonfinite_loss(
        tiny_data, tmp_path, one_thread):
    cfg = _config(tiny_data, tmp_path / 'cfg.py',
                  loss="dict(type='NaNAtIterationLoss', iteration=3)")
    with pytest.raises(NonFiniteLossError) as info:
        train_in_process(cfg, tmp_path / 'work')
    text = str(info.value)
    assert 'iteration 4' in text
    assert f"{tmp_path / 'work' / 'iter_2.pth'} (iteration 2)" in text
    assert f"{tmp_path / 'work' / 'iter_3.pth'} hold(s) the weights" in text


def test_exploding_lr_with_skip_stops_and_writes_no_suspect_checkpoint(
        tiny_data, tmp_path, one_thread):
    """lr=1e6: iteration 1 explodes the weights, every later loss is NaN.
    'skip' used to skip every remaining step, exit 0 and save a best
    checkpoint; now nothing is written after the explosion and the run
    stops after max_consecutive_skips."""
    cfg = _config(tiny_data, tmp_path / 'cfg.py', lr=1e6, nonfinite='skip',
                  extra=', max_consecutive_skips=3', max_iters=8, val=True)
    work = tmp_path / 'work'
    with pytest.raises(NonFiniteLossError,
                       match=r'3 consecutive iterations .*since iteration '
                             r'2.*nonfinite.max_consecutive_skips=3.*No checkpoint '
                             r'from before iteration 2'):
        train_in_process(cfg, work)
    files = _pth(work)
    assert 'iter_1.pth' in files
    assert not [f for f in files if f.startswith('iter_')
                and f != 'iter_1.pth']
    assert not [f for f in files if f.startswith('best') and 'iter_1' not in f]


def test_checkpoint_hook_refuses_nonfinite_weights(tiny_data, tmp_path,
                                                   one_thread):
    cfg = _config(tiny_data, tmp_path / 'cfg.py',
                  loss="dict(type='NaNGradientAtIterationLoss', "
                       'iteration=1)')
    with pytest.raises(NonFiniteWeightsError,
                       match=r'not writing iter_2.pth: generator\.\S+ has '
                             r'\d+ of \d+ values NaN or Inf'):
        train_in_process(cfg, tmp_path / 'work')
    assert _pth(tmp_path / 'work') == ['iter_1.pth']


def _nan_checkpoints(tmp_path):
    torch.manual_seed(0)
    good = MSRResNet(**TINY).state_dict()
    bad = {k: v.clone() for k, v in good.items()}
    bad['body.0.conv1.weight'][0, 0, 0, 0] = float('nan')
    paths = {}
    for name, sd in (('good', good), ('bad', bad)):
        paths[name] = tmp_path / f'{name}.pth'
        torch.save({'state_dict': {f'generator.{k}': v
                                   for k, v in sd.items()}, 'meta': {}},
                   paths[name])
    paths['basicsr'] = tmp_path / 'basicsr.pth'
    torch.save({'params': bad}, paths['basicsr'])
    return paths, bad


def test_loaders_and_converters_refuse_nonfinite_weights(tmp_path):
    paths, bad = _nan_checkpoints(tmp_path)
    match = r'body\.0\.conv1\.weight has 1 of 576 values NaN or Inf'
    with pytest.raises(NonFiniteWeightsError, match=match):
        read_generator_weights(paths['bad'])
    with pytest.raises(NonFiniteWeightsError, match=match):
        load_generator_weights(MSRResNet(**TINY), bad)
    out = tmp_path / 'converted.pth'
    with pytest.raises(NonFiniteWeightsError, match=match):
        convert_checkpoint(paths['basicsr'], out, 'basicsr')
    assert not out.exists()
    with pytest.raises(NonFiniteWeightsError, match=match):
        interpolate_checkpoints(paths['good'], paths['bad'], [0.5],
                                tmp_path / 'interp')
    assert not (tmp_path / 'interp').exists() or not os.listdir(
        tmp_path / 'interp')
    read_generator_weights(paths['good'])  # finite weights load


def test_infer_exits_with_the_tensor_name(tmp_path):
    paths, _ = _nan_checkpoints(tmp_path)
    cfg = tmp_path / 'cfg.py'
    cfg.write_text("model = dict(type='SRModel', generator=dict("
                   "type='MSRResNet', upscale=4, num_feat=8, "
                   "num_blocks=1))\ndefault_scope = 'srtoolbox'\n")
    img = tmp_path / 'in.png'
    cv2.imwrite(str(img), np.full((8, 8, 3), 128, np.uint8))
    proc = subprocess.run(
        [sys.executable, os.path.join(REPO, 'tools', 'infer.py'),
         '--config', str(cfg), '--checkpoint', str(paths['bad']),
         '--input', str(img), '--output', str(tmp_path / 'out')],
        capture_output=True, text=True, timeout=120,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode != 0
    assert 'body.0.conv1.weight' in proc.stdout + proc.stderr
    assert not (tmp_path / 'out' / 'in.png').exists()
