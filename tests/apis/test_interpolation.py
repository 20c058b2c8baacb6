import importlib.util
import os
import os.path as osp
import subprocess
import sys
from collections import OrderedDict

import pytest
import torch

from srtoolbox.models.weights import extract_generator_state_dict
from srtoolbox.utils.checkpoint_io import load_checkpoint_file
from srtoolbox.apis.interpolation import (interpolate_checkpoints,
                                          interpolate_state_dicts)
from srtoolbox.models.generators import SRResNet

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def tiny_state(seed):
    """A tiny SRResNet state dict: float weights plus BN integer buffers."""
    torch.manual_seed(seed)
    net = SRResNet(num_feat=4, num_blocks=1, upscale=2)
    sd = net.state_dict()
    for key, value in sd.items():
        if value.is_floating_point():
            value.normal_()
        else:
            value.fill_(seed + 7)  # num_batches_tracked differs in A and B
    return sd


def test_endpoints_and_midpoint():
    a, b = tiny_state(0), tiny_state(1)
    at0 = interpolate_state_dicts(a, b, 0)
    at1 = interpolate_state_dicts(a, b, 1)
    mid = interpolate_state_dicts(a, b, 0.5)
    assert list(at0) == list(a)
    for key in a:
        assert torch.equal(at0[key], a[key])
        if a[key].is_floating_point():
            assert torch.equal(at1[key], b[key])
            torch.testing.assert_close(mid[key], (a[key] + b[key]) / 2)
        else:  # integer buffers come from A
            assert torch.equal(at1[key], a[key])
            assert torch.equal(mid[key], a[key])
            assert mid[key].dtype == a[key].dtype


def test_half_precision_keeps_dtype():
    a = {'w': torch.zeros(3, dtype=torch.float16)}
    b = {'w': torch.ones(3, dtype=torch.float16)}
    out = interpolate_state_dicts(a, b, 0.25)['w']
    assert out.dtype == torch.float16
    assert torch.equal(out, torch.full((3, ), 0.25, dtype=torch.float16))


def test_mismatch_lists_keys_and_shapes():
    a = OrderedDict(w=torch.zeros(2, 3), only_a=torch.zeros(1),
                    common=torch.zeros(1))
    b = OrderedDict(w=torch.zeros(3, 3), only_b=torch.zeros(1),
                    common=torch.zeros(1))
    with pytest.raises(ValueError) as err:
        interpolate_state_dicts(a, b, 0.5)
    msg = str(err.value)
    assert 'only_a' in msg and 'only_b' in msg
    assert 'w: (2, 3) vs (3, 3)' in msg
    assert 'common' not in msg


def test_non_finite_alpha_rejected():
    a = tiny_state(0)
    with pytest.raises(ValueError, match='alpha'):
        interpolate_state_dicts(a, a, float('nan'))


def write_pair(tmp_path):
    """A in BasicSR layout (params/params_ema), B in srtoolbox layout."""
    a, b = tiny_state(0), tiny_state(1)
    path_a, path_b = tmp_path / 'psnr.pth', tmp_path / 'gan.pth'
    torch.save({'params': tiny_state(3), 'params_ema': a}, path_a)
    torch.save({'state_dict': OrderedDict(
        ('generator.' + k, v) for k, v in b.items()), 'meta': {}}, path_b)
    return a, b, path_a, path_b


def test_interpolate_checkpoints_layouts_and_meta(tmp_path):
    a, b, path_a, path_b = write_pair(tmp_path)
    out = tmp_path / 'interp'
    paths = interpolate_checkpoints(path_a, path_b, [0, 0.5, 1], out)
    assert [osp.basename(p) for p in paths] == [
        'interp_alpha0.00.pth', 'interp_alpha0.50.pth', 'interp_alpha1.00.pth'
    ]
    ckpt = load_checkpoint_file(paths[1])
    assert ckpt['meta']['alpha'] == 0.5
    assert ckpt['meta']['interpolated_from'] == {'a': str(path_a),
                                                 'b': str(path_b)}
    at0 = extract_generator_state_dict(load_checkpoint_file(paths[0]))
    at1 = extract_generator_state_dict(load_checkpoint_file(paths[2]))
    w = 'conv_first.weight'
    assert torch.equal(at0[w], a[w])  # params_ema, not params, of A
    assert torch.equal(at1[w], b[w])


