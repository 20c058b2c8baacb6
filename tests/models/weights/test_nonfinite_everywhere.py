"""#22.1: every loader, converter and exporter refuses NaN/Inf weights
through the one check (``check_finite_weights``), the spandrel-detected
architectures included; no tool writes a file from them. Real files, real
tool processes."""
import os.path as osp
import subprocess
import sys

import numpy as np
import cv2
import pytest
import torch
from safetensors.torch import save_file

import srtoolbox.models.generators  # noqa: F401 (registration)
from srtoolbox.models.builder import build_generator
from srtoolbox.models.weights import (load_generator_from_file,
                                      write_safetensors)
from srtoolbox.models.weights.loading import NonFiniteWeightsError
from test_edsr_pytorch_layout import edsr_layout  # same folder

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
COMPACT = dict(type='SRVGGNetCompact', upscale=2, num_feat=8, num_conv=2)
HAT = dict(type='HAT', upscale=2, embed_dim=12, depths=(1, ),
           num_heads=(2, ), window_size=4, squeeze_factor=4, mlp_ratio=1.,
           num_feat=8)


def _poisoned(cfg, key, value):
    sd = build_generator(cfg).state_dict()
    sd[key] = sd[key].clone()
    sd[key].view(-1)[3] = value
    return sd


def _tool(name, *args):
    return subprocess.run([sys.executable, osp.join(REPO, 'tools', name),
                           *map(str, args)], capture_output=True, text=True,
                          timeout=180, cwd=REPO)


def _refused(proc, key, path):
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert 'NaN or Inf' in proc.stderr and key in proc.stderr
    assert str(path) in proc.stderr


def test_infer_refuses_a_compact_pth_with_one_nan(tmp_path):
    # spandrel's Compact detection used to run it: a black image, exit 0
    weights = tmp_path / 'compact.pth'
    torch.save({'params': _poisoned(COMPACT, 'body.2.weight', float('nan'))},
               weights)
    (tmp_path / 'in').mkdir()
    cv2.imwrite(str(tmp_path / 'in' / 'a.png'),
                np.full((8, 8, 3), 128, np.uint8))
    proc = _tool('infer.py', '--checkpoint', weights, '--input',
                 tmp_path / 'in', '--output', tmp_path / 'out')
    _refused(proc, 'body.2.weight', weights)
    assert not list(tmp_path.glob('out/*'))


def test_export_refuses_a_compact_safetensors_with_inf(tmp_path):
    weights = tmp_path / 'compact.safetensors'
    save_file(_poisoned(COMPACT, 'body.0.weight', float('inf')), weights)
    out = tmp_path / 'exported.safetensors'
    proc = _tool('export_weights.py', weights, out)
    _refused(proc, 'body.0.weight', weights)
    assert not out.exists() and not list(tmp_path.glob('.*tmp'))


def test_convert_edsr_pytorch_refuses_nan_before_writing(tmp_path):
    sd, _ = edsr_layout(16, 1, 2)
    sd['body.0.body.0.weight'].view(-1)[0] = float('nan')
    weights = tmp_path / 'EDSR_x2.pt'
    torch.save(sd, weights)
    out = tmp_path / 'converted.pth'
    proc = _tool('convert_checkpoint.py', '--from', 'edsr-pytorch', weights,
                 out)
    _refused(proc, 'body.0.body.0.weight', weights)
    assert not out.exists()


def test_hat_pth_with_one_nan_is_refused_naming_the_tensor(tmp_path):
    weights = tmp_path / 'hat.pth'
    torch.save(_poisoned(HAT, 'conv_first.weight', float('nan')), weights)
    with pytest.raises(NonFiniteWeightsError,
                       match=r'hat\.pth: conv_first\.weight has 1 of'):
        load_generator_from_file(str(weights))


def test_write_safetensors_writes_no_file_of_nan_weights(tmp_path):
    sd = _poisoned(COMPACT, 'body.0.bias', float('-inf'))
    out = tmp_path / 'w.safetensors'
    with pytest.raises(NonFiniteWeightsError, match='body.0.bias'):
        write_safetensors(sd, out, generator_cfg=COMPACT, scale=2)
    assert not out.exists()
