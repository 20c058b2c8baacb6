"""Batched 2-D filtering and unsharp masking on the training device.

``filter2d`` is a correlation with reflect-101 borders (what
``cv2.filter2D`` and BasicSR's ``filter2D`` do), one kernel per image or one
for the whole batch. ``USMSharp`` sharpens the ground truth as Real-ESRGAN
does before degrading it (BasicSR's ``USMSharp``: Gaussian blur of size 51,
sharp = I + 0.5 (I - blur), blended by a blurred mask of where
|I - blur| > 10/255).
"""
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from .errors import DegradationConfigError

__all__ = ['filter2d', 'gaussian_kernel1d', 'USMSharp']


def filter2d(img: Tensor, kernel: Tensor) -> Tensor:
    """Filter every channel of each image with its kernel.

    Args:
        img (Tensor): ``(B, C, H, W)`` float.
        kernel (Tensor): ``(k, k)`` or ``(1, k, k)`` for the whole batch,
            ``(B, k, k)`` for one kernel per image; k odd, k // 2 < min(H, W).

    Returns:
        Tensor: ``(B, C, H, W)``.
    """
    k = kernel.shape[-1]
    if k % 2 == 0 or kernel.shape[-2] != k:
        raise ValueError(f'filter2d needs a square kernel of odd size, got '
                         f'{tuple(kernel.shape)}')
    b, c, h, w = img.shape
    kernel = kernel.to(img)
    if kernel.dim() == 2:
        kernel = kernel[None]
    if kernel.shape[0] not in (1, b):
        raise ValueError(f'filter2d: {kernel.shape[0]} kernels for a batch '
                         f'of {b}')
    padded = F.pad(img, (k // 2,) * 4, mode='reflect')
    # always one depthwise convolution over B*C channels: oneDNN runs it
    # many times faster than a single-channel convolution of B*C images
    weight = kernel.reshape(-1, 1, 1, k, k).expand(b, c, 1, k, k)
    out = F.conv2d(padded.reshape(1, b * c, *padded.shape[-2:]),
                   weight.reshape(b * c, 1, k, k), groups=b * c)
    return out.reshape(b, c, h, w)


def _separable_filter(img, g):
    """``filter2d(img, outer(g, g))`` as two 1-D passes (reflect-101)."""
    b, c, h, w = img.shape
    k = g.numel()
    x = F.pad(img, (k // 2,) * 4, mode='reflect').reshape(
        1, b * c, h + k - 1, w + k - 1)
    g = g.to(img)
    x = F.conv2d(x, g.reshape(1, 1, k, 1).expand(b * c, 1, k, 1),
                 groups=b * c)
    x = F.conv2d(x, g.reshape(1, 1, 1, k).expand(b * c, 1, 1, k),
                 groups=b * c)
    return x.reshape(b, c, h, w)


def gaussian_kernel1d(size: int, sigma: float = 0.0) -> Any:
    """OpenCV's ``getGaussianKernel`` for sizes > 7 (float64, sums to 1):
    sigma <= 0 means ``0.3 ((size - 1) / 2 - 1) + 0.8``."""
    if sigma <= 0:
        sigma = 0.3 * ((size - 1) * 0.5 - 1) + 0.8
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-x**2 / (2 * sigma**2))
    return g / g.sum()


class USMSharp(nn.Module):
    """Unsharp-mask sharpening of ``(B, C, H, W)`` images in [0, 1].

    Args:
        radius (int): Gaussian kernel size (made odd: 50 -> 51, as BasicSR).
        sigma (float): its sigma; 0 derives it from the size as OpenCV.

    ``forward(img, weight=0.5, threshold=10)``: ``threshold`` in 8-bit
    levels. Images must be larger than ``radius // 2`` pixels a side.
    """

    def __init__(self, radius: int = 50, sigma: float = 0.0) -> None:
        super().__init__()
        if not isinstance(radius, int) or radius < 1:
            raise DegradationConfigError(
                f'usm radius must be a positive integer, got {radius!r}')
        if radius % 2 == 0:
            radius += 1
        if radius <= 7:
            raise DegradationConfigError(
                f'usm radius must be > 7 (OpenCV tabulates smaller Gaussian '
                f'kernels), got {radius}')
        self.radius = radius
        g = gaussian_kernel1d(radius, sigma)
        self.register_buffer('kernel', torch.outer(g, g).float()[None],
                             persistent=False)
        # the Gaussian is separable: 2 x 51 taps instead of 51 x 51
        self.register_buffer('kernel1d', g.float(), persistent=False)

    def forward(self, img: Tensor, weight: float = 0.5,
                threshold: int = 10) -> Tensor:
        blur = _separable_filter(img, self.kernel1d)
        residual = img - blur
        mask = (residual.abs() * 255 > threshold).to(img.dtype)
        soft_mask = _separable_filter(mask, self.kernel1d)
        sharp = (img + weight * residual).clamp(0, 1)
        return soft_mask * sharp + (1 - soft_mask) * img

    def extra_repr(self) -> Any:
        return f'radius={self.radius}'

