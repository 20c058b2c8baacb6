"""The ``input_range`` argument shared by the range-sensitive losses (SSIM,
colour, DISTS): checked once at build, mapped to [0, 1] in ``forward``."""

__all__ = ['check_input_range', 'to_unit_range']


def check_input_range(owner, input_range):
    """``input_range`` as a ``(low, high)`` tuple of floats, ``low < high``;
    a ``ValueError`` naming ``owner`` otherwise."""
    try:
        low, high = (float(v) for v in input_range)
    except (TypeError, ValueError):
        raise ValueError(f'{owner}: input_range must be (low, high), e.g. '
                         f'(0, 1) or (-1, 1), got {input_range!r}') from None
    if not low < high:
        raise ValueError(f'{owner}: input_range must have low < high, got '
                         f'{input_range!r}')
    return (low, high)


def to_unit_range(x, input_range):
    """``x`` in ``input_range`` mapped linearly to [0, 1]."""
    low, high = input_range
    if (low, high) == (0.0, 1.0):
        return x
    return (x - low) / (high - low)
