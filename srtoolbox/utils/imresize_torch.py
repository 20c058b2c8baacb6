"""MATLAB's bicubic ``imresize`` on torch tensors, on any device.

The same algorithm and the same weights as :func:`srtoolbox.utils.imresize`
(the NumPy version: cubic kernel a = -0.5, stretched by 1/scale when
shrinking, symmetric padding, height then width): each dimension is one
matrix product with the NumPy version's float64 weight matrix, moved to the
tensor's device once and cached. Used to make LR batches on the device
(``BicubicDownsample(scale, on_device=True)``, then ``SRDataPreprocessor``)
instead of in the data workers, as the Real-ESRGAN degradations already
are.

    lq = imresize_torch(gt, 1 / 4)                     # (N, 3, H/4, W/4)
    lq = imresize_torch(gt, 1 / 4, quantize=True)      # as a saved PNG
"""
import math
from functools import lru_cache

import torch

from .matlab_imresize import _weight_matrix

__all__ = ['imresize_torch']


@lru_cache(maxsize=64)
def _device_matrix(in_len, out_len, scale, antialias, device, dtype):
    mat = _weight_matrix(in_len, out_len, scale, antialias)
    return torch.from_numpy(mat.copy()).to(device=device, dtype=dtype)


def _compute_dtype(device):
    # float64 keeps the NumPy version's arithmetic; Apple's MPS has none
    return torch.float32 if device.type == 'mps' else torch.float64


def imresize_torch(img, scale, antialias=True, output_shape=None,
                   quantize=False):
    """Resize like MATLAB's ``imresize(img, scale, 'bicubic')``.

    Args:
        img (Tensor): ``(N, C, H, W)`` or ``(C, H, W)`` float, any range
            (with ``quantize``: [0, 1]).
        scale (float): e.g. ``1/4`` to shrink by 4.
        antialias (bool): stretch the kernel when shrinking, as MATLAB.
        output_shape (tuple[int, int] | None): ``(H_out, W_out)``; default
            ``ceil(H * scale), ceil(W * scale)``.
        quantize (bool): treat ``img`` as 8-bit values / 255 and round the
            result to 8 bits, clipped to [0, 1]: what
            :func:`srtoolbox.utils.imresize` gives for a uint8 image, / 255.

    Returns:
        Tensor: same dtype and device as ``img``. Equal to the NumPy version
        to float rounding (float64 arithmetic; float32 on MPS).
    """
    if not isinstance(img, torch.Tensor):
        raise TypeError(f'imresize_torch expects a tensor, got {type(img)}')
    if img.dim() not in (3, 4):
        raise ValueError('imresize_torch expects an (N, C, H, W) or (C, H, '
                         f'W) tensor, got shape {tuple(img.shape)}')
    if not img.is_floating_point():
        raise TypeError(f'imresize_torch expects a float tensor, got '
                        f'{img.dtype} (divide 8-bit images by 255 and pass '
                        'quantize=True)')
    if scale <= 0:
        raise ValueError(f'imresize_torch: scale must be positive, got '
                         f'{scale}')
    h, w = img.shape[-2:]
    if output_shape is None:
        output_shape = (int(math.ceil(h * scale)), int(math.ceil(w * scale)))
    dtype = _compute_dtype(img.device)
    if quantize:  # exact 8-bit values, as the NumPy version gets them
        # (rounded in the input's float type: exact for k / 255, and a
        # vectorised pass over the large HR batch)
        x = (img * 255).round_().to(dtype)
    else:
        x = img.to(dtype)
    rows = _device_matrix(h, output_shape[0], float(scale), antialias,
                          img.device, dtype)
    cols = _device_matrix(w, output_shape[1], float(scale), antialias,
                          img.device, dtype)
    # never in autocast's reduced precision (the data preprocessor runs in
    # the training step's autocast region; float64 is exempt, MPS's float32
    # would not be)
    with torch.autocast(img.device.type, enabled=False):
        out = torch.matmul(torch.matmul(rows, x), cols.t())  # height, width
    if quantize:
        out = torch.round(out).clamp_(0, 255) / 255
    return out.to(img.dtype)
