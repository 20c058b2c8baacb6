import numpy as np
import pytest

from srtoolbox.utils import imresize

# MATLAB's bicubic (a = -0.5) stretched by 2 for a x0.5 antialiased resize,
# hand-evaluated at the 8 taps around u = 1.5 (output pixel 1 of a 4-pixel
# row), with MATLAB's symmetric border: the row [0, 1, 2, 3] maps to
# -0.01171875*2 - 0.03515625*1 + 0.11328125*0 + 0.43359375*0
# + 0.43359375*1 + 0.11328125*2 - 0.03515625*3 - 0.01171875*3 = 0.4609375
ROW_HALF = [0.4609375, 2.5390625]


def test_known_values_1d_and_2d():
    row = np.array([[0.0, 1.0, 2.0, 3.0]])
    np.testing.assert_allclose(imresize(row, 0.5), [ROW_HALF], atol=1e-12)
    # separable: value(r, c) = 4 r + c resizes to 4 * rows + cols
    img = np.arange(16, dtype=np.float64).reshape(4, 4)
    expected = 4 * np.array(ROW_HALF)[:, None] + np.array(ROW_HALF)[None]
    np.testing.assert_allclose(imresize(img, 0.5), expected, atol=1e-12)


def test_constant_and_linear_images_are_preserved():
    const = np.full((20, 30, 3), 0.3)
    np.testing.assert_allclose(imresize(const, 1 / 4), 0.3, atol=1e-12)
    np.testing.assert_allclose(imresize(const, 3), 0.3, atol=1e-12)
    # the cubic kernel reproduces linear ramps away from the borders
    ramp = np.tile(np.arange(40, dtype=np.float64), (8, 1))
    out = imresize(ramp, 0.5)
    centres = np.arange(20) * 2 + 0.5  # output pixel centres in input units
    np.testing.assert_allclose(out[:, 4:16], np.tile(centres[4:16], (4, 1)),
                               atol=1e-9)


@pytest.mark.parametrize('shape,scale,out', [
    ((17, 23, 3), 1 / 4, (5, 6, 3)),
    ((16, 16), 1 / 2, (8, 8)),
    ((6, 7, 3), 4, (24, 28, 3)),
    ((9, 9, 1), 1 / 3, (3, 3, 1)),
])
def test_output_shapes(shape, scale, out):
    assert imresize(np.random.rand(*shape), scale).shape == out


def test_uint8_in_uint8_out_rounded_like_float():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (32, 24, 3), dtype=np.uint8)
    out8 = imresize(img, 1 / 4)
    outf = imresize(img.astype(np.float64), 1 / 4)
    assert out8.dtype == np.uint8
    np.testing.assert_array_equal(out8, np.clip(np.round(outf), 0, 255))
    assert imresize(img.astype(np.float32) / 255, 2).dtype == np.float32


def test_downscale_differs_from_no_antialias():
    rng = np.random.default_rng(1)
    img = rng.random((32, 32))
    assert not np.allclose(imresize(img, 0.25),
                           imresize(img, 0.25, antialias=False))


def test_bad_arguments():
    with pytest.raises(ValueError, match='scale must be positive'):
        imresize(np.zeros((4, 4)), 0)
    with pytest.raises(ValueError, match='shape'):
        imresize(np.zeros((2, 2, 2, 2)), 0.5)
    with pytest.raises(TypeError):
        imresize([[1, 2], [3, 4]], 0.5)
