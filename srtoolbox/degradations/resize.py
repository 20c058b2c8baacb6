"""Random resize of a batch: up, down or keep, then area, bilinear or
bicubic interpolation (one draw for the whole batch, as the released
training code)."""
from typing import Any, Optional, Sequence

import torch
from torch.nn import functional as F

from .errors import DegradationConfigError, check_probs, check_range

__all__ = ['RandomResize', 'RESIZE_MODES']

RESIZE_MODES = ('area', 'bilinear', 'bicubic')


def _choice(seq, probs=None):
    """One element of ``seq`` drawn with torch's CPU generator."""
    if probs is None:
        return seq[int(torch.randint(len(seq), ()))]
    return seq[int(torch.multinomial(torch.tensor(probs, dtype=torch.float64),
                                     1))]


def interpolate(img: Any, size: Optional[Any] = None,
                scale_factor: Optional[Any] = None,
                mode: str = 'bilinear') -> Any:
    """``F.interpolate`` as the released code calls it (no antialias,
    ``align_corners=False`` for bilinear/bicubic)."""
    return F.interpolate(img, size=size, scale_factor=scale_factor, mode=mode)


class RandomResize:
    """Resize by a factor drawn from ``resize_range`` below 1 ('down'),
    above 1 ('up') or 1 ('keep').

    Args:
        resize_prob (tuple): probabilities of up, down, keep (sum 1).
        resize_range (tuple): (min, max) factor, min <= 1 <= max.
        modes (tuple): interpolation modes drawn uniformly.
        name (str): option prefix used in error messages.

    ``__call__(img, base_size=None)``: ``(B, C, H, W)`` ->
    ``(B, C, h, w)``; with ``base_size=(H0, W0)`` the output size is
    ``int(H0 * factor), int(W0 * factor)`` (the second degradation resizes
    relative to the LR size), else ``img`` is scaled by the factor.
    """

    def __init__(self, resize_prob: Sequence[float],
                 resize_range: Sequence[float],
                 modes: Sequence[str] = RESIZE_MODES,
                 name: str = 'resize') -> None:
        self.resize_prob = check_probs(f'{name}_prob', resize_prob, 3,
                                       ('up', 'down', 'keep'))
        self.resize_range = check_range(f'{name}_range', resize_range, 1e-3)
        if not self.resize_range[0] <= 1 <= self.resize_range[1]:
            raise DegradationConfigError(
                f'{name}_range must contain 1 (down below 1, up above), got '
                f'{resize_range}')
        modes = tuple(modes)
        bad = [m for m in modes if m not in RESIZE_MODES]
        if bad or not modes:
            raise DegradationConfigError(
                f'{name} modes must be among {RESIZE_MODES}, got {modes}')
        self.modes = modes

    def draw(self) -> Any:
        """(factor, mode)."""
        kind = _choice(('up', 'down', 'keep'), self.resize_prob)
        low, high = self.resize_range
        u = float(torch.rand(()))
        if kind == 'up':
            factor = 1 + u * (high - 1)
        elif kind == 'down':
            factor = low + u * (1 - low)
        else:
            factor = 1.0
        return factor, _choice(self.modes)

    def __call__(self, img, base_size=None):
        factor, mode = self.draw()
        if base_size is None:
            return interpolate(img, scale_factor=factor, mode=mode)
        size = (max(1, int(base_size[0] * factor)),
                max(1, int(base_size[1] * factor)))
        return interpolate(img, size=size, mode=mode)
