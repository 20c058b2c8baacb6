"""Random kernels, noise, resize, the second-order pipeline and the pool."""
import random

import numpy as np
import pytest
import torch

from srtoolbox.degradations import (BlurKernelSampler,
                                    DegradationConfigError, FinalSincSampler,
                                    SecondOrderDegradation, TrainingPairPool,
                                    add_gaussian_noise, add_poisson_noise,
                                    random_mixed_kernel)
from srtoolbox.registry import DEGRADATIONS


def _seed(s):
    random.seed(s)
    np.random.seed(s)
    torch.manual_seed(s)


def _kernels(b, seed=0):
    _seed(seed)
    first, second = BlurKernelSampler(), BlurKernelSampler(
        blur_sigma=(0.2, 1.5))
    final = FinalSincSampler()
    stack = [torch.from_numpy(np.stack([s.sample() for _ in range(b)]))
             for s in (first, second, final)]
    return stack


def test_kernel_sampler_shapes_and_types():
    _seed(1)
    sampler = BlurKernelSampler()
    kernels = [sampler.sample() for _ in range(40)]
    assert all(k.shape == (21, 21) and k.dtype == np.float32 for k in kernels)
    assert all(abs(k.sum() - 1) < 1e-5 for k in kernels)
    # the sizes 7..21 are drawn: some kernels are zero-padded
    assert any(k[0].sum() == 0 and k[:, 0].sum() == 0 for k in kernels)
    pulse = FinalSincSampler(prob=0.0).sample()
    assert pulse[10, 10] == 1 and pulse.sum() == 1


def test_random_mixed_kernel_draws_every_type():
    _seed(2)
    # anisotropic kernels only: not symmetric under transposition
    k = random_mixed_kernel(['aniso'], [1.0], 21, (0.5, 3), (0.5, 4), (1, 2))
    assert not np.allclose(k, k.T)
    k = random_mixed_kernel(['iso'], [1.0], 21, (0.5, 3), (0.5, 4), (1, 2))
    assert np.allclose(k, k.T)


@pytest.mark.parametrize('kwargs, match', [
    (dict(kernel_sizes=(7, 8)), 'odd'),
    (dict(kernel_prob=(0.5, 0.25, 0.12, 0.03, 0.12, 0.03)), 'sum to 1'),
    (dict(blur_sigma=(3, 0.2)), 'min 3 > max 0.2'),
    (dict(kernel_list=('iso', 'box'), kernel_prob=(0.5, 0.5)), 'box'),
    (dict(sinc_prob=1.5), 'sinc_prob'),
])
def test_kernel_sampler_bad_options(kwargs, match):
    with pytest.raises(DegradationConfigError, match=match):
        BlurKernelSampler(**kwargs)


@pytest.mark.parametrize('kwargs, match', [
    (dict(resize_prob=(0.2, 0.7, 0.2)), 'resize_prob must sum to 1'),
    (dict(jpeg_range=(0, 95)), 'jpeg_range must lie within'),
    (dict(jpeg_range2=(30, 101)), 'jpeg_range2'),
    (dict(noise_range=(30, 1)), 'noise_range: min 30 > max 1'),
    (dict(poisson_scale_range2=(3, 0.05)), 'poisson_scale_range2'),
    (dict(gt_size=258), 'multiple of scale'),
    (dict(resize_range=(0.5, 0.9)), 'contain 1'),
])
def test_pipeline_bad_options(kwargs, match):
    with pytest.raises(DegradationConfigError, match=match):
        DEGRADATIONS.build(dict(type='SecondOrderDegradation', **kwargs))


def test_gt_smaller_than_kernel_is_named():
    degradation = SecondOrderDegradation(gt_size=16)
    with pytest.raises(DegradationConfigError, match='smaller than the '
                       'largest blur kernel'):
        degradation.check_kernel_size(21)


def test_noise_statistics():
    torch.manual_seed(0)
    img = torch.full((4, 3, 64, 64), 0.5)
    out = add_gaussian_noise(img, torch.tensor([0.0, 10.0, 20.0, 20.0]),
                             torch.tensor([False, False, False, True]))
    std = (out - img).std((1, 2, 3))
    assert std[0] == 0
    assert abs(std[1] * 255 - 10) < 0.5 and abs(std[2] * 255 - 20) < 1
    # gray noise: the same in every channel
    assert torch.equal(out[3, 0], out[3, 1])
    assert not torch.equal(out[2, 0], out[2, 1])
    img = 0.3 + 0.4 * torch.rand(2, 3, 32, 32)  # away from the clip
    out = add_poisson_noise(img, torch.tensor([1.0, 2.0]),
                            torch.tensor([True, False]))
    assert out.min() >= 0 and out.max() <= 1
    diff = out - img
    assert torch.allclose(diff[0, 0], diff[0, 2], atol=1e-6)
    assert diff[1].abs().mean() > diff[0].abs().mean()


def test_pipeline_shapes_range_and_seed():
    degradation = SecondOrderDegradation(gt_size=64)
    gt = torch.rand(4, 3, 96, 96)
    k1, k2, sinc = _kernels(4)
    outs = []
    for _ in range(2):
        torch.manual_seed(7)
        outs.append(degradation(gt, k1, k2, sinc))
    out = outs[0]
    assert out['lq'].shape == (4, 3, 16, 16)
    assert out['gt'].shape == out['gt_usm'].shape == (4, 3, 64, 64)
    lq = out['lq']
    assert lq.min() >= 0 and lq.max() <= 1
    assert torch.equal(lq, (lq * 255).round() / 255)  # 8-bit levels
    for key in out:
        assert torch.equal(outs[0][key], outs[1][key])
    torch.manual_seed(8)
    assert not torch.equal(degradation(gt, k1, k2, sinc)['lq'], lq)


def test_pool_mixes_batches():
    pool = TrainingPairPool(4)
    seen = []
    torch.manual_seed(0)
    for i in range(6):
        lq = torch.full((2, 1, 2, 2), float(i))
        out_lq, out_gt = pool(lq, lq * 10)
        assert torch.equal(out_gt, out_lq * 10)  # pairs stay together
        seen.append(out_lq[:, 0, 0, 0].tolist())
    assert seen[0] == [0, 0] and seen[1] == [1, 1]  # filling: unchanged
    assert any(v != [i, i] for i, v in enumerate(seen[2:], 2))
    with pytest.raises(DegradationConfigError, match='multiple of the batch'):
        TrainingPairPool(5)(torch.zeros(2, 1, 2, 2), torch.zeros(2, 1, 2, 2))
