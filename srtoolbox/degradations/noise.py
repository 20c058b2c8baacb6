"""Batched Gaussian and Poisson noise, colour or gray, per-image strength.

Each image of the batch draws its own strength and its own colour/gray
choice from torch's generator on the images' device.
"""
from typing import Any

import torch
from torch import Tensor

__all__ = ['add_gaussian_noise', 'add_poisson_noise', 'random_add_noise']

# ITU-R 601 luma weights, as torchvision's rgb_to_grayscale
_GRAY = (0.2989, 0.587, 0.114)


def _per_image(value, img):
    return torch.as_tensor(value, dtype=img.dtype,
                           device=img.device).reshape(-1, 1, 1, 1)


def add_gaussian_noise(img: Tensor, sigma: Tensor, gray: Tensor,
                       gray_field: str = 'batch') -> Any:
    """``img + N(0, (sigma/255)^2)``, clipped to [0, 1].

    Args:
        img (Tensor): ``(B, C, H, W)`` in [0, 1].
        sigma (Tensor): ``(B,)`` standard deviations in 8-bit levels.
        gray (Tensor): ``(B,)`` bool: the same noise in every channel.
        gray_field (str): ``'batch'``: one gray noise field for the batch,
            scaled by each image's sigma (BasicSR's released
            ``generate_gaussian_noise_pt``); ``'image'``: one per image.
    """
    b, c, h, w = img.shape
    sigma = _per_image(sigma, img) / 255.0
    noise = torch.randn_like(img)
    gray = torch.as_tensor(gray, device=img.device).reshape(-1)
    if bool(gray.any()):
        fields = 1 if gray_field == 'batch' else b
        gray_noise = torch.randn(fields, 1, h, w, dtype=img.dtype,
                                 device=img.device).expand(b, c, h, w)
        noise = torch.where(gray.reshape(-1, 1, 1, 1), gray_noise, noise)
    return (img + noise * sigma).clamp(0, 1)


def _levels(img8):
    """2^ceil(log2(number of distinct 8-bit values)) of each image,
    ``(B, 1, 1, 1)``; counted with one bincount instead of B sorts."""
    b = img8.shape[0]
    ids = img8.reshape(b, -1).long() + 256 * torch.arange(
        b, device=img8.device)[:, None]
    counts = torch.bincount(ids.reshape(-1), minlength=256 * b).reshape(b, 256)
    distinct = (counts > 0).sum(1).to(torch.float64)
    return torch.exp2(torch.ceil(torch.log2(distinct))).reshape(b, 1, 1, 1)


def _poisson(img):
    """Poisson noise of an image quantised to 8 bits (skimage's rule)."""
    img8 = (img * 255.0).round().clamp(0, 255)
    vals = _levels(img8).to(img.dtype)
    img = img8 / 255.0
    return torch.poisson(img * vals) / vals - img


def add_poisson_noise(img: Tensor, scale: Tensor, gray: Tensor) -> Any:
    """Add ``scale`` times Poisson noise, clipped to [0, 1].

    Args:
        img (Tensor): ``(B, 3, H, W)`` in [0, 1].
        scale (Tensor): ``(B,)`` noise scales.
        gray (Tensor): ``(B,)`` bool: noise of the luma, in every channel.
    """
    b, c, h, w = img.shape
    noise = _poisson(img)
    gray = torch.as_tensor(gray, device=img.device).reshape(-1)
    if bool(gray.any()):
        weights = img.new_tensor(_GRAY).reshape(1, 3, 1, 1)
        luma = (img * weights).sum(1, keepdim=True)
        noise = torch.where(gray.reshape(-1, 1, 1, 1),
                            _poisson(luma).expand(b, c, h, w), noise)
    return (img + noise * _per_image(scale, img)).clamp(0, 1)


def _uniform(b, low, high, like):
    return torch.rand(b, dtype=like.dtype, device=like.device) * (
        high - low) + low


def random_add_noise(img: Any, gaussian_prob: float, noise_range: Any,
                     poisson_scale_range: Any, gray_prob: float,
                     gray_field: str = 'batch') -> Any:
    """Gaussian noise (sigma uniform in ``noise_range``) with probability
    ``gaussian_prob``, else Poisson noise (scale uniform in
    ``poisson_scale_range``), for the whole batch; each image is gray with
    probability ``gray_prob`` (Gaussian: ``gray_field`` as
    :func:`add_gaussian_noise`)."""
    b = img.shape[0]
    gaussian = bool(torch.rand(()) < gaussian_prob)
    low, high = noise_range if gaussian else poisson_scale_range
    strength = _uniform(b, low, high, img)
    gray = torch.rand(b, device=img.device) < gray_prob
    if gaussian:
        return add_gaussian_noise(img, strength, gray, gray_field)
    return add_poisson_noise(img, strength, gray)
