"""RCAN: Residual Channel Attention Network (Zhang et al., ECCV 2018).

Mean shift -> conv_first -> 10 residual groups (20 residual channel-attention
blocks + a conv, with a skip each) -> conv_after_body + long skip ->
sub-pixel upsampler -> conv_last -> mean shift back. Channel attention
squeezes the features by global average pooling, a 1x1 bottleneck (64 -> 4
-> 64) and a sigmoid, and rescales each channel. Parameter names follow
BasicSR's ``RCAN`` so its checkpoints load unchanged (BasicSR's default is
16 blocks per group; the paper's, and ours, is 20).
"""
from typing import Sequence

from torch import Tensor, nn

from ...registry import GENERATORS
from ..common import DIV2K_RGB_MEAN, MeanShiftResidualSR, make_layer

__all__ = ['ChannelAttention', 'RCAB', 'ResidualGroup', 'RCAN']


class ChannelAttention(nn.Module):
    """Rescale channels by sigmoid(1x1 conv(ReLU(1x1 conv(avg pool))))."""

    def __init__(self, num_feat: int, squeeze_factor: int = 16) -> None:
        super().__init__()
        self.attention = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(num_feat, num_feat // squeeze_factor, 1, padding=0),
            nn.ReLU(inplace=True),
            nn.Conv2d(num_feat // squeeze_factor, num_feat, 1, padding=0),
            nn.Sigmoid())

    def forward(self, x: Tensor) -> Tensor:
        return x * self.attention(x)


class RCAB(nn.Module):
    """conv-ReLU-conv-channel attention, with identity skip."""

    def __init__(self, num_feat: int, squeeze_factor: int = 16,
                 res_scale: float = 1.) -> None:
        super().__init__()
        self.res_scale = res_scale
        self.rcab = nn.Sequential(
            nn.Conv2d(num_feat, num_feat, 3, 1, 1), nn.ReLU(True),
            nn.Conv2d(num_feat, num_feat, 3, 1, 1),
            ChannelAttention(num_feat, squeeze_factor))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.rcab(x) * self.res_scale


class ResidualGroup(nn.Module):
    """``num_blocks`` RCABs then a conv, with identity skip."""

    def __init__(self, num_feat: int, num_blocks: int,
                 squeeze_factor: int = 16, res_scale: float = 1.) -> None:
        super().__init__()
        self.residual_group = make_layer(
            RCAB, num_blocks, num_feat=num_feat,
            squeeze_factor=squeeze_factor, res_scale=res_scale)
        self.conv = nn.Conv2d(num_feat, num_feat, 3, 1, 1)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv(self.residual_group(x))


@GENERATORS.register_module()
class RCAN(MeanShiftResidualSR):
    """Residual Channel Attention Network. 15,592,355 parameters at x4.

    Args:
        in_channels (int): Default: 3.
        out_channels (int): Default: 3 (must equal ``in_channels``: the
            mean is added back).
        num_feat (int): feature channels. Default: 64.
        num_groups (int): residual groups. Default: 10.
        num_blocks (int): RCABs per group. Default: 20.
        squeeze_factor (int): channel-attention reduction. Default: 16.
        upscale (int): 2, 3, 4 or 8. Default: 4.
        res_scale (float): scale of each RCAB's residual. Default: 1.
        img_range (float): the network works on images in [0, img_range].
            Default: 255.
        rgb_mean (sequence[float]): channel mean in [0, 1]. Default: DIV2K.

    Input ``(N, C, H, W)`` in [0, 1]; output ``(N, C, s*H, s*W)``,
    nominally in [0, 1] (not clamped).
    """
    SUPPORTED_SCALES = (2, 3, 4, 8)

    def __init__(self, *, in_channels: int = 3, out_channels: int = 3,
                 num_feat: int = 64, num_groups: int = 10,
                 num_blocks: int = 20, squeeze_factor: int = 16,
                 upscale: int = 4, res_scale: float = 1.,
                 img_range: float = 255.,
                 rgb_mean: Sequence[float] = DIV2K_RGB_MEAN) -> None:
        super().__init__(in_channels=in_channels, out_channels=out_channels,
                         num_feat=num_feat, upscale=upscale,
                         img_range=img_range, rgb_mean=rgb_mean)
        self.body = nn.Sequential(*[
            ResidualGroup(num_feat, num_blocks, squeeze_factor, res_scale)
            for _ in range(num_groups)
        ])
