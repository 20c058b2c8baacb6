"""U-Net discriminator with spectral normalisation (Real-ESRGAN, Wang et
al., ICCVW 2021, Sec. 3.3).

A per-pixel realness map instead of one logit: three stride-2 4x4 convs
down (num_feat -> 2x -> 4x -> 8x), three bilinear x2 + 3x3 conv stages up
with skip connections to the encoder, two more 3x3 convs and a 1-channel
3x3 head. Every conv but the first and the last is spectrally normalised
(``torch.nn.utils.spectral_norm``: ``weight_orig``, ``weight_u``,
``weight_v``), so BasicSR's ``UNetDiscriminatorSN`` checkpoints load as they
are and give the same outputs.
"""
from torch import Tensor, nn
from torch.nn import functional as F
from torch.nn.utils import spectral_norm

from ...registry import DISCRIMINATORS

__all__ = ['UNetDiscriminatorSN']


def _lrelu(x):
    return F.leaky_relu(x, negative_slope=0.2)


def _up(x):
    return F.interpolate(x, scale_factor=2, mode='bilinear',
                         align_corners=False)


@DISCRIMINATORS.register_module()
class UNetDiscriminatorSN(nn.Module):
    """U-Net discriminator with spectral normalisation.

    Args:
        in_channels (int): input channels. Default: 3.
        num_feat (int): channels of the first stage. Default: 64.
        skip_connection (bool): add encoder features to the decoder's.
            Default: True.

    Input ``(N, in_channels, H, W)`` with H, W multiples of 8; output
    ``(N, 1, H, W)`` raw logits, one per pixel. 4,376,897 parameters with
    the defaults.
    """

    def __init__(self, *, in_channels: int = 3, num_feat: int = 64,
                 skip_connection: bool = True) -> None:
        super().__init__()
        self.skip_connection = skip_connection
        f = num_feat

        def sn_conv(cin, cout, k, s):
            return spectral_norm(nn.Conv2d(cin, cout, k, s, 1, bias=False))

        self.conv0 = nn.Conv2d(in_channels, f, 3, 1, 1)
        self.conv1 = sn_conv(f, f * 2, 4, 2)
        self.conv2 = sn_conv(f * 2, f * 4, 4, 2)
        self.conv3 = sn_conv(f * 4, f * 8, 4, 2)
        self.conv4 = sn_conv(f * 8, f * 4, 3, 1)
        self.conv5 = sn_conv(f * 4, f * 2, 3, 1)
        self.conv6 = sn_conv(f * 2, f, 3, 1)
        self.conv7 = sn_conv(f, f, 3, 1)
        self.conv8 = sn_conv(f, f, 3, 1)
        self.conv9 = nn.Conv2d(f, 1, 3, 1, 1)

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1] % 8 or x.shape[-2] % 8:
            raise ValueError(f'UNetDiscriminatorSN needs H and W multiples '
                             f'of 8, got {tuple(x.shape[-2:])}')
        x0 = _lrelu(self.conv0(x))
        x1 = _lrelu(self.conv1(x0))
        x2 = _lrelu(self.conv2(x1))
        x3 = _lrelu(self.conv3(x2))
        skips = (x2, x1, x0) if self.skip_connection else (0, 0, 0)
        x4 = _lrelu(self.conv4(_up(x3))) + skips[0]
        x5 = _lrelu(self.conv5(_up(x4))) + skips[1]
        x6 = _lrelu(self.conv6(_up(x5))) + skips[2]
        out = _lrelu(self.conv7(x6))
        out = _lrelu(self.conv8(out))
        return self.conv9(out)
