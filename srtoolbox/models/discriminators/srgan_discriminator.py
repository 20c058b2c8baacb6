"""SRGAN discriminator, as in Ledig et al., CVPR 2017 (SRGAN paper), Figure 4.

Eight 3x3 convolutions (padding 1) n64s1, n64s2, n128s1, n128s2, n256s1,
n256s2, n512s1, n512s2, each followed by LeakyReLU(0.2) and all but the first
by BatchNorm; then flatten, dense 1024, LeakyReLU(0.2), dense 1. The paper
ends with a sigmoid; here the network returns the raw logit and the sigmoid
lives in the loss (``GANLoss(gan_type='vanilla')`` is BCE-with-logits), which
is the same function, computed stably.

The convolutions followed by BatchNorm have no bias: BN's shift makes it
redundant (the paper does not say; TensorLayer's reference SRGAN does the
same).
"""
from typing import List

from torch import Tensor, nn

from ...registry import DISCRIMINATORS

__all__ = ['SRGANDiscriminator']


@DISCRIMINATORS.register_module()
class SRGANDiscriminator(nn.Module):
    """SRGAN discriminator (Figure 4 of the paper).

    Args:
        in_channels (int): input channels. Default: 3.
        num_feat (int): channels of the first conv; the later ones use 2x,
            4x and 8x. Default: 64 (the paper).
        input_size (int): height = width of the input it takes, a positive
            multiple of 16 (four stride-2 convs halve it exactly).
            Default: 96 (the paper's HR crop).

    Input ``(N, in_channels, input_size, input_size)`` in the HR range the
    generator produces; output ``(N, 1)`` raw logits (no sigmoid).
    23,563,649 parameters with the defaults (18,876,417 of them in the two
    dense layers on the 512x6x6 map).
    """

    def __init__(self, *, in_channels: int = 3, num_feat: int = 64,
                 input_size: int = 96) -> None:
        super().__init__()
        if (not isinstance(input_size, int) or input_size <= 0
                or input_size % 16):
            raise ValueError(
                f'SRGANDiscriminator takes square inputs whose size is a '
                f'positive multiple of 16 (four stride-2 convs), got '
                f'input_size={input_size!r}; crop the HR patches to e.g. 96 '
                f'(the paper) or 128')
        self.input_size = input_size
        # (out channels, stride) of the eight convs, in units of num_feat
        plan = [(1, 1), (1, 2), (2, 1), (2, 2), (4, 1), (4, 2), (8, 1), (8, 2)]
        layers: List[nn.Module] = []
        channels = in_channels
        for i, (mult, stride) in enumerate(plan):
            out = num_feat * mult
            layers.append(nn.Conv2d(channels, out, 3, stride, 1, bias=i == 0))
            if i > 0:
                layers.append(nn.BatchNorm2d(out))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            channels = out
        self.features = nn.Sequential(*layers)
        final_size = input_size // 16
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(channels * final_size * final_size, 1024),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(1024, 1))

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-2:] != (self.input_size, self.input_size):
            raise ValueError(
                f'SRGANDiscriminator was built for input_size='
                f'{self.input_size} ({self.input_size}x{self.input_size} '
                f'inputs) but got {x.shape[-2]}x{x.shape[-1]}; set input_size '
                f'to the HR crop size (gt_patch_size)')
        return self.classifier(self.features(x))
