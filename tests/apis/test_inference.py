import logging
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from srtoolbox.apis.inference import SRInferencer
from srtoolbox.apis.tiling import receptive_field_radius
from srtoolbox.models.weights import WeightsMismatchError
from srtoolbox.utils.checkpoint_io import save_checkpoint_file
from srtoolbox.utils.image_io import list_images, read_image_unchanged
from srtoolbox.models.generators import MSRResNet, SRResNet
from srtoolbox.utils import imread, imresize

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BABY = osp.join(REPO, 'data', 'demo', 'Set5', 'baby.png')

SMALL = dict(num_blocks=2, num_feat=16, upscale=4)


@pytest.fixture(scope='module')
def crop():
    """A 48x64 crop of a real photograph (face and background)."""
    return imread(BABY)[100:148, 200:264]


def small(cls=SRResNet, seed=0):
    torch.manual_seed(seed)
    return cls(**SMALL).eval()


class NearestMinusOne(nn.Module):
    """x2 nearest upsampling that outputs in [-1, 1]: exact range tests."""
    upscale = 2

    def forward(self, x):
        return F.interpolate(x, scale_factor=2, mode='nearest') * 2 - 1


# ---------------------------------------------------------------- tiling
@pytest.mark.parametrize('cls,out_range', [(SRResNet, (-0.1, 0.1)),
                                           (MSRResNet, (0.0, 1.0))])
def test_tiled_equals_untiled(crop, cls, out_range):
    gen = small(cls)
    radius = receptive_field_radius(gen)
    # 9x9 first/last convs + 2 blocks: 12; 3x3 MSRResNet: 7
    assert radius == {SRResNet: 12, MSRResNet: 7}[cls]
    whole = SRInferencer(generator=gen, output_range=out_range,
                         progress=False)
    # tile 28 divides neither 48 nor 64: edge tiles are smaller
    tiled = SRInferencer(generator=gen, output_range=out_range, tile=28,
                         tile_pad=radius, progress=False)
    if cls is SRResNet:
        unit = crop.astype(np.float32) / 255
        ref, got = whole(unit), tiled(unit)
        assert 0.1 < np.mean((ref > 0) & (ref < 1))  # not all clipped
        assert np.abs(got - ref).max() < 1 / 255
    else:
        ref, got = whole(crop), tiled(crop)
        assert got.dtype == np.uint8
        assert np.abs(got.astype(int) - ref).max() <= 1
    assert got.shape == ref.shape == (192, 256, 3)


def test_tiles_without_context_show_seams(crop):
    gen = small(SRResNet)
    kw = dict(generator=gen, output_range=(-0.1, 0.1), progress=False)
    unit = crop.astype(np.float32) / 255
    ref = SRInferencer(**kw)(unit)
    seams = SRInferencer(tile=28, tile_pad=0, **kw)(unit)
    assert np.abs(seams - ref).max() > 1 / 255  # why tile_pad exists


# ------------------------------------------------------ layouts and depth
def test_gray_rgba_16bit_float(crop):
    crop = crop[:24, :32]
    sr = SRInferencer(generator=small(MSRResNet), progress=False)
    rgb8 = sr(crop)
    assert rgb8.shape == (96, 128, 3) and rgb8.dtype == np.uint8

    gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    out = sr(gray)
    assert out.shape == (96, 128) and out.dtype == np.uint8
    assert sr(gray[:, :, None]).shape == (96, 128, 1)
    # gray is the luma of the network's output on the replicated image
    rep = sr(np.repeat(gray[:, :, None], 3, 2)).astype(np.float32)
    luma = rep @ np.array([0.299, 0.587, 0.114], np.float32)
    assert np.abs(out - luma).max() <= 0.51

    alpha = np.zeros(crop.shape[:2], np.uint8)
    alpha[5:15, 10:25] = 255
    rgba = sr(np.dstack([crop, alpha]))
    assert rgba.shape == (96, 128, 4) and rgba.dtype == np.uint8
    np.testing.assert_array_equal(rgba[:, :, :3], rgb8)
    np.testing.assert_array_equal(rgba[:, :, 3], imresize(alpha, 4))
    assert rgba[40, 70, 3] == 255 and rgba[0, 0, 3] == 0
    la = sr(np.dstack([gray, alpha]))
    assert la.shape == (96, 128, 2)

    rgb16 = crop.astype(np.uint16) * 257
    out16 = sr(rgb16)
    assert out16.shape == (96, 128, 3) and out16.dtype == np.uint16
    assert np.abs(out16 / 257.0 - rgb8).max() <= 1
    rgba16 = sr(np.dstack([rgb16, alpha.astype(np.uint16) * 257]))
    assert rgba16.dtype == np.uint16 and rgba16[40, 70, 3] == 65535

    f32 = sr(crop.astype(np.float32) / 255)
    assert f32.dtype == np.float32 and 0 <= f32.min() and f32.max() <= 1
    with pytest.raises(ValueError, match='pixel type'):
        sr(crop.astype(np.int32))


