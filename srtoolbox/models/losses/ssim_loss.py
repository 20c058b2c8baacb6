"""Structural losses: SSIM, MS-SSIM and Zhao et al.'s MS-SSIM + L1 mix.

Z. Wang, A. C. Bovik, H. R. Sheikh, E. P. Simoncelli, "Image Quality
Assessment: From Error Visibility to Structural Similarity", TIP 2004;
Z. Wang, E. P. Simoncelli, A. C. Bovik, "Multiscale Structural Similarity
for Image Quality Assessment", Asilomar 2003; H. Zhao, O. Gallo, I. Frosio,
J. Kautz, "Loss Functions for Image Restoration with Neural Networks",
IEEE TCI 2017.

The index is computed as the ``pytorch-msssim`` package computes it (equal
to it to 1e-5, pinned in the tests): an 11-tap Gaussian window of sigma
1.5, separable and without padding ("valid"), per channel; K = (0.01,
0.03); MS-SSIM over five scales with weights (0.0448, 0.2856, 0.3001,
0.2363, 0.1333), 2x2 average pooling between scales (padded by one where a
side is odd), the contrast-structure terms of the first four scales and the
full index of the last clamped at 0. Images are mapped from ``input_range``
to [0, 1] (data range 1) first, so the loss does not depend on the range
the model trains in. These are the training losses; the PSNR/SSIM of the
evaluation (MATLAB's, on Y) are in :mod:`srtoolbox.evaluation`.
"""
import torch
from torch import nn
from torch.nn import functional as F

from ...registry import LOSSES
from ._range import check_input_range, to_unit_range

__all__ = ['SSIMLoss', 'MSSSIMLoss', 'MSSSIML1Loss', 'ssim', 'ms_ssim']

MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def _gaussian_window(size, sigma, dtype, device):
    coords = torch.arange(size, dtype=torch.float32) - size // 2
    g = torch.exp(-coords**2 / (2 * sigma**2))
    return (g / g.sum()).to(device=device, dtype=dtype)


def _blur(x, window):
    """Separable "valid" Gaussian blur, per channel."""
    n, c, h, w = x.shape
    k = window.numel()
    # channels folded into the batch: one single-channel convolution
    # (faster on CPU than a grouped one)
    x = F.conv2d(x.reshape(n * c, 1, h, w), window.view(1, 1, k, 1))
    x = F.conv2d(x, window.view(1, 1, 1, k))
    return x.reshape(n, c, h - k + 1, w - k + 1)


def _ssim_and_cs(x, y, window, data_range, k=(0.01, 0.03)):
    """Per-image, per-channel SSIM and contrast-structure terms, (N, C)."""
    c1, c2 = (k[0] * data_range)**2, (k[1] * data_range)**2
    mu_x, mu_y = _blur(x, window), _blur(y, window)
    var_x = _blur(x * x, window) - mu_x**2
    var_y = _blur(y * y, window) - mu_y**2
    cov = _blur(x * y, window) - mu_x * mu_y
    cs_map = (2 * cov + c2) / (var_x + var_y + c2)
    ssim_map = (2 * mu_x * mu_y + c1) / (mu_x**2 + mu_y**2 + c1) * cs_map
    return ssim_map.flatten(2).mean(-1), cs_map.flatten(2).mean(-1)


def _check_pair(owner, x, y, min_side):
    if x.shape != y.shape or x.ndim != 4:
        raise ValueError(f'{owner} compares two (N, C, H, W) tensors of the '
                         f'same shape, got {tuple(x.shape)} and '
                         f'{tuple(y.shape)}')
    if min(x.shape[-2:]) < min_side:
        raise ValueError(f'{owner} needs images of at least {min_side}x'
                         f'{min_side}, got {x.shape[-1]}x{x.shape[-2]} '
                         '(use larger crops or a smaller win_size)')


def ssim(x, y, data_range=1.0, win_size=11, win_sigma=1.5):
    """SSIM per image, ``(N,)`` (mean over channels and positions).

    ``x``, ``y``: ``(N, C, H, W)``, H and W at least ``win_size``.
    """
    _check_pair('SSIM', x, y, win_size)
    window = _gaussian_window(win_size, win_sigma, x.dtype, x.device)
    return _ssim_and_cs(x, y, window, data_range)[0].mean(1)


