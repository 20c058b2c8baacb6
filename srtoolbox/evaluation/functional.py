"""PSNR and SSIM exactly as SR papers compute them.

Conventions (SRGAN, EDSR, RCAN, ESRGAN; BasicSR's ``calculate_psnr``):

* images are ``(H, W, C)`` arrays with values in [0, 255] (uint8 or float),
  channels in **RGB** order unless ``channel_order='bgr'``;
* ``crop_border`` pixels are removed from every side before measuring
  (``scale`` for SR);
* ``test_y_channel=True`` measures on Y of YCbCr (BT.601, MATLAB's
  ``rgb2ycbcr``: Y = 16 + 65.481 R + 128.553 G + 24.966 B for RGB in [0, 1]),
  kept as float;
* SSIM uses an 11x11 Gaussian window, sigma 1.5, over the valid region only,
  with K1 = 0.01, K2 = 0.03, L = 255, averaged over channels.
"""
from typing import Any

import cv2
import numpy as np

from ..utils.color import to_y_channel

__all__ = ['calculate_psnr', 'calculate_ssim', 'prepare_for_metric']


def prepare_for_metric(img: Any, img2: Any, crop_border: int,
                       test_y_channel: Any, channel_order: str = 'rgb') -> Any:
    """Check shapes, crop borders and convert to float64 (Y if asked)."""
    if img.shape != img2.shape:
        raise ValueError(f'images to compare differ in shape: {img.shape} vs '
                         f'{img2.shape}')
    if img.ndim == 2:
        img, img2 = img[..., None], img2[..., None]
    if img.ndim != 3:
        raise ValueError(f'expected (H, W, C) images, got shape {img.shape}')
    if crop_border < 0:
        raise ValueError(f'crop_border must be >= 0, got {crop_border}')
    if crop_border:
        if min(img.shape[:2]) <= 2 * crop_border:
            raise ValueError(f'image of shape {img.shape} is too small for '
                             f'crop_border={crop_border}')
        img = img[crop_border:-crop_border, crop_border:-crop_border]
        img2 = img2[crop_border:-crop_border, crop_border:-crop_border]
    if test_y_channel and img.shape[2] == 3:
        img = to_y_channel(img, channel_order)
        img2 = to_y_channel(img2, channel_order)
    return img.astype(np.float64), img2.astype(np.float64)


def calculate_psnr(img: Any, img2: Any, crop_border: int = 0,
                   test_y_channel: bool = False,
                   channel_order: str = 'rgb') -> Any:
    """PSNR in dB between two images in [0, 255]. Identical images: inf."""
    img, img2 = prepare_for_metric(img, img2, crop_border, test_y_channel,
                                   channel_order)
    mse = np.mean((img - img2)**2)
    if mse == 0:
        return float('inf')
    return float(10.0 * np.log10(255.0 * 255.0 / mse))


def _ssim_single(img, img2):
    c1 = (0.01 * 255)**2
    c2 = (0.03 * 255)**2
    kernel = cv2.getGaussianKernel(11, 1.5)
    window = np.outer(kernel, kernel.transpose())
    # 'valid' filtering: drop the 5 pixels whose window leaves the image
    mu1 = cv2.filter2D(img, -1, window)[5:-5, 5:-5]
    mu2 = cv2.filter2D(img2, -1, window)[5:-5, 5:-5]
    mu1_sq, mu2_sq, mu1_mu2 = mu1**2, mu2**2, mu1 * mu2
    sigma1_sq = cv2.filter2D(img**2, -1, window)[5:-5, 5:-5] - mu1_sq
    sigma2_sq = cv2.filter2D(img2**2, -1, window)[5:-5, 5:-5] - mu2_sq
    sigma12 = cv2.filter2D(img * img2, -1, window)[5:-5, 5:-5] - mu1_mu2
    ssim_map = ((2 * mu1_mu2 + c1) * (2 * sigma12 + c2)) / (
        (mu1_sq + mu2_sq + c1) * (sigma1_sq + sigma2_sq + c2))
    return ssim_map.mean()


def calculate_ssim(img: Any, img2: Any, crop_border: int = 0,
                   test_y_channel: bool = False,
                   channel_order: str = 'rgb') -> Any:
    """SSIM (Wang et al. 2004) between two images in [0, 255]."""
    img, img2 = prepare_for_metric(img, img2, crop_border, test_y_channel,
                                   channel_order)
    if min(img.shape[:2]) < 11:
        raise ValueError(f'SSIM needs images of at least 11x11 after '
                         f'cropping, got {img.shape[:2]}')
    return float(np.mean([_ssim_single(img[..., c], img2[..., c])
                          for c in range(img.shape[2])]))
