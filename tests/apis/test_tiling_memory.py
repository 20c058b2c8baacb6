"""Memory estimate of an inference pass and automatic tiling (issue #17.5)."""
import importlib.util
import logging
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

from srtoolbox.apis.inference import SRInferencer
from srtoolbox.apis.memory import (OVERHEAD, InsufficientMemoryError,
                                   choose_tile, memory_model,
                                   parse_memory, peak_activation_bytes)
from srtoolbox.apis.tiling import receptive_field_radius
from srtoolbox.models.builder import build_generator

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _small():
    torch.manual_seed(0)
    return build_generator(dict(type='MSRResNet', num_feat=8, num_blocks=1,
                                upscale=4))


def test_peak_counts_live_tensors_and_releases_dead_ones():
    # x (3 ch) stays alive; conv1 (8 ch) lives while relu makes its 8 ch;
    # conv1's output is freed before conv2 makes its own: the peak is
    # 3 + 8 + 8 channels, not 3 + 8 + 8 + 8
    net = nn.Sequential(nn.Conv2d(3, 8, 1), nn.ReLU(), nn.Conv2d(8, 8, 1))
    h, w = 10, 12
    assert peak_activation_bytes(net, h, w) == (3 + 8 + 8) * h * w * 4
    inplace = nn.Sequential(nn.Conv2d(3, 8, 1), nn.ReLU(inplace=True))
    assert peak_activation_bytes(inplace, h, w) == (3 + 8) * h * w * 4


def test_estimate_grows_linearly_with_pixels():
    net = _small()
    per_pixel = [peak_activation_bytes(net, s, s) / s**2
                 for s in (16, 32, 64)]
    assert max(per_pixel) / min(per_pixel) < 1.1
    model = memory_model(net)
    assert model.forward_bytes(200, 200) / model.forward_bytes(100, 100) \
        == pytest.approx(4, rel=0.05)
    # dominated by the 8-channel maps at 4x: at least 2 of them alive
    assert model.per_pixel >= 2 * 8 * 16 * 4


RSS_PROBE = '''
import torch
from srtoolbox.models.builder import build_generator
torch.manual_seed(0)
net = build_generator(dict(type='MSRResNet', num_feat=8, num_blocks=1,
                           upscale=4)).eval().to(memory_format=torch.channels_last)
x = torch.rand(1, 3, 256, 256).contiguous(memory_format=torch.channels_last)
with torch.inference_mode():
    net(x[..., :16, :16])  # thread pools, oneDNN
def status(key):
    for line in open('/proc/self/status'):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
with open('/proc/self/clear_refs', 'w') as f:
    f.write('5')  # resets the peak (VmHWM) to the current resident size
before = status('VmRSS:')
with torch.inference_mode():
    net(x)
print(status('VmHWM:') - before)
'''


@pytest.mark.skipif(not osp.exists('/proc/self/clear_refs'),
                    reason='needs Linux /proc to reset the peak RSS')
def test_estimate_is_within_2x_of_the_real_peak():
    # real: the peak resident memory of a fresh process during the pass
    # over its resident memory before (~100 MiB of maps at 1024 x 1024)
    proc = subprocess.run([sys.executable, '-c', RSS_PROBE],
                          capture_output=True, text=True, cwd=REPO,
                          check=True)
    real = int(proc.stdout.split()[-1])
    assert real > 50 * 2**20
    estimate = memory_model(_small().eval()).forward_bytes(256, 256)
    assert 0.5 < estimate / real < 2, (estimate, real)


def test_parse_memory():
    assert parse_memory('512M') == 512 * 2**20
    assert parse_memory('1.5GiB') == int(1.5 * 2**30)
    assert parse_memory(1000) == 1000 and parse_memory(None) is None
    with pytest.raises(ValueError, match='max_memory'):
        parse_memory('lots')


def test_choose_tile_is_the_largest_that_fits():
    model = memory_model(_small())
    budget = model.forward_bytes(100, 100)
    tile = choose_tile(model, budget, 500, 400, tile_pad=10)
    assert tile % 8 == 0
    assert model.forward_bytes(tile + 20, tile + 20) <= budget
    assert model.forward_bytes(tile + 28, tile + 28) > budget
    with pytest.raises(InsufficientMemoryError, match='even a 8x8 tile'):
        choose_tile(model, 1000, 500, 400, tile_pad=10)


def _photo(size=64):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (size, size, 3), dtype=np.uint8)


def _cap_between(sr, img):
    """A max_memory above the smallest tile's need, below the untiled."""
    out_bytes = img.shape[0] * img.shape[1] * sr.scale**2 * 3
    untiled = sr._memory_model().forward_bytes(*img.shape[:2])
    return out_bytes + untiled // 2