def ms_ssim(x, y, data_range=1.0, win_size=11, win_sigma=1.5,
            weights=MS_SSIM_WEIGHTS):
    """MS-SSIM per image, ``(N,)``.

    ``x``, ``y``: ``(N, C, H, W)``; the smaller side must exceed
    ``(win_size - 1) * 2 ** (len(weights) - 1)`` (160 by default) so the
    window fits the coarsest scale.
    """
    levels = len(weights)
    _check_pair('MS-SSIM', x, y, (win_size - 1) * 2**(levels - 1) + 1)
    window = _gaussian_window(win_size, win_sigma, x.dtype, x.device)
    terms = []
    for level in range(levels):
        ssim_val, cs = _ssim_and_cs(x, y, window, data_range)
        if level < levels - 1:
            terms.append(torch.relu(cs))
            padding = [s % 2 for s in x.shape[-2:]]
            x = F.avg_pool2d(x, kernel_size=2, padding=padding)
            y = F.avg_pool2d(y, kernel_size=2, padding=padding)
    terms.append(torch.relu(ssim_val))
    power = x.new_tensor(weights).view(-1, 1, 1)
    return torch.prod(torch.stack(terms) ** power, dim=0).mean(1)


class _StructuralLoss(nn.Module):
    """Shared arguments: ``loss_weight``, ``input_range``, the window;
    ``index`` is the similarity the loss is one minus."""
    index = staticmethod(ssim)

    def __init__(self, *, loss_weight=1.0, input_range=(0, 1), win_size=11,
                 win_sigma=1.5):
        super().__init__()
        name = type(self).__name__
        if not (isinstance(win_size, int) and win_size > 1 and win_size % 2):
            raise ValueError(f'{name}: win_size must be an odd int > 1, got '
                             f'{win_size!r}')
        self.loss_weight = loss_weight
        self.input_range = check_input_range(name, input_range)
        self.win_size, self.win_sigma = win_size, win_sigma

    def _unit(self, pred, target):
        # float32 at least: the variances are differences of small numbers
        dtype = torch.promote_types(pred.dtype, torch.float32)
        return (to_unit_range(pred.to(dtype), self.input_range),
                to_unit_range(target.to(dtype), self.input_range))

    def dissimilarity(self, pred, target):
        """``1 - index`` over the batch, on images already in [0, 1]."""
        return 1 - self.index(pred, target, 1.0, self.win_size,
                              self.win_sigma).mean()

    def forward(self, pred, target):
        pred, target = self._unit(pred, target)
        return self.loss_weight * self.dissimilarity(pred, target)

    def extra_repr(self):
        return (f'loss_weight={self.loss_weight}, '
                f'input_range={self.input_range}, win_size={self.win_size}')


@LOSSES.register_module()
class SSIMLoss(_StructuralLoss):
    """``loss_weight * (1 - SSIM(pred, target))``, SSIM averaged over the
    batch.

    Args:
        loss_weight (float): Default: 1.0.
        input_range (tuple): the inputs' range. Default: (0, 1).
        win_size (int): Gaussian window taps (odd). Default: 11.
        win_sigma (float): its standard deviation. Default: 1.5.

    ``forward(pred, target)``: ``(N, C, H, W)`` in ``input_range``, H and W
    at least ``win_size``; a scalar.
    """


@LOSSES.register_module()
class MSSSIMLoss(_StructuralLoss):
    """``loss_weight * (1 - MS-SSIM(pred, target))``; arguments as
    :class:`SSIMLoss`. The smaller side of the images must exceed
    ``(win_size - 1) * 16`` (160 px with the default window: use
    ``win_size=7`` for 128 px crops, ``win_size=5`` for 96 px)."""
    index = staticmethod(ms_ssim)


@LOSSES.register_module()
class MSSSIML1Loss(_StructuralLoss):
    """Zhao et al.'s mix: ``loss_weight * (alpha * (1 - MS-SSIM) + (1 -
    alpha) * L1)``, both on images mapped to [0, 1].

    The paper weights the L1 term by the Gaussian of the coarsest scale
    around each patch centre; over a whole image that weighting averages to
    the plain mean absolute error used here (up to the border).

    Args:
        alpha (float): weight of the MS-SSIM term, in [0, 1]. Default: 0.84
            (the paper's).
        others: as :class:`MSSSIMLoss`.
    """

    def __init__(self, *, alpha=0.84, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= alpha <= 1:
            raise ValueError(f'MSSSIML1Loss: alpha must be in [0, 1], got '
                             f'{alpha!r}')
        self.alpha = alpha

    index = staticmethod(ms_ssim)

    def forward(self, pred, target):
        pred, target = self._unit(pred, target)
        structural = self.dissimilarity(pred, target)
        l1 = F.l1_loss(pred, target)
        return self.loss_weight * (self.alpha * structural +
                                   (1 - self.alpha) * l1)

    def extra_repr(self):
        return f'alpha={self.alpha}, ' + super().extra_repr()
