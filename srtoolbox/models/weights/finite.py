"""The one finiteness check of weights: every loader, converter and
exporter refuses NaN/Inf tensors through :func:`check_finite_weights`."""
from typing import Any, Mapping, Optional, Tuple

import torch

__all__ = ['NonFiniteWeightsError', 'find_nonfinite', 'check_finite_weights']


class NonFiniteWeightsError(FloatingPointError):
    """Weights hold NaN or Inf values (a diverged training run)."""


def find_nonfinite(state_dict: Mapping[str, Any]
                   ) -> Optional[Tuple[str, int, int]]:
    """``(key, number of NaN/Inf values, number of values)`` of the first
    floating-point tensor of ``state_dict`` that is not finite, or None."""
    for key, value in state_dict.items():
        if torch.is_tensor(value) and (value.is_floating_point()
                                       or value.is_complex()):
            finite = torch.isfinite(value)
            if not finite.all():
                return key, int((~finite).sum()), value.numel()
    return None


def check_finite_weights(state_dict: Mapping[str, Any],
                         source: str = 'checkpoint') -> None:
    """Raise :class:`NonFiniteWeightsError` naming the first tensor of
    ``state_dict`` with NaN/Inf values; ``source`` names the file."""
    found = find_nonfinite(state_dict)
    if found is not None:
        key, bad, total = found
        raise NonFiniteWeightsError(
            f'{source}: {key} has {bad} of {total} values NaN or Inf; these '
            'weights come from a diverged training run (a generator with '
            'them outputs black or meaningless images). Use a checkpoint '
            'saved before the loss became non-finite.')
