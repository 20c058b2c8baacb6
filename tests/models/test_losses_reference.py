"""The current-recipe losses against their authors' numbers.

The pinned numbers come from ``make_loss_references.py`` (the
``pytorch-msssim`` and ``focal-frequency-loss`` packages, and an LDL written
from the paper's equations with explicit loops); these tests need none of
them installed.
"""
import os.path as osp
import sys

import pytest
import torch

from srtoolbox.models.losses.color import rgb_to_oklab
from srtoolbox.models.losses.ssim_loss import ms_ssim, ssim
from srtoolbox.registry import LOSSES

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from loss_reference_inputs import ema_output, image_pair  # noqa: E402

# pytorch-msssim 1.0.0, data_range=1, image_pair(n=1, h=168, w=168)
SSIM_REF = 0.667594850063324
SSIM_WIN7_REF = 0.6439464092254639
MS_SSIM_REF = 0.9505217671394348
# focal-frequency-loss 0.3.0
FFL_REF = [
    (dict(), 0.002714590635150671),
    (dict(alpha=2.0, patch_factor=2), 0.0020617994014173746),
    (dict(log_matrix=True, batch_matrix=True), 0.002504586009308696),
    (dict(ave_spectrum=True), 0.0014469288289546967),
]
# ldl_reference of make_loss_references.py
LDL_EMA_REF = 0.002262554614896133
LDL_UNREFINED_REF = 0.0023109077659779513


@pytest.fixture(scope='module')
def pair():
    return image_pair(n=1, h=168, w=168)


def test_ssim_and_ms_ssim_equal_pytorch_msssim(pair):
    pred, gt = pair
    assert float(ssim(pred, gt)) == pytest.approx(SSIM_REF, abs=1e-5)
    assert float(ssim(pred, gt, win_size=7)) == pytest.approx(
        SSIM_WIN7_REF, abs=1e-5)
    assert float(ms_ssim(pred, gt)) == pytest.approx(MS_SSIM_REF, abs=1e-5)


def test_structural_losses_from_config(pair):
    pred, gt = pair
    ssim_loss = LOSSES.build(dict(type='SSIMLoss', loss_weight=2.0))
    assert float(ssim_loss(pred, gt)) == pytest.approx(
        2 * (1 - SSIM_REF), abs=2e-5)
    # Zhao et al.'s mix, alpha 0.84; its gradient reaches the prediction
    mix = LOSSES.build(dict(type='MSSSIML1Loss'))
    l1 = float((pred - gt).abs().mean())
    pred = pred.clone().requires_grad_()
    value = mix(pred, gt)
    assert float(value.detach()) == pytest.approx(
        0.84 * (1 - MS_SSIM_REF) + 0.16 * l1, abs=1e-5)
    value.backward()
    assert torch.isfinite(pred.grad).all() and pred.grad.abs().sum() > 0


def test_structural_losses_map_input_range(pair):
    pred, gt = pair
    loss = LOSSES.build(dict(type='SSIMLoss', input_range=(-1, 1)))
    assert loss.input_range == (-1.0, 1.0)
    assert float(loss(2 * pred - 1, 2 * gt - 1)) == pytest.approx(
        1 - SSIM_REF, abs=1e-5)


def test_ms_ssim_refuses_small_images_by_name():
    loss = LOSSES.build(dict(type='MSSSIMLoss'))
    x = torch.rand(1, 3, 96, 96)
    with pytest.raises(ValueError, match=r'MS-SSIM needs images of at least '
                                         r'161x161, got 96x96'):
        loss(x, x)
    # a 5-tap window fits 96 px crops: (5 - 1) * 16 < 96
    small = LOSSES.build(dict(type='MSSSIMLoss', win_size=5))
    assert float(small(x, x)) == pytest.approx(0, abs=1e-6)
    with pytest.raises(ValueError, match='MSSSIML1Loss: alpha'):
        LOSSES.build(dict(type='MSSSIML1Loss', alpha=1.5))


