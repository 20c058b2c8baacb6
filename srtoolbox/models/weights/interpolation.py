"""Network interpolation (ESRGAN, Sec. 3.4): blend two trained generators.

``theta = (1 - alpha) * theta_A + alpha * theta_B`` for every floating-point
tensor, e.g. A a PSNR-oriented and B a GAN-trained model of the same
architecture: alpha trades fidelity for texture without retraining. The
weight maths only; writing the blended checkpoints and the figures of a
sweep are in :mod:`srtoolbox.apis.interpolation`.
"""
import math
from collections import OrderedDict
from typing import Any

import torch

from .loading import GeneratorWeights, state_dict_mismatches

__all__ = ['interpolate_state_dicts', 'interpolate_weights',
           'check_interpolable']


def _check_compatible(sd_a, sd_b):
    only_a, only_b, shapes = state_dict_mismatches(sd_a, sd_b)
    if only_a or only_b or shapes:
        lines = ['the two networks differ; interpolation needs the same '
                 'architecture:']
        if only_a:
            lines.append(f'  keys only in A ({len(only_a)}): '
                         f'{", ".join(only_a)}')
        if only_b:
            lines.append(f'  keys only in B ({len(only_b)}): '
                         f'{", ".join(only_b)}')
        if shapes:
            lines.append(f'  shape mismatches ({len(shapes)}): ' + '; '.join(
                f'{k}: {a} vs {b}' for k, a, b in shapes))
        raise ValueError('\n'.join(lines))


def _check_same_settings(weights_a, weights_b):
    if weights_a.settings != weights_b.settings:
        raise ValueError(
            f'{weights_a.source} and {weights_b.source} need different '
            f'generator settings ({weights_a.settings} vs '
            f'{weights_b.settings}): the same weights run through different '
            'networks, so their interpolation means nothing')


def interpolate_state_dicts(sd_a: Any, sd_b: Any, alpha: float) -> Any:
    """``(1 - alpha) * A + alpha * B``, key by key.

    Floating-point tensors are blended (in float32 at least, then cast back
    to A's dtype); integer and bool tensors (BN ``num_batches_tracked``) and
    non-tensors are copied from A. ``alpha`` 0 returns A's values, 1 B's;
    values outside [0, 1] extrapolate.

    Raises:
        ValueError: keys or shapes differ; the message lists them.
    """
    alpha = float(alpha)
    if not math.isfinite(alpha):
        raise ValueError(f'alpha must be a finite number, got {alpha}')
    _check_compatible(sd_a, sd_b)
    out = OrderedDict()
    for key, a in sd_a.items():
        b = sd_b[key]
        if torch.is_tensor(a) and a.is_floating_point():
            dtype = torch.promote_types(a.dtype, torch.float32)
            mixed = (1 - alpha) * a.to(dtype) + alpha * b.to(dtype)
            out[key] = mixed.to(a.dtype)
        elif torch.is_tensor(a):
            out[key] = a.clone()
        else:
            out[key] = a
    return out


def interpolate_weights(weights_a: Any, weights_b: Any, alpha: float) -> Any:
    """Blend two :class:`GeneratorWeights`; they must need the same settings.

    Returns the blend as ``GeneratorWeights`` whose source names both files
    and alpha.
    """
    _check_same_settings(weights_a, weights_b)
    return GeneratorWeights(
        interpolate_state_dicts(weights_a.state_dict, weights_b.state_dict,
                                alpha), weights_a.settings,
        f'{weights_a.source} (interpolated with {weights_b.source}, alpha '
        f'{alpha})')


def check_interpolable(weights_a: Any, weights_b: Any) -> None:
    """Raise ``ValueError`` unless two :class:`GeneratorWeights` have the same
    keys, shapes and generator settings."""
    _check_compatible(weights_a.state_dict, weights_b.state_dict)
    _check_same_settings(weights_a, weights_b)