def test_auto_tiling_under_a_small_cap_matches_untiled(caplog):
    gen = _small()
    pad = receptive_field_radius(gen)
    img = _photo()
    whole = SRInferencer(generator=gen, tile_pad=pad, progress=False)
    ref = whole(img)
    capped = SRInferencer(generator=gen, tile_pad=pad, progress=False,
                          max_memory=_cap_between(whole, img))
    with caplog.at_level(logging.INFO, logger='srtoolbox.apis'):
        got = capped(img)
    assert 'tiling with tile' in caplog.text
    chosen = int(caplog.text.split('tiling with tile ')[1].split()[0])
    assert chosen < img.shape[0]
    assert np.abs(got.astype(int) - ref).max() <= 1


def test_strict_mode_refuses_naming_tile():
    gen = _small()
    img = _photo()
    probe = SRInferencer(generator=gen, progress=False)
    strict = SRInferencer(generator=gen, progress=False, auto_tile=False,
                          tile_pad=4, max_memory=_cap_between(probe, img))
    with pytest.raises(InsufficientMemoryError, match='--tile [0-9]+'):
        strict(img)
    # an explicit tile is used as asked, even when it does not fit
    tiled = SRInferencer(generator=gen, progress=False, auto_tile=False,
                         tile=48, max_memory=_cap_between(probe, img))
    assert tiled(img).shape == (256, 256, 3)


def test_infer_tool_no_auto_tile_exits_with_the_hint(tmp_path, capsys):
    import cv2
    spec = importlib.util.spec_from_file_location(
        'infer_tool', osp.join(REPO, 'tools', 'infer.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    config = tmp_path / 'tiny.py'
    config.write_text("model = dict(generator=dict(type='MSRResNet', "
                      'num_feat=8, num_blocks=1, upscale=4))\n')
    ckpt = tmp_path / 'tiny.pth'
    torch.save(dict(state_dict=_small().state_dict()), ckpt)
    cv2.imwrite(str(tmp_path / 'a.png'), _photo(96))
    argv = ['--config', str(config), '--checkpoint', str(ckpt), '--input',
            str(tmp_path / 'a.png'), '--output', str(tmp_path / 'out'),
            '--device', 'cpu', '--max-memory', '8M']
    assert tool.main(argv + ['--no-auto-tile']) == 1
    assert '--tile' in capsys.readouterr().err
    assert tool.main(argv) == 0  # tiles by itself
    assert cv2.imread(str(tmp_path / 'out' / 'a.png')).shape == (384, 384, 3)


def test_network_runs_channels_last():
    sr = SRInferencer(generator=_small(), progress=False)
    assert sr.generator.conv_first.weight.is_contiguous(
        memory_format=torch.channels_last)
    plain = SRInferencer(generator=_small(), progress=False,
                         channels_last=False)
    img = _photo(24)
    assert np.abs(sr(img).astype(int) - plain(img)).max() <= 1


def test_overhead_factor_is_applied():
    model = memory_model(_small())
    raw = model.fixed + model.per_pixel * 50 * 50
    assert model.forward_bytes(50, 50) == int(OVERHEAD * raw)


def test_tile_shape_counts_cover_every_tile():
    from srtoolbox.apis.tiling import tile_boxes, tile_shape_counts
    counts = tile_shape_counts(100, 70, 32, 8)
    assert sum(counts.values()) == len(list(tile_boxes(100, 70, 32, 8)))
    # rows see 40 (first), 48, 44 (near the end), 12 (last: 100 = 3 * 32
    # + 4, with 8 of context above); columns 40, 46, 14 likewise
    assert sum(counts.values()) == 12 and len(counts) == 12
    assert counts[(40, 40)] == counts[(48, 46)] == counts[(12, 14)] == 1
    assert tile_shape_counts(100, 70, None, 8) == {(100, 70): 1}


class _Identity(nn.Module):
    """x1 'network' that returns its input tensor itself."""
    upscale = 1

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return x


def test_forward_never_writes_into_the_callers_image():
    # the network returns its input; output scaling happens in place, so
    # the input tensor must be a copy, never a view of the caller's array
    img = np.random.default_rng(0).random((20, 24, 3), dtype=np.float32)
    keep = img.copy()
    sr = SRInferencer(generator=_Identity(), output_range=(-1, 1),
                      progress=False)
    out = sr(img)
    np.testing.assert_array_equal(img, keep)
    np.testing.assert_allclose(out, (keep + 1) / 2, atol=1e-6)


def test_progress_bar_over_tiles_only_when_cut(capsys):
    gen = _small()
    SRInferencer(generator=gen, tile=16, tile_pad=2)(_photo(40))
    assert '40x40 tiles' in capsys.readouterr().err  # 9 tiles
    SRInferencer(generator=gen)(_photo(40))
    assert 'tiles' not in capsys.readouterr().err  # one whole pass
