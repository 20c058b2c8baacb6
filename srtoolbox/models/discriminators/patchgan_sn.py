"""PatchGAN discriminator with spectral normalisation, one or several
scales (pix2pix, Isola et al., CVPR 2017; pix2pixHD's multi-scale version,
Wang et al., CVPR 2018; spectral normalisation, Miyato et al., ICLR 2018).

Each scale is pix2pix's ``NLayerDiscriminator`` with every convolution
spectrally normalised instead of batch-normalised (the choice of
traiNNer-redux and neosr for SR): a 4x4 stride-2 conv from ``num_feat``
channels, ``num_layers - 1`` more stride-2 convs doubling the channels (at
most 8x), a stride-1 conv and a 1-channel stride-1 head, LeakyReLU 0.2
between them. Every logit judges one patch (70x70 pixels with three
layers), so the GAN loss sees texture rather than the whole image.

Scale ``k`` (of ``num_scales``) sees the input average-pooled ``k`` times
(3x3, stride 2, padding not counted), as pix2pixHD.
"""
import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils import spectral_norm

from ...registry import DISCRIMINATORS

__all__ = ['PatchGANDiscriminatorSN']


def _patch_net(in_channels, num_feat, num_layers, use_sn):
    wrap = spectral_norm if use_sn else (lambda conv: conv)
    layers, channels = [], in_channels
    for i in range(num_layers + 1):
        out = num_feat * min(2**i, 8)
        stride = 2 if i < num_layers else 1
        layers += [wrap(nn.Conv2d(channels, out, 4, stride, 1)),
                   nn.LeakyReLU(0.2)]
        channels = out
    layers.append(wrap(nn.Conv2d(channels, 1, 4, 1, 1)))
    return nn.Sequential(*layers)


@DISCRIMINATORS.register_module()
class PatchGANDiscriminatorSN(nn.Module):
    """PatchGAN with spectral normalisation.

    Args:
        in_channels (int): input channels. Default: 3.
        num_feat (int): channels of the first conv. Default: 64.
        num_layers (int): stride-2 convs per scale (3: 70x70 patches).
            Default: 3.
        num_scales (int): discriminators on the input, the input pooled
            once, twice... (pix2pixHD uses 3). Default: 1.
        use_sn (bool): spectral normalisation on every conv. Default: True.

    Input ``(N, in_channels, H, W)``, H and W at least ``2 ** (num_layers
    + num_scales - 1) * 3``. Output, raw logits: ``(N, 1, h, w)``, one per
    patch, with one scale; with several, each scale's map flattened and
    concatenated, ``(N, sum_k h_k * w_k)`` (a mean over it counts every
    patch once, so a coarser scale, with about a quarter of the patches,
    weighs about a quarter as much as the one before it; pix2pixHD adds
    the per-scale means instead). 2,764,737 parameters with the defaults.
    """

    def __init__(self, *, in_channels=3, num_feat=64, num_layers=3,
                 num_scales=1, use_sn=True):
        super().__init__()
        for name, value in (('num_layers', num_layers),
                            ('num_scales', num_scales),
                            ('num_feat', num_feat)):
            if not (isinstance(value, int) and value >= 1):
                raise ValueError(f'PatchGANDiscriminatorSN: {name} must be '
                                 f'an int >= 1, got {value!r}')
        self.num_layers, self.num_scales = num_layers, num_scales
        self.scales = nn.ModuleList(
            _patch_net(in_channels, num_feat, num_layers, use_sn)
            for _ in range(num_scales))

    @property
    def min_size(self):
        """The smallest input side every scale can judge."""
        return 2**(self.num_layers + self.num_scales - 1) * 3

    def forward(self, x):
        if min(x.shape[-2:]) < self.min_size:
            raise ValueError(
                f'PatchGANDiscriminatorSN(num_layers={self.num_layers}, '
                f'num_scales={self.num_scales}) needs inputs of at least '
                f'{self.min_size}x{self.min_size}, got '
                f'{x.shape[-1]}x{x.shape[-2]}')
        if self.num_scales == 1:
            return self.scales[0](x)
        outputs = []
        for k, net in enumerate(self.scales):
            if k:
                x = F.avg_pool2d(x, 3, stride=2, padding=1,
                                 count_include_pad=False)
            outputs.append(net(x).flatten(1))
        return torch.cat(outputs, dim=1)
