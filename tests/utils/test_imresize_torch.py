"""The torch MATLAB bicubic equals the NumPy one (to 1e-6; bit for bit in
8 bits)."""
import os.path as osp

import numpy as np
import pytest
import torch

from srtoolbox.utils import imread, imresize
from srtoolbox.utils.imresize_torch import imresize_torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _numpy_batch(batch, scale, **kwargs):
    """(N, C, H, W) tensor through the NumPy version, image by image."""
    return np.stack([imresize(img.permute(1, 2, 0).numpy(), scale, **kwargs)
                     .transpose(2, 0, 1) for img in batch])


@pytest.mark.parametrize('scale,antialias,shape', [
    (1 / 4, True, (2, 3, 96, 96)), (1 / 3, True, (1, 3, 30, 45)),
    (1 / 2, False, (1, 1, 17, 12)), (2, True, (2, 3, 9, 11)),
    (4, True, (1, 3, 6, 5))])
def test_equals_the_numpy_version_to_1e6(scale, antialias, shape):
    gen = torch.Generator().manual_seed(0)
    for dtype in (torch.float32, torch.float64):
        batch = torch.rand(shape, generator=gen, dtype=dtype)
        got = imresize_torch(batch, scale, antialias=antialias)
        want = _numpy_batch(batch, scale, antialias=antialias)
        assert got.dtype == dtype and got.shape == want.shape
        np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=1e-6)
    # an unbatched image and an explicit output shape
    img = torch.rand(shape[1:], generator=gen)
    got = imresize_torch(img, scale, output_shape=(7, 8))
    want = imresize(img.permute(1, 2, 0).numpy(), scale,
                    output_shape=(7, 8)).transpose(2, 0, 1)
    np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=1e-6)


def test_quantized_equals_the_uint8_numpy_version_exactly():
    """What the data pipeline's BicubicDownsample makes of 8-bit crops."""
    img = imread(osp.join(REPO, 'data', 'demo', 'Set5', 'baby.png'))
    crops = [img[y:y + 96, x:x + 96] for y, x in
             ((0, 0), (100, 37), (300, 411), (415, 415))]
    want = np.stack([imresize(c, 1 / 4).transpose(2, 0, 1) for c in crops])
    batch = torch.from_numpy(np.stack(crops).transpose(0, 3, 1, 2)) / 255.0
    got = imresize_torch(batch.float(), 1 / 4, quantize=True)
    np.testing.assert_array_equal(np.round(got.numpy() * 255).astype(
        np.uint8), want)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match='shape \\(4, 4\\)'):
        imresize_torch(torch.zeros(4, 4), 0.5)
    with pytest.raises(TypeError, match='quantize=True'):
        imresize_torch(torch.zeros(1, 3, 4, 4, dtype=torch.uint8), 0.5)
