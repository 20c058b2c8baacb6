"""NIQE, the no-reference "naturalness" score of Mittal et al. (2013).

A. Mittal, R. Soundararajan, A. C. Bovik, "Making a 'Completely Blind'
Image Quality Analyzer", IEEE Signal Processing Letters 20(3), 2013.
Lower is better (more natural). PIRM 2018 ranked SR methods by the
perceptual index ``((10 - Ma) + NIQE) / 2``.

Computed as the authors' MATLAB release (and BasicSR's ``calculate_niqe``):

* the image becomes the Y channel of BT.601 (MATLAB's ``rgb2ycbcr``),
  ``crop_border`` pixels are cut from each side, Y is rounded to integers;
* it is cut to a whole number of 96x96 blocks (bottom/right remainder
  dropped) and measured at two scales: as is, and halved by MATLAB's
  antialiased bicubic ``imresize`` (48x48 blocks);
* at each scale, MSCN coefficients ``(I - mu) / (sigma + 1)`` with a 7x7
  Gaussian window (sigma 7/6, replicated borders); each block gives 18
  features: the generalised-Gaussian fit of the coefficients and the
  asymmetric fits of their products with four neighbours (right, down and
  both diagonals, wrapping inside the block);
* the 36 features of all blocks are fitted by a Gaussian (mean, covariance;
  blocks with undefined features are left out of the covariance) and NIQE
  is the Mahalanobis-like distance to the pristine model:
  ``sqrt((mu_p - mu)^T pinv((C_p + C) / 2) (mu_p - mu))``.

The pristine model (``niqe_pristine_params.npz``: ``mu`` (36,), ``cov``
(36, 36)) is ``mu_prisparam`` / ``cov_prisparam`` of ``modelparameters.mat``
in the authors' MATLAB release (LIVE, UT Austin), learnt from 125 pristine
photographs; see README.md in this folder.

Everything is vectorised over blocks: a 512x512 image takes about 0.1 s on
one CPU thread (``python tools/benchmark_niqe.py``).
"""
import math
import os.path as osp
import warnings
from functools import lru_cache
from typing import Any

import cv2
import numpy as np

from ..utils.color import to_y_channel
from ..utils.matlab_imresize import imresize
from .image_input import to_rgb_255

__all__ = ['calculate_niqe', 'niqe_features', 'NIQE_BLOCK_SIZE']

NIQE_BLOCK_SIZE = 96
_PARAMS_FILE = osp.join(osp.dirname(osp.abspath(__file__)),
                        'niqe_pristine_params.npz')
# the shape grid of the generalised-Gaussian fit: 0.2, 0.201, ..., 10.0
_ALPHA_GRID = np.arange(0.2, 10.001, 0.001)
# neighbour offsets (rows, cols) of the paired products: right, down,
# down-right, down-left
_SHIFTS = ((0, 1), (1, 0), (1, 1), (1, -1))
_CHUNK = 512  # rows of the (rows, grid) search matrix at a time


@lru_cache(maxsize=1)
def _pristine_model():
    with np.load(_PARAMS_FILE) as data:
        return data['mu'], data['cov']


@lru_cache(maxsize=1)
def _gaussian_window():
    """MATLAB's ``fspecial('gaussian', 7, 7/6)``."""
    x = np.arange(-3, 4, dtype=np.float64)
    window = np.exp(-(x[:, None]**2 + x[None, :]**2) / (2 * (7 / 6)**2))
    return window / window.sum()


@lru_cache(maxsize=1)
def _alpha_tables():
    """For each grid shape a: rho(a), sqrt(G(1/a)/G(3/a)), G(2/a)/G(1/a)."""
    gamma = np.vectorize(math.gamma, otypes=[np.float64])
    inv = 1.0 / _ALPHA_GRID
    g1, g2, g3 = gamma(inv), gamma(2 * inv), gamma(3 * inv)
    return g2**2 / (g1 * g3), np.sqrt(g1 / g3), g2 / g1


def _aggd_fit(samples):
    """Asymmetric generalised-Gaussian fit of each row (moment matching).

    Args:
        samples (np.ndarray): ``(R, M)``, M samples per row.

    Returns:
        tuple: ``alpha``, ``beta_left``, ``beta_right``, ``mean_factor``
        (``G(2/a)/G(1/a)``), each ``(R,)``; NaN where a row has no negative
        or no positive sample (the shape is then the grid's first value, as
        ``argmin`` over NaN gives in the reference).
    """
    rho, beta_factor, mean_factor = _alpha_tables()
    squares = samples**2
    neg, pos = samples < 0, samples > 0
    with np.errstate(invalid='ignore', divide='ignore'):
        left_std = np.sqrt((squares * neg).sum(1) / neg.sum(1))
        right_std = np.sqrt((squares * pos).sum(1) / pos.sum(1))
        gamma_hat = left_std / right_std
        r_hat = np.abs(samples).mean(1)**2 / squares.mean(1)
        r_norm = (r_hat * (gamma_hat**3 + 1) * (gamma_hat + 1) /
                  (gamma_hat**2 + 1)**2)
    index = np.empty(len(samples), dtype=np.int64)
    for start in range(0, len(samples), _CHUNK):
        part = r_norm[start:start + _CHUNK, None]
        index[start:start + _CHUNK] = np.argmin((rho[None, :] - part)**2, 1)
    return (_ALPHA_GRID[index], left_std * beta_factor[index],
            right_std * beta_factor[index], mean_factor[index])


