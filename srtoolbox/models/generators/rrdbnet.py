"""RRDBNet: the ESRGAN generator (Wang et al., ECCVW 2018).

conv_first -> 23 Residual-in-Residual Dense Blocks (three 5-conv dense blocks
each, residuals scaled by 0.2) -> conv_body + long skip -> two (nearest x2,
conv, LeakyReLU) stages -> conv_hr -> conv_last. Parameter names follow
BasicSR's ``RRDBNet`` so its checkpoints (``params``/``params_ema``) load
unchanged; the original ESRGAN repository's layouts are converted by
``srtoolbox.apis.extract_generator_state_dict``.

x2 and x1 fold the input into channels with pixel-unshuffle first (BasicSR,
Real-ESRGAN), so every scale shares the x4 body; x8 adds a third
upsampling conv ``conv_up3`` and keeps every x4 name.
"""
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ...registry import GENERATORS
from ..common import check_scale, default_init_weights, make_layer

__all__ = ['ResidualDenseBlock', 'RRDB', 'RRDBNet']

# ESRGAN scales every residual branch by 0.2 to keep the deep body stable.
RESIDUAL_SCALE = 0.2


class ResidualDenseBlock(nn.Module):
    """Five 3x3 convs, each seeing all previous features (dense).

    ``(N, num_feat, H, W)`` -> same shape.
    """

    def __init__(self, num_feat: int = 64, num_grow_ch: int = 32) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(num_feat, num_grow_ch, 3, 1, 1)
        self.conv2 = nn.Conv2d(num_feat + num_grow_ch, num_grow_ch, 3, 1, 1)
        self.conv3 = nn.Conv2d(num_feat + 2 * num_grow_ch, num_grow_ch, 3, 1,
                               1)
        self.conv4 = nn.Conv2d(num_feat + 3 * num_grow_ch, num_grow_ch, 3, 1,
                               1)
        self.conv5 = nn.Conv2d(num_feat + 4 * num_grow_ch, num_feat, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(negative_slope=0.2, inplace=True)
        default_init_weights(
            [self.conv1, self.conv2, self.conv3, self.conv4, self.conv5], 0.1)

    def forward(self, x: Tensor) -> Tensor:
        x1 = self.lrelu(self.conv1(x))
        x2 = self.lrelu(self.conv2(torch.cat((x, x1), 1)))
        x3 = self.lrelu(self.conv3(torch.cat((x, x1, x2), 1)))
        x4 = self.lrelu(self.conv4(torch.cat((x, x1, x2, x3), 1)))
        x5 = self.conv5(torch.cat((x, x1, x2, x3, x4), 1))
        return x + x5 * RESIDUAL_SCALE


class RRDB(nn.Module):
    """Residual in Residual Dense Block: three dense blocks and a skip.

    ``(N, num_feat, H, W)`` -> same shape.
    """

    def __init__(self, num_feat: int = 64, num_grow_ch: int = 32) -> None:
        super().__init__()
        self.rdb1 = ResidualDenseBlock(num_feat, num_grow_ch)
        self.rdb2 = ResidualDenseBlock(num_feat, num_grow_ch)
        self.rdb3 = ResidualDenseBlock(num_feat, num_grow_ch)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.rdb3(self.rdb2(self.rdb1(x))) * RESIDUAL_SCALE


@GENERATORS.register_module()
class RRDBNet(nn.Module):
    """ESRGAN generator. 16,697,987 parameters at x4 with the defaults.

    Args:
        in_channels (int): Default: 3.
        out_channels (int): Default: 3.
        num_feat (int): feature channels. Default: 64.
        num_blocks (int): RRDBs in the body. Default: 23.
        num_grow_ch (int): channels each dense conv adds. Default: 32.
        upscale (int): 1, 2, 4 or 8. Default: 4.

    Input ``(N, in_channels, H, W)`` in [0, 1] (H and W divisible by 2 at x2,
    by 4 at x1); output ``(N, out_channels, s*H, s*W)``, nominally in [0, 1]
    (not clamped).
    """
    SUPPORTED_SCALES = (1, 2, 4, 8)
    output_range = None  # no input skip: learns the targets' range

    def __init__(self, *, in_channels: int = 3, out_channels: int = 3,
                 num_feat: int = 64, num_blocks: int = 23,
                 num_grow_ch: int = 32, upscale: int = 4) -> None:
        super().__init__()
        check_scale(type(self).__name__, upscale, self.SUPPORTED_SCALES)
        self.upscale = upscale
        # x2 / x1 run the x4 network on a 2x / 4x pixel-unshuffled input
        self.unshuffle = {2: 2, 1: 4}.get(upscale, 1)
        self.conv_first = nn.Conv2d(in_channels * self.unshuffle ** 2,
                                    num_feat, 3, 1, 1)
        self.body = make_layer(RRDB, num_blocks, num_feat=num_feat,
                               num_grow_ch=num_grow_ch)
        self.conv_body = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_up1 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_up2 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        if upscale == 8:
            self.conv_up3 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_hr = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_last = nn.Conv2d(num_feat, out_channels, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(negative_slope=0.2, inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        if self.unshuffle > 1:
            x = F.pixel_unshuffle(x, self.unshuffle)
        feat = self.conv_first(x)
        feat = feat + self.conv_body(self.body(feat))
        ups = [self.conv_up1, self.conv_up2]
        if self.upscale == 8:
            ups.append(self.conv_up3)
        for conv in ups:
            feat = self.lrelu(
                conv(F.interpolate(feat, scale_factor=2, mode='nearest')))
        return self.conv_last(self.lrelu(self.conv_hr(feat)))
