"""MSRN: Multi-scale Residual Network (Li et al., ECCV 2018).

Mean shift -> 3x3 head conv -> 8 multi-scale residual blocks (parallel 3x3
and 5x5 branches, crossed once, fused by a 1x1 conv, identity skip) ->
hierarchical feature fusion (the head output and every block output,
concatenated, 1x1 conv then 3x3 conv) -> sub-pixel upsampler -> 3x3 conv ->
mean shift back. Parameter names follow the authors' MSRN-PyTorch code
(``head``, ``body.N.conv_3_1``, ..., ``tail.0``-``tail.3``, ``sub_mean``,
``add_mean``) so their checkpoints load unchanged. Their 6,078,019
parameters at x4 are head + body + tail: the two mean-shift convs (24
numbers) are fixed buffers here, loaded but not counted or trained.
"""
from typing import Sequence

import torch
from torch import Tensor, nn

from ...registry import GENERATORS
from ..common import DIV2K_RGB_MEAN, MeanShift, Upsample, check_scale

__all__ = ['MSRB', 'MSRN']


class MSRB(nn.Module):
    """Multi-scale residual block: two 3x3/5x5 stages, 1x1 fusion, skip.

    ``(N, num_feat, H, W)`` -> same shape.
    """

    def __init__(self, num_feat: int = 64) -> None:
        super().__init__()
        self.conv_3_1 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_5_1 = nn.Conv2d(num_feat, num_feat, 5, 1, 2)
        self.conv_3_2 = nn.Conv2d(num_feat * 2, num_feat * 2, 3, 1, 1)
        self.conv_5_2 = nn.Conv2d(num_feat * 2, num_feat * 2, 5, 1, 2)
        self.confusion = nn.Conv2d(num_feat * 4, num_feat, 1, 1, 0)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        # each scale sees both scales' features after the first stage
        mixed = torch.cat([self.relu(self.conv_3_1(x)),
                           self.relu(self.conv_5_1(x))], 1)
        mixed = torch.cat([self.relu(self.conv_3_2(mixed)),
                           self.relu(self.conv_5_2(mixed))], 1)
        return x + self.confusion(mixed)


@GENERATORS.register_module()
class MSRN(nn.Module):
    """Multi-scale Residual Network. 6,078,019 parameters at x4 by default.

    Args:
        in_channels (int): Default: 3.
        out_channels (int): Default: 3 (must equal ``in_channels``: the
            mean is added back).
        num_feat (int): feature channels. Default: 64.
        num_blocks (int): MSRBs. Default: 8.
        upscale (int): 2, 3, 4 or 8. Default: 4.
        img_range (float): the network works on images in [0, img_range].
            Default: 255 (the authors' ``rgb_range``).
        rgb_mean (sequence[float]): channel mean in [0, 1]. Default: DIV2K.

    Input ``(N, C, H, W)`` in [0, 1]; output ``(N, C, s*H, s*W)``,
    nominally in [0, 1] (not clamped).
    """
    SUPPORTED_SCALES = (2, 3, 4, 8)
    output_range = (0.0, 1.0)  # mean shift of [0, 1] images

    def __init__(self, *, in_channels: int = 3, out_channels: int = 3,
                 num_feat: int = 64, num_blocks: int = 8, upscale: int = 4,
                 img_range: float = 255.,
                 rgb_mean: Sequence[float] = DIV2K_RGB_MEAN) -> None:
        super().__init__()
        check_scale(type(self).__name__, upscale, self.SUPPORTED_SCALES)
        if not in_channels == out_channels == len(rgb_mean):
            raise ValueError(
                f'MSRN needs in_channels == out_channels == len(rgb_mean), '
                f'got {in_channels}, {out_channels}, {len(rgb_mean)}')
        self.upscale = upscale
        self.img_range = img_range
        self.sub_mean = MeanShift(rgb_mean, img_range, -1, persistent=True)
        self.head = nn.Sequential(nn.Conv2d(in_channels, num_feat, 3, 1, 1))
        self.body = nn.Sequential(
            *[MSRB(num_feat) for _ in range(num_blocks)])
        self.tail = nn.Sequential(
            nn.Conv2d(num_feat * (num_blocks + 1), num_feat, 1, 1, 0),
            nn.Conv2d(num_feat, num_feat, 3, 1, 1),
            Upsample(upscale, num_feat),
            nn.Conv2d(num_feat, out_channels, 3, 1, 1))
        self.add_mean = MeanShift(rgb_mean, img_range, 1, persistent=True)

    def forward(self, x: Tensor) -> Tensor:
        x = self.head(self.sub_mean(x * self.img_range))
        features = []
        out = x
        for block in self.body:
            out = block(out)
            features.append(out)
        features.append(x)  # the authors' order: blocks first, head last
        out = self.tail(torch.cat(features, 1))
        return self.add_mean(out) / self.img_range
