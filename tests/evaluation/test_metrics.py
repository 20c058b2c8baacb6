import glob
import os.path as osp

import numpy as np
import pytest

from srtoolbox.evaluation import PSNR, SSIM, calculate_psnr, calculate_ssim
from srtoolbox.utils import imread, imresize, rgb2ycbcr


def _set5_bicubic(demo_root):
    for path in sorted(glob.glob(osp.join(demo_root, 'Set5', '*.png'))):
        hr = imread(path)
        h, w = hr.shape[:2]
        hr = hr[:h - h % 4, :w - w % 4]
        lr = imresize(hr, 1 / 4)  # rounded to 8 bits (uint8 in -> out)
        yield hr, imresize(lr, 4)


def test_pinned_set5_bicubic_x4(demo_root):
    """The literature's bicubic x4 Set5 figures, computed from the files."""
    pairs = list(_set5_bicubic(demo_root))
    assert len(pairs) == 5
    psnr = np.mean([calculate_psnr(b, h, 4, True) for h, b in pairs])
    ssim = np.mean([calculate_ssim(b, h, 4, True) for h, b in pairs])
    assert psnr == pytest.approx(28.43, abs=0.01)
    assert ssim == pytest.approx(0.811, abs=0.002)


def test_psnr_known_values():
    a = np.full((16, 16, 3), 100, np.uint8)
    assert calculate_psnr(a, a) == float('inf')
    b = a.copy()
    b[..., :] = 101  # MSE 1 on every channel
    assert calculate_psnr(a, b) == pytest.approx(10 * np.log10(255**2))
    # crop_border removes the only differing pixels
    c = a.copy()
    c[0, 0] = 0
    assert calculate_psnr(a, c, crop_border=1) == float('inf')
    assert calculate_psnr(a, c) < 60


def test_y_channel_formula_and_float_kept():
    rgb = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255],
                     [0, 0, 0]]], np.uint8)
    y = rgb2ycbcr(rgb, y_only=True)[0]
    np.testing.assert_allclose(
        y, [16 + 65.481, 16 + 128.553, 16 + 24.966, 235.0, 16.0])
    # Y of one grey-level step is not an integer: it must not be rounded
    a = np.zeros((12, 12, 3), np.uint8)
    b = a + np.array([1, 0, 0], np.uint8)
    expected = 10 * np.log10(255**2 / (65.481 / 255)**2)
    assert calculate_psnr(a, b, test_y_channel=True) == pytest.approx(
        expected)


def test_channel_order_matters_only_for_y():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)
    assert calculate_psnr(a, b, channel_order='bgr') == calculate_psnr(a, b)
    assert calculate_psnr(a, b, test_y_channel=True) != calculate_psnr(
        a, b, test_y_channel=True, channel_order='bgr')


def test_ssim_properties():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
    assert calculate_ssim(a, a) == pytest.approx(1.0)
    noisy = np.clip(a + rng.normal(0, 20, a.shape), 0, 255)
    assert 0 < calculate_ssim(a, noisy) < 0.99
    with pytest.raises(ValueError, match='at least 11x11'):
        calculate_ssim(a[:14, :14], a[:14, :14], crop_border=2)
    with pytest.raises(ValueError, match='differ in shape'):
        calculate_ssim(a, a[:30])


def test_mmengine_metrics_group_by_dataset():
    rng = np.random.default_rng(0)
    samples = []
    for name in ('Set5', 'Set5', 'Set14'):
        gt = rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)
        pred = np.clip(gt.astype(int) + rng.integers(-5, 6, gt.shape),
                       0, 255).astype(np.uint8)
        samples.append(dict(pred=pred, gt=gt, dataset=name,
                            key=f'img{len(samples)}'))
    psnr, ssim = PSNR(crop_border=2), SSIM(crop_border=2)
    for metric in (psnr, ssim):
        metric.process({}, samples)
    res = psnr.compute_metrics(psnr.results)
    assert set(res) == {'Set5/PSNR', 'Set14/PSNR'}
    expected = np.mean([calculate_psnr(s['pred'], s['gt'], 2, True)
                        for s in samples[:2]])
    assert res['Set5/PSNR'] == pytest.approx(expected)
    assert [r['key'] for r in psnr.per_image] == ['img0', 'img1', 'img2']
    res = ssim.compute_metrics(ssim.results)
    assert res['Set14/SSIM'] == pytest.approx(
        calculate_ssim(samples[2]['pred'], samples[2]['gt'], 2, True))
