"""Building blocks shared by several networks."""
import math

import torch
from torch import nn
from torch.nn import init

__all__ = ['default_init_weights', 'make_layer', 'ResidualBlockNoBN',
           'check_scale']


@torch.no_grad()
def default_init_weights(module_list, scale=1.0, bias_fill=0.0):
    """Kaiming-normal init for conv/linear layers, scaled by ``scale``.

    Residual networks without BN train better when the last layers of each
    block start small (``scale`` = 0.1), as in EDSR/ESRGAN/MSRResNet.
    """
    if not isinstance(module_list, (list, tuple)):
        module_list = [module_list]
    for module in module_list:
        for m in module.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                init.kaiming_normal_(m.weight)
                m.weight.mul_(scale)
                if m.bias is not None:
                    m.bias.fill_(bias_fill)
            elif isinstance(m, nn.modules.batchnorm._BatchNorm):
                init.constant_(m.weight, 1)
                if m.bias is not None:
                    m.bias.fill_(bias_fill)


def make_layer(block, num_blocks, **kwargs):
    """``nn.Sequential`` of ``num_blocks`` instances of ``block(**kwargs)``."""
    return nn.Sequential(*[block(**kwargs) for _ in range(num_blocks)])


class ResidualBlockNoBN(nn.Module):
    """conv-ReLU-conv with identity skip and no BN (EDSR, MSRResNet).

    Parameter names (``conv1``, ``conv2``) follow BasicSR.
    """

    def __init__(self, num_feat=64, res_scale=1.0, pytorch_init=False):
        super().__init__()
        self.res_scale = res_scale
        self.conv1 = nn.Conv2d(num_feat, num_feat, 3, 1, 1, bias=True)
        self.conv2 = nn.Conv2d(num_feat, num_feat, 3, 1, 1, bias=True)
        self.relu = nn.ReLU(inplace=True)
        if not pytorch_init:
            default_init_weights([self.conv1, self.conv2], 0.1)

    def forward(self, x):
        return x + self.conv2(self.relu(self.conv1(x))) * self.res_scale


def check_scale(name, upscale, supported):
    """Raise a clear ``ValueError`` when ``upscale`` is not supported."""
    if upscale not in supported:
        raise ValueError(
            f'{name} supports upscale in {sorted(supported)}, got {upscale!r}')


def num_pixel_shuffle_stages(upscale):
    """(factor, count) of sub-pixel stages for ``upscale``: x4 = two x2."""
    if upscale & (upscale - 1) == 0:
        return 2, int(math.log2(upscale))
    if upscale == 3:
        return 3, 1
    raise ValueError(f'no sub-pixel decomposition for upscale {upscale}')
