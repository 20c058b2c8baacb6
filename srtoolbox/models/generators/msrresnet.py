"""MSRResNet: the modified SRResNet that BasicSR and MMagic ship.

No BatchNorm, ReLU-style residual blocks (conv-ReLU-conv), LeakyReLU(0.1)
activations, 3x3 first/last convs, PixelShuffle upsampling, and a global
bilinear skip from the input. Parameter names follow BasicSR's
``MSRResNet`` so its checkpoints (``params``) load unchanged; MMagic's
``MSRResNet`` has other names (mapped when its checkpoints are read) and no
LeakyReLU after the pixel shuffles (``upsample_lrelu=False``).
"""
from torch import Tensor, nn
from torch.nn import functional as F

from ...registry import GENERATORS
from ..common import (ResidualBlockNoBN, check_scale, conv_pixel_shuffle,
                      default_init_weights, make_layer)

__all__ = ['MSRResNet']


@GENERATORS.register_module()
class MSRResNet(nn.Module):
    """Modified SRResNet (no BN). 1,517,571 parameters at x4 by default.

    Args:
        in_channels (int): Default: 3.
        out_channels (int): Default: 3.
        num_feat (int): Default: 64.
        num_blocks (int): Default: 16.
        upscale (int): 2, 3 or 4. Default: 4.
        upsample_lrelu (bool): LeakyReLU after each pixel shuffle, as in
            BasicSR (True) or not, as in MMagic (False). Default: True.

    Input ``(N, C, H, W)`` in [0, 1]; output ``(N, C, s*H, s*W)``.
    """
    SUPPORTED_SCALES = (2, 3, 4)
    # the bilinear skip adds the [0, 1] input to the output: HR targets must
    # be in [0, 1] too (checked by the training wrappers)
    output_range = (0.0, 1.0)

    def __init__(self, *, in_channels: int = 3, out_channels: int = 3,
                 num_feat: int = 64, num_blocks: int = 16, upscale: int = 4,
                 upsample_lrelu: bool = True) -> None:
        super().__init__()
        check_scale(type(self).__name__, upscale, self.SUPPORTED_SCALES)
        self.upscale = upscale
        self.upsample_lrelu = bool(upsample_lrelu)
        self.conv_first = nn.Conv2d(in_channels, num_feat, 3, 1, 1)
        self.body = make_layer(ResidualBlockNoBN, num_blocks,
                               num_feat=num_feat)
        if upscale in (2, 3):
            self.upconv1 = nn.Conv2d(num_feat, num_feat * upscale * upscale,
                                     3, 1, 1)
            self.pixel_shuffle = nn.PixelShuffle(upscale)
        else:
            self.upconv1 = nn.Conv2d(num_feat, num_feat * 4, 3, 1, 1)
            self.upconv2 = nn.Conv2d(num_feat, num_feat * 4, 3, 1, 1)
            self.pixel_shuffle = nn.PixelShuffle(2)
        self.conv_hr = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_last = nn.Conv2d(num_feat, out_channels, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(negative_slope=0.1, inplace=True)
        default_init_weights(
            [self.conv_first, self.upconv1, self.conv_hr, self.conv_last],
            0.1)
        if upscale == 4:
            default_init_weights(self.upconv2, 0.1)

    def forward(self, x: Tensor) -> Tensor:
        feat = self.lrelu(self.conv_first(x))
        out = self.body(feat)
        factor = self.pixel_shuffle.upscale_factor
        # the LeakyReLU after each shuffle, applied while shuffling
        slope = self.lrelu.negative_slope if self.upsample_lrelu else None
        out = conv_pixel_shuffle(self.upconv1, out, factor, slope)
        if self.upscale == 4:
            out = conv_pixel_shuffle(self.upconv2, out, 2, slope)
        out = self.conv_last(self.lrelu(self.conv_hr(out)))
        base = F.interpolate(x, scale_factor=self.upscale, mode='bilinear',
                             align_corners=False)
        return out + base
