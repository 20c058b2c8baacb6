"""Pixel losses: L1, MSE, Charbonnier and a frequency (FFT) L1, each with a
weight and reduction."""
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from ...registry import LOSSES

__all__ = ['L1Loss', 'MSELoss', 'CharbonnierLoss', 'FFTLoss', 'reduce_loss']

_REDUCTIONS = ('none', 'mean', 'sum')


def reduce_loss(loss: Any, reduction: Any) -> Any:
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

    def elementwise(self, pred: Any, target: Any) -> Any:
        return F.l1_loss(pred, target, reduction='none')


@LOSSES.register_module()
class MSELoss(_PixelLoss):
    """Mean squared error (SRResNet-MSE, SRGAN-MSE)."""

    def elementwise(self, pred: Any, target: Any) -> Any:
        return F.mse_loss(pred, target, reduction='none')


@LOSSES.register_module()
class CharbonnierLoss(_PixelLoss):
    """sqrt((pred - target)^2 + eps), a differentiable L1 (LapSRN)."""

    def __init__(self, *, loss_weight: float = 1.0, reduction: str = 'mean',
                 eps: float = 1e-12) -> None:
        super().__init__(loss_weight=loss_weight, reduction=reduction)
        self.eps = eps

    def elementwise(self, pred: Any, target: Any) -> Any:
        return torch.sqrt((pred - target)**2 + self.eps)


@LOSSES.register_module()
class FFTLoss(_PixelLoss):
    """L1 distance of the 2-D Fourier transforms (frequency loss).

    ``|Re F(pred) - Re F(target)|`` and ``|Im F(pred) - Im F(target)|`` over
    the half spectrum ``torch.fft.rfft2`` gives, as the FFT losses of
    BasicSR-derived toolboxes (traiNNer-redux) do: it penalises lost high
    frequencies (blur) that a pixel L1 averages away. The transform runs in
    float32 (half-precision FFTs are not supported everywhere).

    Args:
        loss_weight (float): Default: 1.0 (0.05 to 0.1 beside an L1 of
            weight 1 with ``norm='backward'``).
        reduction (str): 'none' | 'mean' | 'sum'. Default: 'mean'.
        norm (str): ``torch.fft`` normalisation: ``'backward'`` (none, the
            usual choice; the loss grows with the image size), ``'ortho'``
            (1/sqrt(H*W)) or ``'forward'`` (1/(H*W)). Default: 'backward'.

    ``forward(pred, target)``: ``(N, C, H, W)``; 'none' gives
    ``(N, C, H, W // 2 + 1, 2)`` (real and imaginary parts).
    """

    def __init__(self, *, loss_weight: float = 1.0, reduction: str = 'mean',
                 norm: str = 'backward') -> None:
        super().__init__(loss_weight=loss_weight, reduction=reduction)
        if norm not in ('backward', 'ortho', 'forward'):
            raise ValueError(f"FFTLoss: norm must be 'backward', 'ortho' or "
                             f"'forward', got {norm!r}")
        self.norm = norm

    def _spectrum(self, x):
        freq = torch.fft.rfft2(x.float(), dim=(-2, -1), norm=self.norm)
        return torch.view_as_real(freq)

    def elementwise(self, pred: Any, target: Any) -> Any:
        return F.l1_loss(self._spectrum(pred), self._spectrum(target),
                         reduction='none')