def test_existing_outputs_are_kept(tmp_path):
    _, _, path_a, path_b = write_pair(tmp_path)
    out = tmp_path / 'interp'
    out.mkdir()
    (out / 'interp_alpha0.50.pth').write_bytes(b'keep me')
    with pytest.raises(FileExistsError, match='interp_alpha0.50.pth'):
        interpolate_checkpoints(path_a, path_b, [0, 0.5], out)
    # nothing written, not even the outputs that did not exist yet
    assert sorted(p.name for p in out.iterdir()) == ['interp_alpha0.50.pth']
    interpolate_checkpoints(path_a, path_b, [0, 0.5], out, overwrite=True)
    load_checkpoint_file(out / 'interp_alpha0.50.pth')


def test_cli(tmp_path):
    a, b, path_a, path_b = write_pair(tmp_path)
    out = tmp_path / 'interp'
    cmd = [sys.executable, osp.join(REPO, 'tools', 'interpolate.py'),
           str(path_a), str(path_b), '--alpha', '0', '0.2', '1',
           '--out', str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert res.returncode == 0, res.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ['interp_alpha0.00.pth', 'interp_alpha0.20.pth',
                     'interp_alpha1.00.pth']
    ckpt = load_checkpoint_file(out / 'interp_alpha0.20.pth')
    assert ckpt['meta']['alpha'] == pytest.approx(0.2)
    assert ckpt['meta']['interpolated_from']['b'] == str(path_b)
    net = SRResNet(num_feat=4, num_blocks=1, upscale=2)
    net.load_state_dict(extract_generator_state_dict(ckpt))  # loadable
    w = 'conv_first.weight'
    torch.testing.assert_close(net.conv_first.weight, 0.8 * a[w] + 0.2 * b[w])

    # a second run refuses to overwrite (in-process to save a start-up)
    spec = importlib.util.spec_from_file_location(
        'interpolate_tool', osp.join(REPO, 'tools', 'interpolate.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    before = (out / 'interp_alpha0.20.pth').read_bytes()
    argv = [str(path_a), str(path_b), '--alpha', '0.2', '--out', str(out)]
    assert tool.main(argv) == 1
    assert (out / 'interp_alpha0.20.pth').read_bytes() == before
    assert tool.main(argv + ['--overwrite']) == 0


def test_strip_shows_each_alpha_between_bicubic_and_hr(tmp_path):
    import numpy as np

    from srtoolbox.apis.interpolation import interpolation_strip
    ckpts = []
    for seed in (0, 1):  # two freshly initialised networks, eval-ready
        torch.manual_seed(seed)
        net = SRResNet(num_feat=4, num_blocks=1, upscale=2)
        ckpts.append(tmp_path / f'net{seed}.pth')
        torch.save({'state_dict': OrderedDict(
            ('generator.' + k, v) for k, v in net.state_dict().items())},
            ckpts[-1])
    path_a, path_b = ckpts
    cfg = tmp_path / 'tiny.py'
    cfg.write_text("model = dict(generator=dict(type='SRResNet', num_feat=4, "
                   "num_blocks=1, upscale=2), data_preprocessor=dict("
                   "type='SRDataPreprocessor', gt_range=[0.0, 1.0]))\n")
    paths = interpolate_checkpoints(path_a, path_b, [0, 0.5, 1],
                                    tmp_path / 'out')
    strip = interpolation_strip(
        str(cfg), list(zip([0, 0.5, 1], paths)),
        osp.join(REPO, 'data', 'demo', 'Set5', 'bird.png'),
        crop=(10, 20, 30, 40), zoom=1)
    # bicubic, three alphas and HR, 40 px wide each with 4 px gaps, each
    # under a 22 px label band
    assert strip.shape == (22 + 30, 5 * 40 + 4 * 4, 3)
    assert strip.dtype == np.uint8
    panels = [strip[22:, i * 44:i * 44 + 40] for i in range(5)]
    assert not np.array_equal(panels[1], panels[3])  # A and B differ
