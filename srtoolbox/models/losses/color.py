"""Colour and luma consistency losses, as traiNNer-redux and neosr train
with (``ColorLoss``/``colorloss``, ``LumaLoss``): a criterion on the chroma
(or the luma) of both images, so a perceptual or GAN loss cannot drift the
hue while a small pixel loss keeps the structure.

Chroma is Cb and Cr of YCbCr (ITU-R BT.601, full range: Cb, Cr in
[-0.5, 0.5] for RGB in [0, 1]) or a and b of Oklab (Ottosson 2020, from
linear sRGB); luma is the BT.601 Y. Images are mapped from ``input_range``
to [0, 1] first.
"""
import torch
from torch import nn
from torch.nn import functional as F

from ...registry import LOSSES
from ._range import check_input_range, to_unit_range

__all__ = ['ColorLoss', 'LumaLoss', 'rgb_to_ycbcr', 'rgb_to_oklab']

# BT.601 full range, rows Y, Cb, Cr (Cb, Cr centred on 0)
_YCBCR = ((0.299, 0.587, 0.114),
          (-0.168736, -0.331264, 0.5),
          (0.5, -0.418688, -0.081312))
# Oklab (https://bottosson.github.io/posts/oklab/): linear sRGB -> LMS,
# then cube roots -> Lab
_OKLAB_M1 = ((0.4122214708, 0.5363325363, 0.0514459929),
             (0.2119034982, 0.6806995451, 0.1073969566),
             (0.0883024619, 0.2817188376, 0.6299787005))
_OKLAB_M2 = ((0.2104542553, 0.7936177850, -0.0040720468),
             (1.9779984951, -2.4285922050, 0.4505937099),
             (0.0259040371, 0.7827717662, -0.8086757660))


def _mix(x, matrix):
    m = x.new_tensor(matrix)
    return torch.einsum('oc,nchw->nohw', m, x)


def rgb_to_ycbcr(x):
    """``(N, 3, H, W)`` RGB in [0, 1] -> YCbCr, Y in [0, 1], Cb/Cr in
    [-0.5, 0.5] (BT.601 full range)."""
    return _mix(x, _YCBCR)


def rgb_to_oklab(x):
    """``(N, 3, H, W)`` sRGB in [0, 1] -> Oklab (L in [0, 1], a and b
    about [-0.4, 0.4])."""
    x = x.clamp(0, 1)
    linear = torch.where(x <= 0.04045, x / 12.92,
                         ((x + 0.055) / 1.055)**2.4)
    lms = _mix(linear, _OKLAB_M1)
    # the cube root's slope is infinite at 0: keep the gradient finite
    lms = torch.sign(lms) * (lms.abs() + 1e-8)**(1 / 3)
    return _mix(lms, _OKLAB_M2)


def _criterion(name, owner):
    if name == 'l1':
        return F.l1_loss
    if name == 'l2':
        return F.mse_loss
    if name == 'charbonnier':
        return lambda a, b: torch.sqrt((a - b)**2 + 1e-12).mean()
    if name == 'huber':
        return F.smooth_l1_loss
    raise ValueError(f"{owner}: criterion must be 'l1', 'l2', 'charbonnier' "
                     f"or 'huber', got {name!r}")


class _ColourSpaceLoss(nn.Module):

    def __init__(self, *, loss_weight=1.0, criterion='l1',
                 input_range=(0, 1), avgpool=1):
        super().__init__()
        name = type(self).__name__
        if not (isinstance(avgpool, int) and avgpool >= 1):
            raise ValueError(f'{name}: avgpool must be an int >= 1, got '
                             f'{avgpool!r}')
        self.loss_weight = loss_weight
        self.criterion = criterion
        self._criterion = _criterion(criterion, name)
        self.input_range = check_input_range(name, input_range)
        self.avgpool = avgpool

    def channels(self, x):
        raise NotImplementedError

    def forward(self, pred, target):
        """``(N, 3, H, W)`` RGB each, in ``input_range``; a scalar."""
        if pred.shape != target.shape or pred.ndim != 4 or \
                pred.shape[1] != 3:
            raise ValueError(f'{type(self).__name__} compares two (N, 3, H, '
                             f'W) RGB tensors, got {tuple(pred.shape)} and '
                             f'{tuple(target.shape)}')
        a = self.channels(to_unit_range(pred.float(), self.input_range))
        b = self.channels(to_unit_range(target.float(), self.input_range))
        if self.avgpool > 1:  # compare colour at a coarser scale
            a, b = F.avg_pool2d(a, self.avgpool), F.avg_pool2d(b, self.avgpool)
        return self.loss_weight * self._criterion(a, b)

    def extra_repr(self):
        return (f'loss_weight={self.loss_weight}, criterion='
                f'{self.criterion!r}, input_range={self.input_range}')


@LOSSES.register_module()
class ColorLoss(_ColourSpaceLoss):
    """A criterion on the chroma channels only.

    Args:
        loss_weight (float): Default: 1.0.
        criterion (str): 'l1' | 'l2' | 'charbonnier' | 'huber'.
            Default: 'l1'.
        space (str): 'ycbcr' (Cb, Cr; traiNNer-redux's and neosr's) or
            'oklab' (a, b). Default: 'ycbcr'.
        input_range (tuple): Default: (0, 1).
        avgpool (int): average-pool both chroma maps by this factor first
            (neosr's ``avgpool`` option: colour at a coarser scale).
            Default: 1 (none).
    """

    def __init__(self, *, space='ycbcr', **kwargs):
        super().__init__(**kwargs)
        if space not in ('ycbcr', 'oklab'):
            raise ValueError(f"ColorLoss: space must be 'ycbcr' or 'oklab', "
                             f'got {space!r}')
        self.space = space

    def channels(self, x):
        if self.space == 'oklab':
            return rgb_to_oklab(x)[:, 1:]
        return rgb_to_ycbcr(x)[:, 1:]


@LOSSES.register_module()
class LumaLoss(_ColourSpaceLoss):
    """A criterion on the BT.601 luma (Y) only; arguments as
    :class:`ColorLoss` without ``space``."""

    def channels(self, x):
        return rgb_to_ycbcr(x)[:, :1]
