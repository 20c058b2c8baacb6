"""One conversion of any image array for the metrics that need RGB."""
from typing import Any

import numpy as np
import torch

__all__ = ['to_rgb_255', 'rgb_pair_tensors']


def to_rgb_255(img: Any, channel_order: str = 'rgb') -> Any:
    """Any image array -> float64 ``(H, W, 3)`` RGB in [0, 255].

    The rule of :func:`srtoolbox.utils.imread`: uint16 becomes 8-bit by
    ``round(v / 257)``; gray ``(H, W)`` / ``(H, W, 1)`` is replicated; gray +
    alpha keeps the gray; RGBA drops alpha. uint8 and float arrays are taken
    as values in [0, 255].
    """
    img = np.asarray(img)
    if img.dtype == np.uint16:
        img = np.round(img.astype(np.float64) / 257.0)
    elif not (img.dtype == np.uint8 or np.issubdtype(img.dtype, np.floating)):
        raise ValueError(f'unsupported pixel type {img.dtype}: expected '
                         'uint8, uint16 or float in [0, 255]')
    if img.ndim == 2:
        img = img[:, :, None]
    if img.ndim != 3 or img.shape[2] not in (1, 2, 3, 4):
        raise ValueError(f'expected an (H, W) or (H, W, C) image with C in '
                         f'1-4, got shape {img.shape}')
    if img.shape[2] <= 2:
        img = np.repeat(img[:, :, :1], 3, axis=2)
    elif img.shape[2] == 4:
        img = img[:, :, :3]
    if channel_order == 'bgr':
        img = img[:, :, ::-1]
    elif channel_order != 'rgb':
        raise ValueError(f"channel_order must be 'rgb' or 'bgr', got "
                         f'{channel_order!r}')
    return img.astype(np.float64)


def rgb_pair_tensors(img: Any, img2: Any, crop_border: int, device: Any,
                     what: str) -> Any:
    """Two images of the same size as ``(1, 3, H, W)`` float32 tensors in
    [0, 1] on ``device``, ``crop_border`` pixels cut from each side (the
    input of the full-reference network metrics); ``what`` names the metric
    in the errors."""
    if img.shape[:2] != img2.shape[:2]:
        raise ValueError(f'{what} compares images of the same size, got '
                         f'{img.shape} and {img2.shape}')
    if crop_border < 0:
        raise ValueError(f'crop_border must be >= 0, got {crop_border}')
    if crop_border and min(img.shape[:2]) <= 2 * crop_border:
        raise ValueError(f'image of shape {img.shape} is too small for '
                         f'crop_border={crop_border}')
    tensors = []
    for arr in (to_rgb_255(img), to_rgb_255(img2)):
        if crop_border:
            arr = arr[crop_border:-crop_border, crop_border:-crop_border]
        arr = np.ascontiguousarray(arr.transpose(2, 0, 1)) / 255.0
        tensors.append(torch.from_numpy(arr).float()[None].to(device))
    return tensors
