"""Colour conversions with the conventions of the SR literature."""
import numpy as np

__all__ = ['rgb2ycbcr', 'bgr2ycbcr', 'to_y_channel']

# ITU-R BT.601 as in MATLAB's rgb2ycbcr, for RGB in [0, 1] -> Y in [16, 235]
_RGB2Y = np.array([65.481, 128.553, 24.966])
_RGB2YCBCR = np.array([[65.481, -37.797, 112.0],
                       [128.553, -74.203, -93.786],
                       [24.966, 112.0, -18.214]])
_OFFSET = np.array([16.0, 128.0, 128.0])


def rgb2ycbcr(img, y_only=False):
    """RGB -> YCbCr (BT.601, MATLAB's ``rgb2ycbcr``), kept as float.

    Args:
        img (np.ndarray): ``(H, W, 3)`` RGB, float in [0, 1] or uint8 in
            [0, 255].
        y_only (bool): return only Y, shape ``(H, W)``.

    Returns:
        np.ndarray: float64 in [0, 255] scale (Y in [16, 235]); not rounded,
        so PSNR on Y is not quantised twice.
    """
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f'rgb2ycbcr expects (H, W, 3), got {img.shape}')
    data = img.astype(np.float64)
    if img.dtype == np.uint8:
        data = data / 255.0
    if y_only:
        return data @ _RGB2Y + 16.0
    return data @ _RGB2YCBCR + _OFFSET


def bgr2ycbcr(img, y_only=False):
    """As :func:`rgb2ycbcr` for BGR (OpenCV's order) input."""
    return rgb2ycbcr(img[..., ::-1], y_only=y_only)


def to_y_channel(img, channel_order='rgb'):
    """Y channel of an ``(H, W, 3)`` image in [0, 255], as float64 (H, W, 1).

    ``img`` is float or uint8 with values in [0, 255].
    """
    if channel_order not in ('rgb', 'bgr'):
        raise ValueError(f"channel_order must be 'rgb' or 'bgr', got "
                         f'{channel_order!r}')
    data = img.astype(np.float64) / 255.0
    if channel_order == 'bgr':
        data = data[..., ::-1]
    return (data @ _RGB2Y + 16.0)[..., None]
