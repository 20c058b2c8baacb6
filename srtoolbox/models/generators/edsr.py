"""EDSR: Enhanced Deep Residual Network (Lim et al., CVPRW 2017).

Mean shift -> conv_first -> residual blocks without BN (conv-ReLU-conv,
residual scaled by ``res_scale``) -> conv_after_body + long skip -> sub-pixel
upsampler -> conv_last -> mean shift back. Parameter names follow BasicSR's
``EDSR`` so its checkpoints load unchanged.

Two variants: ``EDSR`` with its defaults is the paper's baseline (16 blocks
x 64 features, res_scale 1, 1,517,571 parameters at x4); ``EDSRLarge`` is
the paper's full model (32 blocks x 256 features, res_scale 0.1,
43,089,923 parameters at x4). Both take every ``EDSR`` argument.
"""
from typing import Sequence

from torch import nn

from ...registry import GENERATORS
from ..common import (DIV2K_RGB_MEAN, MeanShift, ResidualBlockNoBN, Upsample,
                      check_scale, make_layer)

__all__ = ['EDSR', 'EDSRLarge']


@GENERATORS.register_module()
class EDSR(nn.Module):
    """EDSR; the defaults build the baseline model.

    Args:
        in_channels (int): Default: 3.
        out_channels (int): Default: 3 (must equal ``in_channels``: the
            mean is added back).
        num_feat (int): feature channels. Default: 64.
        num_blocks (int): residual blocks. Default: 16.
        upscale (int): 2, 3 or 4. Default: 4.
        res_scale (float): scale of each block's residual. Default: 1.
        img_range (float): the network works on images in [0, img_range].
            Default: 255.
        rgb_mean (sequence[float]): channel mean in [0, 1]. Default: DIV2K.

    Input ``(N, C, H, W)`` in [0, 1]; output ``(N, C, s*H, s*W)``,
    nominally in [0, 1] (not clamped).
    """
    SUPPORTED_SCALES = (2, 3, 4)

    def __init__(self, *, in_channels: int = 3, out_channels: int = 3,
                 num_feat: int = 64, num_blocks: int = 16, upscale: int = 4,
                 res_scale: float = 1., img_range: float = 255.,
                 rgb_mean: Sequence[float] = DIV2K_RGB_MEAN):
        super().__init__()
        check_scale(type(self).__name__, upscale, self.SUPPORTED_SCALES)
        if not in_channels == out_channels == len(rgb_mean):
            raise ValueError(
                f'{type(self).__name__} needs in_channels == out_channels == '
                f'len(rgb_mean), got {in_channels}, {out_channels}, '
                f'{len(rgb_mean)}')
        self.upscale = upscale
        self.img_range = img_range
        # fixed buffers left out of the state dict, as in BasicSR
        self.sub_mean = MeanShift(rgb_mean, img_range, -1)
        self.add_mean = MeanShift(rgb_mean, img_range, 1)
        self.conv_first = nn.Conv2d(in_channels, num_feat, 3, 1, 1)
        self.body = make_layer(ResidualBlockNoBN, num_blocks,
                               num_feat=num_feat, res_scale=res_scale,
                               pytorch_init=True)
        self.conv_after_body = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.upsample = Upsample(upscale, num_feat)
        self.conv_last = nn.Conv2d(num_feat, out_channels, 3, 1, 1)

    def forward(self, x):
        feat = self.conv_first(self.sub_mean(x * self.img_range))
        feat = feat + self.conv_after_body(self.body(feat))
        out = self.conv_last(self.upsample(feat))
        return self.add_mean(out) / self.img_range


@GENERATORS.register_module()
class EDSRLarge(EDSR):
    """EDSR's full model: 32 blocks x 256 features, residuals scaled by 0.1.

    43,089,923 parameters at x4. Same arguments, shapes and parameter names
    as :class:`EDSR`, with these defaults.
    """

    def __init__(self, *, num_feat: int = 256, num_blocks: int = 32,
                 res_scale: float = 0.1, **kwargs):
        super().__init__(num_feat=num_feat, num_blocks=num_blocks,
                         res_scale=res_scale, **kwargs)