def _mscn(img):
    """Mean-subtracted contrast-normalised coefficients, float32, same shape.

    Single precision on purpose: BasicSR's ``calculate_niqe`` (whose values
    papers and MMagic report) works on float32 images, and the local
    variance ``E[I^2] - E[I]^2`` loses digits to cancellation there, which
    moves NIQE of images with flat areas by up to ~0.4 from a float64
    computation. Each filter is exact (float64) and then rounded to float32,
    as ``scipy.ndimage.convolve`` does for float32 input.
    """
    window = _gaussian_window()
    img = img.astype(np.float32)

    def blur(x):
        return cv2.filter2D(x.astype(np.float64), cv2.CV_64F, window,
                            borderType=cv2.BORDER_REPLICATE).astype(
                                np.float32)

    mu = blur(img)
    sigma = np.sqrt(np.abs(blur(img * img) - mu * mu))
    return (img - mu) / (sigma + 1)


def _block_features(coeffs, block):
    """18 features of each ``block x block`` tile of ``coeffs``: (B, 18)."""
    rows, cols = coeffs.shape[0] // block, coeffs.shape[1] // block
    tiles = coeffs[:rows * block, :cols * block].reshape(
        rows, block, cols, block).transpose(0, 2, 1, 3).reshape(
            rows * cols, block, block)
    num = len(tiles)
    # row 0: the coefficients; rows 1-4: products with each neighbour
    samples = [tiles] + [tiles * np.roll(tiles, shift, axis=(1, 2))
                         for shift in _SHIFTS]
    alpha, beta_l, beta_r, mean_factor = _aggd_fit(
        np.concatenate(samples).reshape(5 * num, block * block))
    alpha, beta_l, beta_r, mean_factor = (
        v.reshape(5, num) for v in (alpha, beta_l, beta_r, mean_factor))
    feats = [alpha[0], (beta_l[0] + beta_r[0]) / 2]
    for k in range(1, 5):
        feats += [alpha[k], (beta_r[k] - beta_l[k]) * mean_factor[k],
                  beta_l[k], beta_r[k]]
    return np.stack(feats, axis=1)


def niqe_features(y: Any) -> Any:
    """The ``(B, 36)`` NIQE features of a Y image (float, [0, 255]).

    ``y`` is ``(H, W)`` with at least 96 rows and columns; B is the number
    of whole 96x96 blocks. Columns 0-17 come from full scale, 18-35 from
    half scale.
    """
    rows, cols = y.shape[0] // NIQE_BLOCK_SIZE, y.shape[1] // NIQE_BLOCK_SIZE
    y = y[:rows * NIQE_BLOCK_SIZE, :cols * NIQE_BLOCK_SIZE]
    full = _block_features(_mscn(y), NIQE_BLOCK_SIZE)
    half = imresize(y / 255.0, 0.5) * 255.0
    return np.concatenate(
        [full, _block_features(_mscn(half), NIQE_BLOCK_SIZE // 2)], axis=1)


def calculate_niqe(img: np.ndarray, crop_border: int = 0,
                   channel_order: str = 'rgb') -> float:
    """NIQE of one image (lower is more natural).

    Args:
        img (np.ndarray): ``(H, W, 3)`` RGB (or ``channel_order='bgr'``)
            uint8, or float in [0, 255]; gray, gray+alpha, RGBA and uint16
            arrays are converted by :func:`to_rgb_255`.
        crop_border (int): pixels cut from each side before measuring (the
            scale, for SR, as for PSNR/SSIM).
        channel_order (str): ``'rgb'`` or ``'bgr'`` (OpenCV's order).

    Returns:
        float: the NIQE score, about 2-10 for photographs.

    Raises:
        ValueError: fewer than two 96x96 blocks remain after cropping, or
            fewer than two blocks have texture to fit (a flat image), or a
            bad ``crop_border`` / array.
    """
    rgb = to_rgb_255(img, channel_order)
    if crop_border < 0:
        raise ValueError(f'crop_border must be >= 0, got {crop_border}')
    if crop_border:
        rgb = rgb[crop_border:-crop_border, crop_border:-crop_border]
    h, w = rgb.shape[:2]
    num_blocks = (h // NIQE_BLOCK_SIZE) * (w // NIQE_BLOCK_SIZE)
    if num_blocks < 2:
        raise ValueError(
            f'NIQE needs at least two {NIQE_BLOCK_SIZE}x{NIQE_BLOCK_SIZE} '
            f'blocks, but the image is {w}x{h} after crop_border='
            f'{crop_border} (input {img.shape[1]}x{img.shape[0]}); use an '
            f'image of at least {2 * NIQE_BLOCK_SIZE}x{NIQE_BLOCK_SIZE} '
            'plus the crop')
    # MATLAB's rgb2ycbcr on uint8 rounds: so does the reference
    y = np.round(to_y_channel(rgb)[:, :, 0])
    feats = niqe_features(y)
    mu_pris, cov_pris = _pristine_model()
    with warnings.catch_warnings():  # all-NaN columns are handled below
        warnings.simplefilter('ignore', RuntimeWarning)
        mu = np.nanmean(feats, axis=0)
    valid = feats[~np.isnan(feats).any(axis=1)]
    if len(valid) < 2 or np.isnan(mu).any():
        raise ValueError(
            f'NIQE is undefined for this {w}x{h} image: only {len(valid)} '
            f'of its {num_blocks} blocks have texture on both sides of '
            'their local mean (a flat or nearly flat image)')
    cov = np.cov(valid, rowvar=False)
    diff = mu_pris - mu
    quality = diff @ np.linalg.pinv((cov_pris + cov) / 2) @ diff
    return float(np.sqrt(quality))
