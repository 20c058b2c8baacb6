"""Checkpoints record their generator; the hook can also write .safetensors."""
import json

import torch

from srtoolbox.models.weights import (load_generator_from_file,
                                      read_safetensors)
from srtoolbox.utils.checkpoint_io import load_checkpoint_file

from .tiny_run import tiny_config, train_in_process


def test_checkpoints_load_without_config_and_export_safetensors(
        tiny_data, tmp_path, one_thread):
    config = tiny_config(
        tiny_data, tmp_path / 'cfg.py',
        train_cfg='dict(max_iters=4, val_interval=100)',
        param_scheduler='[]',
        default_hooks='dict(logger=dict(interval=1), checkpoint=dict('
                      'interval=2, max_keep_ckpts=1, save_safetensors=True))')
    work = tmp_path / 'work'
    runner, _ = train_in_process(config, work)
    meta = load_checkpoint_file(work / 'iter_4.pth')['meta']
    assert meta['generator_cfg'] == dict(type='MSRResNet', upscale=4,
                                         num_feat=8, num_blocks=1)
    # the older checkpoint went with its .safetensors twin
    assert sorted(p.name for p in work.glob('iter_*')) == [
        'iter_4.pth', 'iter_4.safetensors']
    sd, info = read_safetensors(work / 'iter_4.safetensors')
    assert info['architecture'] == 'MSRResNet' and info['scale'] == '4'
    assert info['iterations'] == '4' and len(info['config_hash']) == 64
    assert json.loads(info['value_range']) == [0.0, 1.0]
    ema = runner.model.generator_ema.state_dict()
    assert all(torch.equal(sd[k], ema[k]) for k in sd)
    x = torch.rand(1, 3, 8, 8)
    a = load_generator_from_file(work / 'iter_4.pth').network
    b = load_generator_from_file(work / 'iter_4.safetensors').network
    with torch.no_grad():
        torch.testing.assert_close(a(x), b(x))
