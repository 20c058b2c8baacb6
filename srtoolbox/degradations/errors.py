"""The one error of the degradation model's configuration checks."""

from typing import Any, Optional

__all__ = ['DegradationConfigError', 'check_range', 'check_probs',
           'check_prob', 'check_kernel_sizes']


class DegradationConfigError(ValueError):
    """An option of the degradation model is invalid (raised when the
    config is built, before any training)."""


def check_range(name: str, value: Any, low: Optional[Any] = None,
                high: Optional[Any] = None) -> Any:
    """``value`` = (min, max) with min <= max, inside [low, high]."""
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise DegradationConfigError(
            f'{name} must be a (min, max) pair of numbers, got {value!r}'
        ) from None
    if lo > hi:
        raise DegradationConfigError(
            f'{name}: min {lo:g} > max {hi:g} (got {value!r})')
    if (low is not None and lo < low) or (high is not None and hi > high):
        raise DegradationConfigError(
            f'{name} must lie within [{low}, {high}], got {value!r}')
    return lo, hi


def check_prob(name: str, value: Any) -> Any:
    """A probability in [0, 1]."""
    if not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise DegradationConfigError(
            f'{name} must be a probability in [0, 1], got {value!r}')
    return float(value)


def check_probs(name: str, probs: Any, num: Optional[Any] = None,
                names: Optional[Any] = None) -> Any:
    """Non-negative probabilities that sum to one (within 1e-6)."""
    probs = [float(p) for p in probs]
    if num is not None and len(probs) != num:
        what = f' ({", ".join(names)})' if names else ''
        raise DegradationConfigError(
            f'{name} needs {num} probabilities{what}, got {len(probs)}: '
            f'{probs}')
    if any(p < 0 for p in probs):
        raise DegradationConfigError(
            f'{name} has a negative probability: {probs}')
    if abs(sum(probs) - 1) > 1e-6:
        raise DegradationConfigError(
            f'{name} must sum to 1, got {probs} (sum {sum(probs):.6g})')
    return tuple(probs)


def check_kernel_sizes(name: str, sizes: Any) -> Any:
    """Odd kernel sizes >= 3, returned sorted."""
    sizes = [sizes] if isinstance(sizes, int) else list(sizes)
    if not sizes:
        raise DegradationConfigError(f'{name} is empty')
    for k in sizes:
        if not isinstance(k, int) or k < 3 or k % 2 == 0:
            raise DegradationConfigError(
                f'{name}: kernel sizes must be odd integers >= 3 (the '
                f'kernel needs a centre pixel), got {k!r} in {sizes}')
    return tuple(sorted(sizes))