@pytest.mark.parametrize('kwargs,expected', FFL_REF)
def test_focal_frequency_loss_equals_the_official_package(kwargs, expected):
    pred, gt = image_pair(h=64, w=72, seed=3)
    loss = LOSSES.build(dict(type='FocalFrequencyLoss', **kwargs))
    assert float(loss(pred, gt)) == pytest.approx(expected, rel=1e-6,
                                                  abs=1e-9)


def test_focal_frequency_loss_weight_and_bad_patch_factor():
    pred, gt = image_pair(h=64, w=72, seed=3)
    loss = LOSSES.build(dict(type='FocalFrequencyLoss', loss_weight=10.0))
    assert float(loss(pred, gt)) == pytest.approx(10 * FFL_REF[0][1],
                                                  rel=1e-6)
    assert float(loss(gt, gt)) == 0.0  # 0/0 weights become 0, no NaN
    with pytest.raises(ValueError, match='patch_factor=5 must divide'):
        LOSSES.build(dict(type='FocalFrequencyLoss', patch_factor=5))(
            pred, gt)


def test_ldl_equals_the_papers_formula():
    pred, gt = image_pair(n=2, h=24, w=20, seed=5)
    ema = ema_output(pred, gt)
    loss = LOSSES.build(dict(type='LDLLoss'))
    assert float(loss(pred, gt, ema)) == pytest.approx(LDL_EMA_REF,
                                                       rel=1e-5)
    # without the EMA output: the unrefined map (neosr's variant)
    assert float(loss(pred, gt)) == pytest.approx(LDL_UNREFINED_REF,
                                                  rel=1e-5)
    assert float(loss(pred, gt)) > float(loss(pred, gt, ema))


def test_colour_loss_sees_chroma_not_luma():
    gt = torch.rand(2, 3, 16, 16)
    brighter = gt + 0.1  # a grey shift: luma only
    color = LOSSES.build(dict(type='ColorLoss'))
    luma = LOSSES.build(dict(type='LumaLoss'))
    assert float(color(brighter, gt)) == pytest.approx(0, abs=1e-6)
    assert float(luma(brighter, gt)) == pytest.approx(0.1, abs=1e-6)
    swapped = gt[:, [2, 1, 0]]
    assert float(color(swapped, gt)) > 0.01


def test_colour_loss_values():
    red = torch.zeros(1, 3, 4, 4)
    red[:, 0] = 1
    black = torch.zeros(1, 3, 4, 4)
    # BT.601: red has Cb = -0.168736, Cr = 0.5; black 0, 0
    color = LOSSES.build(dict(type='ColorLoss', loss_weight=2.0))
    assert float(color(red, black)) == pytest.approx(
        2 * (0.168736 + 0.5) / 2, abs=1e-6)
    # Ottosson's Oklab of sRGB red: L 0.627955, a 0.224863, b 0.125846
    lab = rgb_to_oklab(red)[0, :, 0, 0]
    assert lab.tolist() == pytest.approx([0.627955, 0.224863, 0.125846],
                                         abs=1e-4)
    oklab = LOSSES.build(dict(type='ColorLoss', space='oklab'))
    assert float(oklab(red, black)) == pytest.approx(
        (0.224863 + 0.125846) / 2, abs=1e-4)
    # input_range (-1, 1) is mapped to [0, 1] first
    signed = LOSSES.build(dict(type='ColorLoss', input_range=(-1, 1)))
    assert float(signed(2 * red - 1, 2 * black - 1)) == pytest.approx(
        (0.168736 + 0.5) / 2, abs=1e-6)


@pytest.mark.parametrize('cfg,match', [
    (dict(type='ColorLoss', space='lab'), "space must be 'ycbcr' or"),
    (dict(type='LumaLoss', criterion='l3'), 'criterion must be'),
    (dict(type='SSIMLoss', input_range=(1, 0)), 'low < high'),
    (dict(type='SSIMLoss', win_size=4), 'win_size must be an odd'),
    (dict(type='LDLLoss', ksize=4), 'ksize must be an odd'),
])
def test_bad_options_are_named(cfg, match):
    with pytest.raises(ValueError, match=match):
        LOSSES.build(cfg)
