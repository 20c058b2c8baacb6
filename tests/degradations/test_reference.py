"""The degradation pieces equal BasicSR 1.4.2's formulas.

The pinned numbers were computed once with basicsr 1.4.2
(``basicsr/data/degradations.py``, ``basicsr/utils/img_process_util.py``,
``basicsr/utils/diffjpeg.py``) on the same parameters and the same
closed-form test images; BasicSR is not needed to run these tests.
Each summary is [first, middle, last, one-third entry, sum(a * w), sum(a^2)]
with w = (index mod 7) - 3.
"""
import numpy as np
import pytest
import torch

from srtoolbox.degradations import (USMSharp, bivariate_gaussian,
                                    bivariate_generalized_gaussian,
                                    bivariate_plateau,
                                    circular_lowpass_kernel, filter2d,
                                    jpeg_compress)


def make_image(b, c, h, w):
    """Deterministic test images in [0, 1]: smooth waves + a hash texture."""
    x = torch.arange(w, dtype=torch.float64)
    y = torch.arange(h, dtype=torch.float64)[:, None]
    out = []
    for i in range(b):
        chans = []
        for j in range(c):
            smooth = 0.5 + 0.35 * torch.sin(0.21 * x * (j + 1) +
                                            0.13 * y * (i + 1) + j)
            texture = torch.frac(torch.sin(x * 12.9898 + y * 78.233 +
                                           7.0 * i + 3.0 * j) * 43758.5453)
            chans.append((0.8 * smooth + 0.2 * texture).clamp(0, 1))
        out.append(torch.stack(chans))
    return torch.stack(out).float()


def summary(a):
    a = np.asarray(a, dtype=np.float64)
    w = np.arange(a.size, dtype=np.float64).reshape(a.shape) % 7 - 3
    flat = a.reshape(-1)
    return np.array([flat[0], flat[a.size // 2], flat[-1], flat[a.size // 3],
                     (a * w).sum(), (a**2).sum()])


def assert_summary(actual, expected, atol):
    """Entries to ``atol``; the two sums to ``atol`` per element."""
    actual = summary(actual)
    expected = np.array(expected)
    np.testing.assert_allclose(actual[:4], expected[:4], rtol=0, atol=atol)
    np.testing.assert_allclose(actual[4:], expected[4:], rtol=1e-6, atol=atol)


KERNELS = {
    'iso': (lambda: bivariate_gaussian(21, 2.3),
            [1.86e-10, 0.0300862541, 1.86e-10, 1.00941e-06, 0.0,
             0.015043253808]),
    'aniso': (lambda: bivariate_gaussian(15, 2.3, 0.7, 0.6, False),
              [4.29746e-07, 0.098863112051, 4.29746e-07, 4.885638e-06,
               -0.022902767351, 0.049436359571]),
    'generalized_iso': (
        lambda: bivariate_generalized_gaussian(11, 1.7, beta=0.6),
        [0.001902136556, 0.030226837209, 0.001902136556, 0.012033275365,
         -0.006554813929, 0.012125690138]),
    'generalized_aniso': (
        lambda: bivariate_generalized_gaussian(13, 1.3, 2.7, -1.1, 3.1,
                                               False),
        [0.0, 0.081926183046, 0.0, 0.017093652273, -0.467785261081,
         0.06588663275]),
    'plateau_iso': (lambda: bivariate_plateau(7, 0.9, beta=1.4),
                    [0.00243121398, 0.189209190062, 0.00243121398,
                     0.041634167925, 0.0, 0.072411056518]),
    'plateau_aniso': (
        lambda: bivariate_plateau(9, 1.3, 2.7, 2.1, 1.6, False),
        [0.003721763124, 0.057756417445, 0.003721763124, 0.008732777371,
         -0.015193928896, 0.028921291737]),
    'sinc_13_pad21': (lambda: circular_lowpass_kernel(1.1, 13, pad_to=21),
                      [0.0, 0.112672072036, 0.0, 0.0, 0.0, 0.120986686572]),
    'sinc_7': (lambda: circular_lowpass_kernel(2.9, 7),
               [-0.018861965005, 0.598755636967, -0.018861965005,
                -0.03028403418, 0.0, 0.501475172789]),
}


@pytest.mark.parametrize('name', sorted(KERNELS))
def test_kernels_equal_basicsr(name):
    make, expected = KERNELS[name]
    kernel = make()
    assert kernel.shape[0] % 2 == 1
    assert abs(kernel.sum() - 1) < 1e-12
    assert_summary(kernel, expected, 1e-6)


def _filter_kernels():
    return torch.from_numpy(np.stack([
        bivariate_gaussian(15, 2.3, 0.7, 0.6, False)[3:-3, 3:-3],
        bivariate_plateau(9, 1.3, 2.7, 2.1, 1.6, False),
        circular_lowpass_kernel(2.0, 9)])).float()


def test_filter2d_equals_basicsr():
    img = make_image(3, 3, 40, 48)
    kernels = _filter_kernels()
    assert_summary(filter2d(img, kernels),
                   [0.509733021, 0.526623905, 0.568040431, 0.550079703,
                    -6.266484365, 3072.499343374], 1e-6)
    # one kernel for the whole batch
    assert_summary(filter2d(img, kernels[1:2]),
                   [0.5209077, 0.526623905, 0.600379705, 0.550079703,
                    -6.445658982, 3009.876349721], 1e-6)


def test_filter2d_rejects_even_kernels():
    with pytest.raises(ValueError, match='odd'):
        filter2d(torch.zeros(1, 3, 8, 8), torch.ones(4, 4) / 16)


def test_usm_equals_basicsr_formula():
    # BasicSR's formula evaluated in float64; its own float32 run differs
    # from that by 1.1e-6 (rounding of a 51x51 correlation), ours by 2e-7
    img = make_image(2, 3, 64, 72)
    assert_summary(USMSharp()(img),
                   [0.345453982, 0.59952597, 0.519048607, 0.546527551,
                    10.793235756, 7259.506896877], 1e-6)


def test_usm_sharpens_edges_only():
    img = torch.zeros(1, 3, 64, 64)
    img[..., 32:] = 0.5
    out = USMSharp()(img)
    assert out[0, 0, 10, 34] > 0.5 and out[0, 0, 10, 29] == 0
    assert torch.equal(out[..., 0:5, 0:5], img[..., 0:5, 0:5])


def test_jpeg_equals_basicsr_diffjpeg():
    img = make_image(4, 3, 53, 70)  # not a multiple of 16: padded
    quality = torch.tensor([30.0, 47.3, 64.0, 95.0])
    out = jpeg_compress(img, quality)
    assert out.shape == img.shape
    assert_summary(out, [0.320268, 0.412533, 0.526447, 0.690457,
                         -23.090892, 8877.309764], 1 / 255)
    # stronger compression loses more
    err = (out - img).abs().mean((1, 2, 3))
    assert err[0] > err[1] > err[2] > err[3]


def test_jpeg_quality_outside_range_is_named():
    with pytest.raises(ValueError, match='quality must be in'):
        jpeg_compress(torch.zeros(1, 3, 16, 16), torch.tensor([0.0]))
