"""Batched JPEG compression in torch (each image at its own quality).

Baseline JPEG without entropy coding (which is lossless): RGB -> YCbCr
(JFIF), 4:2:0 chroma subsampling by 2x2 means, 8x8 DCT, quantisation by the
standard luminance/chrominance tables scaled by the quality factor
(libjpeg's: 5000/q below 50, 200 - 2q above, in percent), rounding, and the
inverse path; chroma is upsampled by repetition. Images are zero-padded to
a multiple of 16 and cropped back.

It equals BasicSR 1.4.2's ``DiffJPEG(differentiable=False)`` (which
Real-ESRGAN trains with) to one 8-bit level, including its one departure
from the standard: the quantisation tables are applied transposed. The DCT
is one (blocks x 64) @ (64 x 64) matrix product per channel, so a batch
runs on the training device.
"""
import math
from typing import Any, Union

import torch
from torch.nn import functional as F
from torch import Tensor

from .errors import DegradationConfigError

__all__ = ['jpeg_compress', 'quality_to_factor', 'Y_TABLE', 'C_TABLE']

# JPEG standard (ITU T.81, Annex K) tables, rows = vertical frequency
_Y = [[16, 11, 10, 16, 24, 40, 51, 61], [12, 12, 14, 19, 26, 58, 60, 55],
      [14, 13, 16, 24, 40, 57, 69, 56], [14, 17, 22, 29, 51, 87, 80, 62],
      [18, 22, 37, 56, 68, 109, 103, 77], [24, 35, 55, 64, 81, 104, 113, 92],
      [49, 64, 78, 87, 103, 121, 120, 101], [72, 92, 95, 98, 112, 100, 103, 99]]
_C4 = [[17, 18, 24, 47], [18, 21, 26, 66], [24, 26, 56, 99], [47, 66, 99, 99]]
# transposed, as DiffJPEG/BasicSR use them
Y_TABLE = torch.tensor(_Y, dtype=torch.float32).t().contiguous()
C_TABLE = torch.full((8, 8), 99.0)
C_TABLE[:4, :4] = torch.tensor(_C4, dtype=torch.float32).t()

_RGB2YCC = torch.tensor([[0.299, 0.587, 0.114],
                         [-0.168736, -0.331264, 0.5],
                         [0.5, -0.418688, -0.081312]])
_YCC2RGB = torch.tensor([[1.0, 0.0, 1.402],
                         [1.0, -0.344136, -0.714136],
                         [1.0, 1.772, 0.0]])


def _dct_matrix():
    """C[u, x] = a(u)/2 cos((2x + 1) u pi / 16), a(0) = 1/sqrt(2)."""
    u = torch.arange(8, dtype=torch.float64)[:, None]
    x = torch.arange(8, dtype=torch.float64)[None]
    c = torch.cos((2 * x + 1) * u * math.pi / 16) / 2
    c[0] /= math.sqrt(2)
    return c.float()


_DCT = _dct_matrix()
_DCT2 = torch.kron(_DCT, _DCT)  # row-major vec(C B C^T) = kron(C, C) vec(B)


def quality_to_factor(quality: Any) -> Any:
    """JPEG quality (1-100, tensor) -> quantisation table factor."""
    return torch.where(quality < 50, 5000.0 / quality,
                       200.0 - quality * 2) / 100.0


def _blocks(channel):
    """(B, H, W) -> (B, H/8 * W/8, 64): each 8x8 block as a row."""
    b, h, w = channel.shape
    return channel.reshape(b, h // 8, 8, w // 8, 8).permute(
        0, 1, 3, 2, 4).reshape(b, -1, 64)


def _unblocks(rows, h, w):
    b = rows.shape[0]
    return rows.reshape(b, h // 8, w // 8, 8, 8).permute(
        0, 1, 3, 2, 4).reshape(b, h, w)


def _code(channel, table, dct2):
    """DCT, quantise, round, dequantise, inverse DCT; values in 0..255.

    ``table``: (B, 1, 64) quantisation steps; ``dct2``: the 64x64 2-D DCT
    (kron(C, C)), so a whole channel is one matrix product."""
    h, w = channel.shape[-2:]
    coeffs = (_blocks(channel) - 128) @ dct2.t()
    coeffs = torch.round(coeffs / table) * table
    return _unblocks(coeffs @ dct2, h, w) + 128


def jpeg_compress(img: Tensor, quality: Union[Tensor, float]) -> Tensor:
    """JPEG-compress and decode a batch.

    Args:
        img (Tensor): ``(B, 3, H, W)`` RGB in [0, 1] (float32).
        quality (Tensor | float): per-image quality in [1, 100], ``(B,)``,
            or one number for all.

    Returns:
        Tensor: ``(B, 3, H, W)`` in [0, 1], the decoded image (not rounded
        to 8 bits).
    """
    b, c, h, w = img.shape
    if c != 3:
        raise ValueError(f'jpeg_compress needs RGB images, got {c} channels')
    quality = torch.as_tensor(quality, dtype=torch.float32,
                              device=img.device).reshape(-1).expand(b)
    if ((quality < 1) | (quality > 100)).any():
        raise DegradationConfigError(
            f'JPEG quality must be in [1, 100], got {quality.tolist()}')
    factor = quality_to_factor(quality).reshape(b, 1, 1)
    dtype = img.dtype
    x = img.float()
    pad_h, pad_w = -h % 16, -w % 16
    x = F.pad(x, (0, pad_w, 0, pad_h)) * 255
    ycc = torch.einsum('bchw,dc->bdhw', x, _RGB2YCC.to(x.device))
    dct2 = _DCT2.to(x.device)
    y = _code(ycc[:, 0], Y_TABLE.reshape(1, 1, 64).to(x.device) * factor,
              dct2)
    chroma = F.avg_pool2d(ycc[:, 1:] + 128, 2)  # (B, 2, H/2, W/2)
    c_table = C_TABLE.reshape(1, 1, 64).to(x.device) * factor
    cb = _code(chroma[:, 0], c_table, dct2)
    cr = _code(chroma[:, 1], c_table, dct2)
    chroma = torch.stack([cb, cr], 1).repeat_interleave(2, -2) \
        .repeat_interleave(2, -1) - 128
    ycc = torch.cat([y[:, None], chroma], 1)
    rgb = torch.einsum('bchw,dc->bdhw', ycc, _YCC2RGB.to(x.device))
    rgb = rgb.clamp(0, 255) / 255
    return rgb[:, :, :h, :w].to(dtype)