def test_output_range_mapping(crop):
    nearest = np.repeat(np.repeat(crop, 2, 0), 2, 1)
    mapped = SRInferencer(generator=NearestMinusOne(),
                          output_range=(-1, 1), progress=False)(crop)
    np.testing.assert_array_equal(mapped, nearest)
    clipped = SRInferencer(generator=NearestMinusOne(), progress=False)(crop)
    assert clipped.max() < nearest.max()  # read as [0, 1]: values lost


# ------------------------------------------------------------ checkpoints
def _write_config(tmp_path, gt_range=(-1.0, 1.0), num_blocks=2):
    path = tmp_path / 'cfg.py'
    path.write_text(
        'model = dict(type="SRModel", generator=dict(type="SRResNet", '
        f'num_blocks={num_blocks}, num_feat=16, upscale=4), '
        'data_preprocessor=dict(type="SRDataPreprocessor", '
        f'gt_range={tuple(gt_range)}))\n')
    return str(path)


def _srmodel_ckpt(path, gen, ema=None):
    sd = {f'generator.{k}': v for k, v in gen.state_dict().items()}
    if ema is not None:
        sd.update({f'generator_ema.{k}': v
                   for k, v in ema.state_dict().items()})
    save_checkpoint_file({'state_dict': sd, 'meta': {}}, str(path))
    return str(path)


def _same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(),
                                                 b.state_dict().values()))


def test_config_checkpoint_and_range(tmp_path):
    plain, ema = small(SRResNet, 1), small(SRResNet, 2)
    ckpt = _srmodel_ckpt(tmp_path / 'a.pth', plain, ema)
    sr = SRInferencer(_write_config(tmp_path), ckpt, device='cpu',
                      progress=False)
    assert sr.scale == 4 and sr.output_range == (-1.0, 1.0)
    assert _same(sr.generator, ema)  # EMA preferred
    sr = SRInferencer(_write_config(tmp_path), ckpt, prefer_ema=False,
                      progress=False)
    assert _same(sr.generator, plain)
    # yaml twin of the demo config gives the same network and range
    yaml_cfg = osp.join(REPO, 'configs', 'srresnet', 'srresnet_x4_demo.yaml')
    if osp.exists(yaml_cfg):
        sr = SRInferencer(yaml_cfg, progress=False)
        assert type(sr.generator) is SRResNet
        assert sr.output_range == (-1.0, 1.0)


def test_checkpoint_mismatch_lists_keys(tmp_path):
    torch.manual_seed(0)
    bigger = SRResNet(num_blocks=3, num_feat=16, upscale=4)
    ckpt = _srmodel_ckpt(tmp_path / 'b.pth', bigger)
    with pytest.raises(WeightsMismatchError) as err:
        SRInferencer(_write_config(tmp_path), ckpt, progress=False)
    msg = str(err.value)
    assert 'b.pth' in msg and 'unexpected keys' in msg
    assert 'body.2.conv1.weight' in msg


def test_interpolation_on_the_fly(tmp_path):
    a, b = small(SRResNet, 1), small(SRResNet, 2)
    pa = _srmodel_ckpt(tmp_path / 'a.pth', a)
    pb = _srmodel_ckpt(tmp_path / 'b.pth', b)
    sr = SRInferencer(_write_config(tmp_path), pa, interp_checkpoint=pb,
                      alpha=0.3, progress=False)
    got = sr.generator.conv_first.weight
    want = 0.7 * a.conv_first.weight + 0.3 * b.conv_first.weight
    torch.testing.assert_close(got, want)
    with pytest.raises(ValueError, match='alpha'):
        SRInferencer(_write_config(tmp_path), pa, interp_checkpoint=pb)


