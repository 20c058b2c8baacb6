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
from typing import Any, Sequence

from ...registry import GENERATORS
from ..common import (DIV2K_RGB_MEAN, MeanShiftResidualSR, ResidualBlockNoBN,
                      make_layer)

__all__ = ['EDSR', 'EDSRLarge']


@GENERATORS.register_module()
class EDSR(MeanShiftResidualSR):
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
                 rgb_mean: Sequence[float] = DIV2K_RGB_MEAN) -> None:
        super().__init__(in_channels=in_channels, out_channels=out_channels,
                         num_feat=num_feat, upscale=upscale,
                         img_range=img_range, rgb_mean=rgb_mean)
        self.body = make_layer(ResidualBlockNoBN, num_blocks,
                               num_feat=num_feat, res_scale=res_scale,
                               pytorch_init=True)


@GENERATORS.register_module()
class EDSRLarge(EDSR):
    """EDSR's full model: 32 blocks x 256 features, residuals scaled by 0.1.

    43,089,923 parameters at x4. Same arguments, shapes and parameter names
    as :class:`EDSR`, with these defaults.
    """

    def __init__(self, *, num_feat: int = 256, num_blocks: int = 32,
                 res_scale: float = 0.1, **kwargs: Any) -> None:
        super().__init__(num_feat=num_feat, num_blocks=num_blocks,
                         res_scale=res_scale, **kwargs)
