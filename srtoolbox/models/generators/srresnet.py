"""SRResNet, as in Ledig et al., CVPR 2017 (SRGAN paper), Figure 4.

k9n64s1 conv + PReLU -> B residual blocks (k3n64s1 conv-BN-PReLU-conv-BN,
identity skip) -> k3n64s1 conv-BN + long skip from the first PReLU ->
sub-pixel upsampling blocks (conv k3n256s1, PixelShuffle x2, PReLU) -> k9n3s1
conv. x4 uses two x2 stages; x3 uses one x3 stage (conv to 9*64 channels),
x2 one x2 stage. The output is linear: with HR in [-1, 1] (the paper's
convention) the network learns that range directly.
"""
from torch import Tensor, nn

from ...registry import GENERATORS
from ..common import (check_scale, conv_pixel_shuffle,
                      num_pixel_shuffle_stages)

__all__ = ['SRResNet']


class _ResidualBlockBN(nn.Module):
    """conv-BN-PReLU-conv-BN with identity skip (Figure 4, k3n64s1)."""

    def __init__(self, num_feat):
        super().__init__()
        self.conv1 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.bn1 = nn.BatchNorm2d(num_feat)
        self.prelu = nn.PReLU(num_feat)
        self.conv2 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.bn2 = nn.BatchNorm2d(num_feat)

    def forward(self, x):
        return x + self.bn2(self.conv2(self.prelu(self.bn1(self.conv1(x)))))


class _SubPixelBlock(nn.Module):
    """conv to factor^2 * C channels, PixelShuffle(factor), PReLU."""

    def __init__(self, num_feat, factor):
        super().__init__()
        self.conv = nn.Conv2d(num_feat, num_feat * factor * factor, 3, 1, 1)
        self.pixel_shuffle = nn.PixelShuffle(factor)
        self.prelu = nn.PReLU(num_feat)

    def forward(self, x):
        return self.prelu(conv_pixel_shuffle(
            self.conv, x, self.pixel_shuffle.upscale_factor))


@GENERATORS.register_module()
class SRResNet(nn.Module):
    """SRResNet generator of SRGAN (with BatchNorm).

    Args:
        in_channels (int): input channels. Default: 3.
        out_channels (int): output channels. Default: 3.
        num_feat (int): feature channels. Default: 64.
        num_blocks (int): residual blocks. Default: 16 (the paper's B).
        upscale (int): 2, 3 or 4. Default: 4.

    Input ``(N, in_channels, H, W)`` in [0, 1]; output
    ``(N, out_channels, upscale*H, upscale*W)`` in the HR range it was trained
    for. 1,550,659 parameters at x4 with the defaults.
    """
    SUPPORTED_SCALES = (2, 3, 4)
    output_range = None  # no skip, no tanh: learns [0, 1] or [-1, 1]

    def __init__(self, *, in_channels: int = 3, out_channels: int = 3,
                 num_feat: int = 64, num_blocks: int = 16,
                 upscale: int = 4) -> None:
        super().__init__()
        check_scale(type(self).__name__, upscale, self.SUPPORTED_SCALES)
        self.upscale = upscale
        self.conv_first = nn.Conv2d(in_channels, num_feat, 9, 1, 4)
        self.prelu_first = nn.PReLU(num_feat)
        self.body = nn.Sequential(
            *[_ResidualBlockBN(num_feat) for _ in range(num_blocks)])
        self.conv_body = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.bn_body = nn.BatchNorm2d(num_feat)
        factor, stages = num_pixel_shuffle_stages(upscale)
        self.upsample = nn.Sequential(
            *[_SubPixelBlock(num_feat, factor) for _ in range(stages)])
        self.conv_last = nn.Conv2d(num_feat, out_channels, 9, 1, 4)

    def forward(self, x: Tensor) -> Tensor:
        feat = self.prelu_first(self.conv_first(x))
        out = self.bn_body(self.conv_body(self.body(feat))) + feat
        return self.conv_last(self.upsample(out))