def test_amp_follows_native_bf16_and_can_be_forced(native_bf16, caplog):
    # amp=True: bf16 where the CPU computes it natively, else fp32 with a
    # warning (both detection results, #22.3)
    with caplog.at_level(logging.WARNING):
        sr = SRInferencer(generator=NearestMinusOne(), amp=True,
                          device='cpu', progress=False)
    assert sr.amp_dtype == (torch.bfloat16 if native_bf16 else None)
    assert ('no native bf16' in caplog.text) is not native_bf16
    forced = SRInferencer(generator=small(MSRResNet), amp='bf16',
                          device='cpu', progress=False)
    assert forced.amp_dtype == torch.bfloat16
    img = np.full((8, 8, 3), 128, np.uint8)
    assert forced(img).shape == (32, 32, 3)


# ------------------------------------------------------------------ files
def _inputs(folder, crop):
    folder.mkdir()
    cv2.imwrite(str(folder / 'rgb.png'), crop[:16, :24, ::-1])
    bgra = np.dstack([crop[:16, :16, ::-1], np.full((16, 16), 200,
                                                    np.uint8)])
    cv2.imwrite(str(folder / 'rgba.png'), bgra)
    gray16 = (cv2.cvtColor(crop[:12, :12], cv2.COLOR_RGB2GRAY)
              .astype(np.uint16) * 257)
    cv2.imwrite(str(folder / 'gray16.png'), gray16)
    (folder / 'broken.png').write_bytes(b'not a png at all')
    (folder / 'notes.txt').write_text('ignored: not an image')
    return folder


def test_run_layouts_skip_and_overwrite(tmp_path, crop, caplog):
    src = _inputs(tmp_path / 'in', crop)
    out = tmp_path / 'out'
    sr = SRInferencer(generator=small(MSRResNet), progress=False)
    with caplog.at_level(logging.WARNING):
        summary = sr.run(str(src), str(out), suffix='_x4')
    assert sorted(osp.basename(p) for p in summary.processed) == [
        'gray16_x4.png', 'rgb_x4.png', 'rgba_x4.png']
    assert [osp.basename(p) for p, _ in summary.skipped] == ['broken.png']
    assert 'broken.png' in caplog.text
    rgba = read_image_unchanged(str(out / 'rgba_x4.png'))
    assert rgba.shape == (64, 64, 4) and (rgba[:, :, 3] == 200).all()
    gray16 = read_image_unchanged(str(out / 'gray16_x4.png'))
    assert gray16.shape == (48, 48) and gray16.dtype == np.uint16
    rgb = read_image_unchanged(str(out / 'rgb_x4.png'))
    np.testing.assert_array_equal(rgb, sr(crop[:16, :24]))

    # existing outputs are kept unless overwrite=True
    marker = np.zeros((4, 4, 3), np.uint8)
    cv2.imwrite(str(out / 'rgb_x4.png'), marker)
    again = sr.run(str(src / 'rgb.png'), str(out), suffix='_x4')
    assert again.processed == [] and len(again.existing) == 1
    assert read_image_unchanged(str(out / 'rgb_x4.png')).shape == (4, 4, 3)
    forced = sr.run(str(src / 'rgb.png'), str(out), suffix='_x4',
                    overwrite=True)
    assert len(forced.processed) == 1
    assert read_image_unchanged(str(out / 'rgb_x4.png')).shape == (64, 96, 3)


def test_list_images(tmp_path, crop):
    src = _inputs(tmp_path / 'in', crop)
    assert [osp.basename(p) for p in list_images(str(src / 'rgb*.png'))] \
        == ['rgb.png', 'rgba.png']
    both = list_images([str(src / 'rgb.png'), str(src)])
    assert len(both) == 4 and both[0].endswith('rgb.png')  # no duplicates
    with pytest.raises(FileNotFoundError, match='nowhere.png'):
        list_images([str(src), str(tmp_path / 'nowhere.png')])
    (src / 'rgb.jpg').write_bytes((src / 'rgb.png').read_bytes())
    sr = SRInferencer(generator=NearestMinusOne(), progress=False)
    with pytest.raises(ValueError, match='same output'):
        sr.run(str(src), str(tmp_path / 'out'))


def test_infer_cli(tmp_path, crop):
    src = _inputs(tmp_path / 'in', crop)
    (src / 'broken.png').unlink()
    ckpt = _srmodel_ckpt(tmp_path / 'w.pth', small(SRResNet))
    out = tmp_path / 'out'
    cmd = [sys.executable, osp.join(REPO, 'tools', 'infer.py'),
           '--config', _write_config(tmp_path), '--checkpoint', ckpt,
           '--input', str(src / '*.png'), '--output', str(out),
           '--tile', '64', '--device', 'cpu']
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        'gray16.png', 'rgb.png', 'rgba.png']
    assert '3 written' in res.stdout
