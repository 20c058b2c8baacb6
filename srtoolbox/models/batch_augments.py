"""Batch augmentations of (LR, HR) pairs: MixUp, CutMix, ResizeMix, CutBlur.

The "mixture of augmentations" of traiNNer-redux and neosr (after
victorca25's traiNNer ``batchaug.py``): for each training batch at most one
augmentation is drawn, augmentation ``i`` with probability ``prob_i``
(nothing with ``1 - sum(prob)``). They run in
:class:`~srtoolbox.models.data_preprocessor.SRDataPreprocessor` (the model's
data step), off unless ``batch_augments`` is set::

    data_preprocessor=dict(type='SRDataPreprocessor', batch_augments=[
        dict(type='MixUp', prob=0.1), dict(type='CutMix', prob=0.1),
        dict(type='ResizeMix', prob=0.1), dict(type='CutBlur', prob=0.1)])

Every random draw uses torch's global generator, which mmengine seeds from
``randomness.seed`` and the checkpoints save: runs are deterministic under
the seed and resume exactly.

Boxes lie on the LR grid (an HR box is the LR box times the scale), so
MixUp, CutMix and ResizeMix act on LR and HR directly and keep their pairing
exact. CutBlur needs both at one size: as in neosr, LR goes up to the HR size
(bicubic), gets its box (or everything but the box) from HR, and comes back
down (bicubic, no antialiasing), so the network sees an HR region degraded
differently from the rest and learns where not to over-sharpen.

Inputs: LR ``(N, C, h, w)`` and HR ``(N, C, h * s, w * s)`` in [0, 1].
"""
from __future__ import annotations

import os
import os.path as osp
import time
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from ..registry import BATCH_AUGMENTS
from ..utils.image_io import imwrite

__all__ = ['BatchAugment', 'MixUp', 'CutMix', 'ResizeMix', 'CutBlur',
           'MixtureOfAugments']

Pair = Tuple[torch.Tensor, torch.Tensor]


def _uniform(low: float, high: float) -> float:
    return low + (high - low) * float(torch.rand(()))


def _randint(high: int) -> int:
    """An integer in [0, high)."""
    return int(torch.randint(max(high, 1), ()))


def _box(h: int, w: int, ratio: float) -> Tuple[int, int, int, int]:
    """A box of ``ratio`` times the side (at least one pixel), centred
    uniformly and clipped to the (h, w) grid: (top, bottom, left, right)."""
    ch, cw = max(int(h * ratio), 1), max(int(w * ratio), 1)
    top, left = _randint(h) - ch // 2, _randint(w) - cw // 2
    return (max(top, 0), min(top + ch, h), max(left, 0), min(left + cw, w))


def _scale_of(lr: torch.Tensor, hr: torch.Tensor) -> int:
    scale = hr.shape[-1] // lr.shape[-1]
    if scale < 1 or hr.shape[-2:] != (lr.shape[-2] * scale,
                                      lr.shape[-1] * scale):
        raise ValueError(
            f'batch augments: HR {tuple(hr.shape)} is not LR '
            f'{tuple(lr.shape)} times an integer scale')
    return scale


class BatchAugment:
    """One augmentation of a batch pair, applied with probability ``prob``
    (chosen by :class:`MixtureOfAugments`)."""

    def __init__(self, prob: float = 0.1):
        if isinstance(prob, bool) or not isinstance(prob, (int, float)) or \
                not 0.0 <= prob <= 1.0:
            raise ValueError(f'{type(self).__name__}: prob = {prob!r} is '
                             'outside [0, 1]')
        self.prob = float(prob)

    def __call__(self, lr: torch.Tensor, hr: torch.Tensor) -> Pair:
        raise NotImplementedError

    def __repr__(self):
        return f'{type(self).__name__}(prob={self.prob})'


@BATCH_AUGMENTS.register_module()
class MixUp(BatchAugment):
    """Blend each pair with another of the batch (Zhang et al. 2018):
    ``lam * a + (1 - lam) * b`` on LR and HR alike, ``lam`` uniform in
    [alpha_min, alpha_max] (neosr: 0.4, 0.6)."""

    def __init__(self, prob: float = 0.1, alpha_min: float = 0.4,
                 alpha_max: float = 0.6):
        super().__init__(prob)
        if not 0.0 <= alpha_min <= alpha_max <= 1.0:
            raise ValueError(f'MixUp: need 0 <= alpha_min <= alpha_max <= 1, '
                             f'got {alpha_min}, {alpha_max}')
        self.alpha_min, self.alpha_max = alpha_min, alpha_max

    def __call__(self, lr: torch.Tensor, hr: torch.Tensor) -> Pair:
        lam = _uniform(self.alpha_min, self.alpha_max)
        perm = torch.randperm(lr.shape[0]).to(lr.device)
        return (lam * lr + (1 - lam) * lr[perm],
                lam * hr + (1 - lam) * hr[perm])


@BATCH_AUGMENTS.register_module()
class CutMix(BatchAugment):
    """Paste a box of another pair of the batch (Yun et al. 2019). The box
    side is ``sqrt(1 - lam)`` of the image's, ``lam`` uniform in
    [0, alpha] (neosr: alpha 0.9)."""

    def __init__(self, prob: float = 0.1, alpha: float = 0.9):
        super().__init__(prob)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f'CutMix: alpha = {alpha} is outside [0, 1]')
        self.alpha = alpha

    def __call__(self, lr: torch.Tensor, hr: torch.Tensor) -> Pair:
        s = _scale_of(lr, hr)
        ratio = (1.0 - _uniform(0.0, self.alpha)) ** 0.5
        t, b, le, r = _box(lr.shape[-2], lr.shape[-1], ratio)
        perm = torch.randperm(lr.shape[0]).to(lr.device)
        lr, hr = lr.clone(), hr.clone()
        lr[..., t:b, le:r] = lr[perm][..., t:b, le:r]
        hr[..., t * s:b * s, le * s:r * s] = \
            hr[perm][..., t * s:b * s, le * s:r * s]
        return lr, hr


