"""Focal frequency loss (Jiang, Dai, Wu, Loy, "Focal Frequency Loss for
Image Reconstruction and Synthesis", ICCV 2021).

Each image (or each of ``patch_factor ** 2`` patches) goes through an
orthonormal 2-D DFT; the loss is the mean over frequencies of
``w(u, v) * |F_pred(u, v) - F_target(u, v)|^2``, where the spectrum weight
``w = |F_pred - F_target| ** alpha`` is scaled to [0, 1] by its maximum
(per image, patch and channel, or over the batch) and detached: the
frequencies the network reproduces worst get the most weight. Equal to the
authors' ``focal-frequency-loss`` package to 1e-6 (pinned in the tests).
"""
import torch
from torch import nn

from ...registry import LOSSES

__all__ = ['FocalFrequencyLoss']


@LOSSES.register_module()
class FocalFrequencyLoss(nn.Module):
    """Focal frequency loss.

    Args:
        loss_weight (float): Default: 1.0.
        alpha (float): exponent of the spectrum weight. Default: 1.0.
        patch_factor (int): split each image into ``patch_factor ** 2``
            patches first (H and W must be multiples). Default: 1.
        ave_spectrum (bool): compare the batch-mean spectra. Default: False.
        log_matrix (bool): weight ``log(1 + w)`` instead of ``w``.
            Default: False.
        batch_matrix (bool): scale the weights by their maximum over the
            batch instead of per image. Default: False.

    ``forward(pred, target, matrix=None)``: ``(N, C, H, W)`` each; a
    predefined ``matrix`` of weights in [0, 1] replaces the dynamic one.
    Returns a scalar. The DFT runs in float32 at least.
    """

    def __init__(self, *, loss_weight=1.0, alpha=1.0, patch_factor=1,
                 ave_spectrum=False, log_matrix=False, batch_matrix=False):
        super().__init__()
        if not (isinstance(patch_factor, int) and patch_factor >= 1):
            raise ValueError(f'FocalFrequencyLoss: patch_factor must be an '
                             f'int >= 1, got {patch_factor!r}')
        self.loss_weight = loss_weight
        self.alpha = alpha
        self.patch_factor = patch_factor
        self.ave_spectrum = ave_spectrum
        self.log_matrix = log_matrix
        self.batch_matrix = batch_matrix

    def _spectrum(self, x):
        """``(N, P, C, h, w, 2)``: real and imaginary parts per patch."""
        n, c, h, w = x.shape
        p = self.patch_factor
        if h % p or w % p:
            raise ValueError(f'FocalFrequencyLoss: patch_factor={p} must '
                             f'divide H and W, got {h}x{w}')
        # (N, C, p, h/p, p, w/p) -> (N, p*p, C, h/p, w/p), row-major patches
        patches = x.reshape(n, c, p, h // p, p, w // p)
        patches = patches.permute(0, 2, 4, 1, 3, 5).reshape(
            n, p * p, c, h // p, w // p)
        dtype = torch.promote_types(x.dtype, torch.float32)
        freq = torch.fft.fft2(patches.to(dtype), norm='ortho')
        return torch.stack([freq.real, freq.imag], -1)

    def _weights(self, diff2):
        weight = diff2.sum(-1).sqrt() ** self.alpha
        if self.log_matrix:
            weight = torch.log(weight + 1.0)
        if self.batch_matrix:
            weight = weight / weight.max()
        else:
            weight = weight / weight.amax(dim=(-2, -1), keepdim=True)
        # 0/0 where prediction and target agree everywhere
        weight = torch.nan_to_num(weight, nan=0.0).clamp(0.0, 1.0)
        return weight.detach()

    def forward(self, pred, target, matrix=None):
        if pred.shape != target.shape:
            raise ValueError(f'FocalFrequencyLoss: shapes differ, '
                             f'{tuple(pred.shape)} and {tuple(target.shape)}')
        pred_freq, target_freq = self._spectrum(pred), self._spectrum(target)
        if self.ave_spectrum:
            pred_freq = pred_freq.mean(0, keepdim=True)
            target_freq = target_freq.mean(0, keepdim=True)
        diff2 = (pred_freq - target_freq)**2
        weight = self._weights(diff2) if matrix is None else matrix.detach()
        return self.loss_weight * (weight * diff2.sum(-1)).mean()

    def extra_repr(self):
        return (f'loss_weight={self.loss_weight}, alpha={self.alpha}, '
                f'patch_factor={self.patch_factor}')
