"""LDL, the locally discriminative learning loss (Liang, Zeng, Zhang,
"Details or Artifacts: A Locally Discriminative Learning Approach to
Realistic Image Super-Resolution", CVPR 2022).

GAN-trained SR networks make two kinds of high-frequency content: details
and artifacts. LDL finds the artifacts from the residual ``r = sum_c |gt -
sr|`` (summed over channels, ``(N, 1, H, W)``):

* patch level: ``var(r) ** (1/5)`` over the whole image (sample variance);
* pixel level: the sample variance of ``r`` in a ``ksize x ksize`` window
  around each pixel (reflect padding);
* their product is the artifact map ``M``; where the EMA generator's
  residual is larger than the current one (``r_sr < r_ema``: the pixel
  is improving, a detail rather than an artifact), ``M = 0``.

The loss is ``loss_weight * L1(M * sr, M * gt)``, the mean absolute error
of the weighted images, as the authors' code computes it (``ksize`` 7,
weight 1 there; the map is not detached). Pinned against a reference
written from the paper's equations in the tests.

The refinement needs the EMA generator's output: ``forward(pred, target,
pred_ema)``. Without it (``pred_ema=None``, a model that calls losses as
``loss(output, gt)``) the map is used unrefined, as neosr's ``ldl_loss``
does. The class declares ``needs_ema_output = True`` for the training
wrappers to see.
"""
from torch import nn
from torch.nn import functional as F

from ...registry import LOSSES

__all__ = ['LDLLoss', 'artifact_map']


def _local_variance(residual, ksize):
    pad = (ksize - 1) // 2
    padded = F.pad(residual, (pad, pad, pad, pad), mode='reflect')
    windows = padded.unfold(2, ksize, 1).unfold(3, ksize, 1)
    return windows.flatten(-2).var(dim=-1, unbiased=True)


def artifact_map(gt, sr, sr_ema=None, ksize=7):
    """The LDL artifact map ``(N, 1, H, W)`` (>= 0).

    ``gt``, ``sr``, ``sr_ema``: ``(N, C, H, W)``; ``sr_ema`` None skips the
    refinement by the EMA output.
    """
    residual = (gt - sr).abs().sum(1, keepdim=True)
    patch = residual.var(dim=(1, 2, 3), unbiased=True, keepdim=True)**0.2
    weight = patch * _local_variance(residual, ksize)
    if sr_ema is not None:
        residual_ema = (gt - sr_ema).abs().sum(1, keepdim=True)
        weight = weight.masked_fill(residual < residual_ema, 0)
    return weight


@LOSSES.register_module()
class LDLLoss(nn.Module):
    """``loss_weight * mean |M * pred - M * target|``, ``M`` the artifact map.

    Args:
        loss_weight (float): Default: 1.0 (the paper's, beside an L1 of 1,
            a perceptual loss of 1 and a GAN loss of 0.1).
        ksize (int): the local window, odd. Default: 7.

    ``forward(pred, target, pred_ema=None)``: ``(N, C, H, W)`` each, H and
    W larger than ``ksize // 2`` (reflect padding); ``pred_ema`` is the EMA
    generator's output for the same input (no gradient needed). A scalar.
    """

    # a model that keeps an EMA generator may pass its output as the third
    # argument when a loss declares it wants it
    needs_ema_output = True

    def __init__(self, *, loss_weight=1.0, ksize=7):
        super().__init__()
        if not (isinstance(ksize, int) and ksize >= 3 and ksize % 2):
            raise ValueError(f'LDLLoss: ksize must be an odd int >= 3, got '
                             f'{ksize!r}')
        self.loss_weight = loss_weight
        self.ksize = ksize

    def forward(self, pred, target, pred_ema=None):
        if pred.shape != target.shape or (
                pred_ema is not None and pred_ema.shape != pred.shape):
            raise ValueError('LDLLoss: pred, target (and pred_ema) must have '
                             f'the same shape, got {tuple(pred.shape)}, '
                             f'{tuple(target.shape)}')
        if min(pred.shape[-2:]) <= self.ksize // 2:
            raise ValueError(f'LDLLoss: images of {pred.shape[-1]}x'
                             f'{pred.shape[-2]} are too small for ksize='
                             f'{self.ksize}')
        if pred_ema is not None:
            pred_ema = pred_ema.detach()
        weight = artifact_map(target, pred, pred_ema, self.ksize)
        return self.loss_weight * F.l1_loss(weight * pred, weight * target)

    def extra_repr(self):
        return f'loss_weight={self.loss_weight}, ksize={self.ksize}'
