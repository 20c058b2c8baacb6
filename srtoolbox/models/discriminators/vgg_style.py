"""VGG-style discriminator of ESRGAN (and BasicSR/MMagic's SRGAN recipes).

Five (or six, for 256x256 inputs) stages, each a 3x3 stride-1 conv and a 4x4
stride-2 conv, with BatchNorm after every conv but the first and
LeakyReLU(0.2) after each; channels num_feat, 2x, 4x, 8x, 8x (, 8x). The
4x4 map of 8*num_feat channels goes through dense 100, LeakyReLU(0.2),
dense 1. Parameter names (``conv0_0`` ... ``bn4_1``, ``linear1``,
``linear2``) follow BasicSR's ``VGGStyleDiscriminator``, so its checkpoints
load as they are.
"""
from torch import Tensor, nn

from ...registry import DISCRIMINATORS

__all__ = ['VGGStyleDiscriminator']


@DISCRIMINATORS.register_module()
class VGGStyleDiscriminator(nn.Module):
    """VGG-style discriminator for 128x128 or 256x256 inputs.

    Args:
        in_channels (int): input channels. Default: 3.
        num_feat (int): channels of the first stage. Default: 64.
        input_size (int): 128 or 256, height = width of the input.
            Default: 128.

    Input ``(N, in_channels, input_size, input_size)``; output ``(N, 1)``
    raw logits. 14,499,401 parameters with the defaults.
    """
    SUPPORTED_SIZES = (128, 256)
    # made with setattr in a loop; named here for the type checker
    conv0_0: nn.Conv2d
    conv0_1: nn.Conv2d
    bn0_1: nn.BatchNorm2d

    def __init__(self, *, in_channels: int = 3, num_feat: int = 64,
                 input_size: int = 128) -> None:
        super().__init__()
        if input_size not in self.SUPPORTED_SIZES:
            raise ValueError(
                f'VGGStyleDiscriminator supports input_size in '
                f'{list(self.SUPPORTED_SIZES)}, got {input_size!r}; use '
                f'SRGANDiscriminator for other multiples of 16')
        self.input_size = input_size
        self.num_stages = 5 if input_size == 128 else 6
        mults = [1, 2, 4, 8, 8, 8][:self.num_stages]
        channels = in_channels
        for i, mult in enumerate(mults):
            out = num_feat * mult
            # conv0_0 alone has a bias and no BN
            setattr(self, f'conv{i}_0',
                    nn.Conv2d(channels, out, 3, 1, 1, bias=i == 0))
            if i > 0:
                setattr(self, f'bn{i}_0', nn.BatchNorm2d(out))
            setattr(self, f'conv{i}_1', nn.Conv2d(out, out, 4, 2, 1,
                                                  bias=False))
            setattr(self, f'bn{i}_1', nn.BatchNorm2d(out))
            channels = out
        self.linear1 = nn.Linear(channels * 4 * 4, 100)
        self.linear2 = nn.Linear(100, 1)
        self.lrelu = nn.LeakyReLU(0.2, inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-2:] != (self.input_size, self.input_size):
            raise ValueError(
                f'VGGStyleDiscriminator was built for input_size='
                f'{self.input_size} ({self.input_size}x{self.input_size} '
                f'inputs) but got {x.shape[-2]}x{x.shape[-1]}; set '
                f'input_size to the HR crop size (gt_patch_size)')
        feat = self.lrelu(self.conv0_0(x))
        feat = self.lrelu(self.bn0_1(self.conv0_1(feat)))
        for i in range(1, self.num_stages):
            feat = self.lrelu(getattr(self, f'bn{i}_0')(
                getattr(self, f'conv{i}_0')(feat)))
            feat = self.lrelu(getattr(self, f'bn{i}_1')(
                getattr(self, f'conv{i}_1')(feat)))
        return self.linear2(self.lrelu(self.linear1(feat.flatten(1))))
