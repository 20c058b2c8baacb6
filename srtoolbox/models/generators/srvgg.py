"""SRVGGNetCompact: Real-ESRGAN's compact generator (``realesr-general-x4v3``,
``realesr-animevideov3``).

conv 3x3 + PReLU, ``num_conv`` x (conv 3x3 + PReLU), a last conv to
``3 * upscale^2`` channels, pixel shuffle, plus the nearest-upsampled input
(the network learns the residual). No convolution runs at the HR size, so
it is fast.

The network is spandrel's ``Compact`` (``spandrel.architectures.Compact``),
which has BasicSR's parameter names (``body.{i}.weight``, PReLU
``body.{i}.weight``) and the same forward; srtoolbox registers a factory
with srtoolbox's keyword names. spandrel (and torchvision, which it loads)
is imported on the first build, not when srtoolbox is imported: the import
takes ~4 s.
"""

from typing import Optional

from torch import nn

from ...registry import GENERATORS
from ..common import check_scale, default_init_weights
from .spandrel_archs import spandrel_class

__all__ = ['SRVGGNetCompact']

SUPPORTED_SCALES = (1, 2, 3, 4, 8)


@GENERATORS.register_module()
def SRVGGNetCompact(*, upscale: int = 4, num_feat: int = 64,
                    num_conv: int = 16, in_channels: int = 3,
                    out_channels: int = 3, act_type: str = 'prelu',
                    residual_init_scale: Optional[float] = None) -> nn.Module:
    """Build the compact generator.

    Args:
        upscale (int): 1, 2, 3, 4 or 8. Default: 4.
        num_feat (int): channels. Default: 64.
        num_conv (int): body convolutions. Default: 16 (x4: 621,424
            parameters; 32: 1,213,296, ``realesr-general-x4v3``).
        in_channels, out_channels (int): Default: 3.
        act_type (str): 'prelu' (Real-ESRGAN), 'relu' or 'leakyrelu'.
        residual_init_scale (float | None): None keeps PyTorch's default
            initialisation (BasicSR's); a number re-initialises every conv
            Kaiming-normal and scales the last one by it (0.1: the output
            starts near the nearest-upsampled input with gradients that
            reach the first layers, which short runs need).

    Returns:
        nn.Module: ``(N, in_channels, h, w)`` -> ``(N, out_channels,
        upscale*h, upscale*w)``, values in the input's range.
    """
    check_scale('SRVGGNetCompact', upscale, SUPPORTED_SCALES)
    if act_type not in ('prelu', 'relu', 'leakyrelu'):
        raise ValueError(f"SRVGGNetCompact: act_type must be 'prelu', 'relu' "
                         f"or 'leakyrelu', got {act_type!r}")
    if not isinstance(num_conv, int) or num_conv < 0:
        raise ValueError(f'SRVGGNetCompact: num_conv must be an integer >= '
                         f'0, got {num_conv!r}')
    Compact = spandrel_class('Compact', 'Compact')
    net = Compact(num_in_ch=in_channels, num_out_ch=out_channels,
                  num_feat=num_feat, num_conv=num_conv, upscale=upscale,
                  act_type=act_type)
    if residual_init_scale is not None:
        default_init_weights(list(net.body)[:-1])
        default_init_weights(net.body[-1], scale=residual_init_scale)
    # what srtoolbox's other spandrel-built generators carry
    net.generator_type = 'SRVGGNetCompact'
    net.spandrel_arch = 'Compact'
    net.size_divisor = 1
    return net


SRVGGNetCompact.SUPPORTED_SCALES = SUPPORTED_SCALES