@BATCH_AUGMENTS.register_module()
class ResizeMix(BatchAugment):
    """Paste another pair, shrunk whole into a box (Qin et al. 2020): box
    side ``tau`` of the image's, ``tau`` uniform in ``scope`` (neosr:
    (0.5, 0.9)); bicubic, antialiased, on LR and HR alike."""

    def __init__(self, prob: float = 0.1,
                 scope: Sequence[float] = (0.5, 0.9)):
        super().__init__(prob)
        low, high = (float(v) for v in scope)
        if not 0.0 < low <= high <= 1.0:
            raise ValueError(f'ResizeMix: scope = {tuple(scope)} must be '
                             '(low, high) with 0 < low <= high <= 1')
        self.scope = (low, high)

    def __call__(self, lr: torch.Tensor, hr: torch.Tensor) -> Pair:
        s = _scale_of(lr, hr)
        t, b, le, r = _box(lr.shape[-2], lr.shape[-1], _uniform(*self.scope))
        if b <= t or r <= le:
            return lr, hr
        perm = torch.randperm(lr.shape[0]).to(lr.device)
        lr, hr = lr.clone(), hr.clone()
        for img, k in ((lr, 1), (hr, s)):
            small = F.interpolate(img[perm], size=((b - t) * k, (r - le) * k),
                                  mode='bicubic', align_corners=False,
                                  antialias=True)
            img[..., t * k:b * k, le * k:r * k] = small.clamp(0, 1)
        return lr, hr


@BATCH_AUGMENTS.register_module()
class CutBlur(BatchAugment):
    """Cut an HR box into the (upsampled) LR, or an LR box into HR, half the
    time each (Yoo et al. CVPR 2020); the box side is uniform in
    [0.2, alpha] of the image's (neosr: alpha 0.7). HR stays the target."""

    def __init__(self, prob: float = 0.1, alpha: float = 0.7):
        super().__init__(prob)
        if not 0.2 <= alpha <= 1.0:
            raise ValueError(f'CutBlur: alpha = {alpha} is outside [0.2, 1]')
        self.alpha = alpha

    def __call__(self, lr: torch.Tensor, hr: torch.Tensor) -> Pair:
        s = _scale_of(lr, hr)
        t, b, le, r = (v * s for v in _box(
            lr.shape[-2], lr.shape[-1], _uniform(0.2, self.alpha)))
        up = F.interpolate(lr, scale_factor=s, mode='bicubic',
                           align_corners=False)
        if float(torch.rand(())) < 0.5:  # HR inside
            up[..., t:b, le:r] = hr[..., t:b, le:r]
            mixed = up
        else:  # LR inside, HR around it
            mixed = hr.clone()
            mixed[..., t:b, le:r] = up[..., t:b, le:r]
        lr = F.interpolate(mixed, size=lr.shape[-2:], mode='bicubic',
                           align_corners=False)
        return lr.clamp(0, 1), hr


class MixtureOfAugments:
    """Draws at most one augmentation per batch (see module doc).

    Args:
        augments (list[dict | BatchAugment]): the pool, each with its
            ``prob``; the probabilities add up to at most 1.
        debug_dir (str | None): write the first ``debug_batches`` augmented
            batches there as PNG strips (LR upscaled, nearest | HR), one per
            pair, into a new timestamped sub-folder (nothing is overwritten).
        debug_batches (int): how many batches ``debug_dir`` gets.
    """

    def __init__(self, augments: List, debug_dir: Optional[str] = None,
                 debug_batches: int = 4):
        self.augments = [BATCH_AUGMENTS.build(a) if isinstance(a, dict)
                         else a for a in augments]
        total = sum(a.prob for a in self.augments)
        if total > 1.0 + 1e-9:
            raise ValueError(
                'batch_augments: the probabilities add up to '
                f'{total:g} > 1 (at most one augmentation is drawn per batch)')
        self.debug_dir = debug_dir
        self.debug_batches = int(debug_batches)
        self._written = 0
        self._debug_run_dir = None

    def __call__(self, lr: torch.Tensor, hr: torch.Tensor) -> Pair:
        u = float(torch.rand(()))
        chosen, edge = None, 0.0
        for aug in self.augments:
            edge += aug.prob
            if u < edge:
                chosen = aug
                break
        if chosen is None:
            return lr, hr
        lr, hr = chosen(lr, hr)
        if self.debug_dir and self._written < self.debug_batches:
            self._write_debug(lr, hr, type(chosen).__name__)
        return lr, hr

    def _write_debug(self, lr, hr, name):
        if self._debug_run_dir is None:
            self._debug_run_dir = osp.join(
                self.debug_dir, time.strftime('%Y%m%d_%H%M%S'))
            os.makedirs(self._debug_run_dir, exist_ok=True)
        s = hr.shape[-1] // lr.shape[-1]
        up = F.interpolate(lr.float(), scale_factor=s, mode='nearest')
        strips = torch.cat([up, hr.float()], dim=-1).clamp(0, 1)
        for i, strip in enumerate(strips):
            img = (strip.permute(1, 2, 0).cpu().numpy() * 255).round()
            imwrite(img.astype('uint8'), osp.join(
                self._debug_run_dir,
                f'batch{self._written:03d}_{i:02d}_{name}.png'),
                overwrite=False)
        self._written += 1

    def __repr__(self):
        return f'MixtureOfAugments({self.augments})'
