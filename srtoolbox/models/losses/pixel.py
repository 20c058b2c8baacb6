"""Pixel losses: L1, MSE and Charbonnier, each with a weight and reduction."""
import torch
from torch import nn
from torch.nn import functional as F

from ...registry import LOSSES

__all__ = ['L1Loss', 'MSELoss', 'CharbonnierLoss', 'reduce_loss']

_REDUCTIONS = ('none', 'mean', 'sum')


def reduce_loss(loss, reduction):
    """Reduce an element-wise loss: 'none' | 'mean' | 'sum'."""
    if reduction == 'mean':
        return loss.mean()
    if reduction == 'sum':
        return loss.sum()
    return loss


class _PixelLoss(nn.Module):

    def __init__(self, *, loss_weight=1.0, reduction='mean'):
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(f'{type(self).__name__}: reduction must be one '
                             f'of {_REDUCTIONS}, got {reduction!r}')
        self.loss_weight = loss_weight
        self.reduction = reduction

    def elementwise(self, pred, target):
        raise NotImplementedError

    def forward(self, pred, target, weight=None):
        """``pred``, ``target``: (N, C, H, W); ``weight`` broadcastable."""
        loss = self.elementwise(pred, target)
        if weight is not None:
            loss = loss * weight
        return self.loss_weight * reduce_loss(loss, self.reduction)


@LOSSES.register_module()
class L1Loss(_PixelLoss):
    """Mean absolute error."""

    def elementwise(self, pred, target):
        return F.l1_loss(pred, target, reduction='none')


@LOSSES.register_module()
class MSELoss(_PixelLoss):
    """Mean squared error (SRResNet-MSE, SRGAN-MSE)."""

    def elementwise(self, pred, target):
        return F.mse_loss(pred, target, reduction='none')


@LOSSES.register_module()
class CharbonnierLoss(_PixelLoss):
    """sqrt((pred - target)^2 + eps), a differentiable L1 (LapSRN)."""

    def __init__(self, *, loss_weight=1.0, reduction='mean', eps=1e-12):
        super().__init__(loss_weight=loss_weight, reduction=reduction)
        self.eps = eps

    def elementwise(self, pred, target):
        return torch.sqrt((pred - target)**2 + self.eps)
