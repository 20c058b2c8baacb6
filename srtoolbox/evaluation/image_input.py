"""One conversion of any image array for the metrics that need RGB."""
from typing import Any

import numpy as np

__all__ = ['to_rgb_255']


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
