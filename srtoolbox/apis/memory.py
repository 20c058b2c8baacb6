"""How much memory an inference pass needs, and what tile fits.

An untiled x4 pass over a 3000 x 3000 photograph holds 64-channel maps of
12000 x 12000 pixels: many GiB. :func:`memory_model` measures, once per
network, the peak bytes of the tensors alive during a forward on two small
real inputs (every tensor a torch function returns is counted while it
lives, views and in-place results once per storage) and fits
``bytes = fixed + per_pixel * pixels``: activation memory grows linearly
with the input's pixels for convolutional networks.
:func:`available_memory` reads what the device has free, and
:func:`choose_tile` the largest tile whose pass fits a budget.

On a CPU the tracked peak of a channels-last MSRResNet x4 pass over
256 x 256 was 593 MiB and the process's resident memory grew by 607 MiB
(816 MiB in NCHW, where oneDNN reorders tensors outside PyTorch's view):
estimates are multiplied by :data:`OVERHEAD` for what the probe cannot see.
"""
import logging
import math
import re
import weakref
from dataclasses import dataclass
from typing import Any, Optional, Tuple

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_flatten

__all__ = ['MemoryModel', 'memory_model', 'peak_activation_bytes',
           'available_memory', 'parse_memory', 'choose_tile', 'OVERHEAD',
           'InsufficientMemoryError', 'format_bytes', 'default_budget']

logger = logging.getLogger(__name__)

# allocator rounding, library workspaces and reorders the probe cannot see
OVERHEAD = 1.25


class InsufficientMemoryError(MemoryError):
    """An inference pass would need more memory than there is."""


class _PeakTracker(TorchFunctionMode):
    """Live and peak bytes of the tensors torch functions return while the
    mode is active; a storage is counted once however many views of it
    live, and freed when the last of them is garbage."""

    def __init__(self):
        super().__init__()
        self.live = {}  # storage key -> [bytes, live tensors]
        self.current = self.peak = 0

    def track(self, tensor):
        storage = tensor.untyped_storage()
        key = (tensor.device, storage.data_ptr())
        entry = self.live.get(key)
        if entry is None:
            entry = self.live[key] = [storage.nbytes(), 0]
            self.current += entry[0]
            self.peak = max(self.peak, self.current)
        entry[1] += 1
        weakref.finalize(tensor, self._release, key)

    def _release(self, key):
        entry = self.live.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] == 0:
            self.current -= entry[0]
            del self.live[key]

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor) and t.device.type != 'meta':
                self.track(t)
        return out


@torch.inference_mode()
def peak_activation_bytes(generator: Any, height: int, width: int,
                          device: Optional[Any] = None,
                          amp_dtype: Optional[Any] = None,
                          channels_last: bool = True) -> Any:
    """Peak bytes of the tensors alive during one forward of ``generator``
    on a real float ``(1, 3, height, width)`` input, under autocast to
    ``amp_dtype`` when given (the input and the weights' casts included;
    the weights, which exist before and after, not)."""
    if device is None:
        param = next(generator.parameters(), None)
        device = param.device if param is not None else 'cpu'
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    x = torch.rand(1, 3, height, width, device=device)
    x = x.contiguous(memory_format=fmt)
    tracker = _PeakTracker()
    tracker.track(x)
    with tracker, torch.autocast(torch.device(device).type, dtype=amp_dtype,
                                 enabled=amp_dtype is not None):
        out = generator(x)
    del out
    return tracker.peak


@dataclass(frozen=True)
class MemoryModel:
    """``bytes(pixels) = fixed + per_pixel * pixels`` of one forward, in
    LR pixels, times :data:`OVERHEAD`."""
    fixed: float
    per_pixel: float

    def forward_bytes(self, height: int, width: int) -> Any:
        return int(OVERHEAD * max(self.fixed + self.per_pixel * height * width,
                                  0))


def memory_model(generator: Any, device: Optional[Any] = None,
                 amp_dtype: Optional[Any] = None, channels_last: bool = True,
                 divisor: int = 1, sizes: Tuple[int, ...] = (16, 32)) -> Any:
    """Fit :class:`MemoryModel` from :func:`peak_activation_bytes` at two
    small square sizes (rounded up to ``divisor``)."""
    sides = [s + (-s) % divisor for s in sizes]
    peaks = [peak_activation_bytes(generator, s, s, device, amp_dtype,
                                   channels_last) for s in sides]
    per_pixel = (peaks[1] - peaks[0]) / (sides[1]**2 - sides[0]**2)
    if per_pixel <= 0:  # a network whose memory does not grow: be safe
        per_pixel = peaks[1] / sides[1]**2
    fixed = max(peaks[0] - per_pixel * sides[0]**2, 0.0)
    return MemoryModel(fixed, per_pixel)


def _meminfo_available():
    try:
        with open('/proc/meminfo', encoding='ascii') as f:
            for line in f:
                if line.startswith('MemAvailable:'):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def available_memory(device: Any = 'cpu') -> Any:
    """``(bytes, source)`` free for a pass on ``device`` now, or
    ``(None, reason)`` when it cannot be read. CUDA:
    ``torch.cuda.mem_get_info``; CPU: psutil when installed, else
    ``MemAvailable`` of /proc/meminfo."""
    device = torch.device(device)
    if device.type == 'cuda':
        free, _ = torch.cuda.mem_get_info(device)
        return int(free), f'free on {device} (torch.cuda.mem_get_info)'
    if device.type != 'cpu':
        return None, f'free memory of {device.type} devices is not known'
    try:
        import psutil  # optional (not a requirement): else /proc/meminfo
        return int(psutil.virtual_memory().available), 'available RAM'
    except ImportError:
        pass
    avail = _meminfo_available()
    if avail is None:
        return None, 'free RAM unknown (no psutil, no /proc/meminfo)'
    return avail, 'available RAM (MemAvailable)'


_UNITS = {'': 1, 'k': 2**10, 'm': 2**20, 'g': 2**30, 't': 2**40}


def parse_memory(value: Any) -> Any:
    """Bytes from ``4096``, ``'512M'``, ``'4G'``, ``'1.5GiB'`` (binary
    units; None stays None)."""
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    match = re.fullmatch(r'\s*([0-9]*\.?[0-9]+)\s*([kmgt]?)(i?b)?\s*',
                         str(value).lower())
    if not match:
        raise ValueError(f'max_memory: cannot read {value!r}; give bytes or '
                         "a size such as '512M' or '4G'")
    return int(float(match.group(1)) * _UNITS[match.group(2)])


def format_bytes(n: float) -> str:
    if abs(n) >= 2**30:
        return f'{n / 2**30:.2f} GiB'
    if abs(n) >= 2**20:
        return f'{n / 2**20:.0f} MiB'
    return f'{n / 2**10:.0f} KiB' if abs(n) >= 2**10 else f'{int(n)} bytes'


def choose_tile(model: Any, budget: Any, height: int, width: int,
                tile_pad: int, divisor: int = 1, extra_per_pixel: float = 0.0,
                multiple: int = 8) -> Any:
    """The largest square tile (a multiple of ``multiple`` and ``divisor``,
    at most the image's longer side) whose pass, with ``tile_pad`` context
    on every side, needs at most ``budget`` bytes by ``model``.

    ``extra_per_pixel``: bytes per LR pixel of the tile besides the forward
    (the host copies of its output). Raises :class:`InsufficientMemoryError`
    when even the smallest tile does not fit.
    """
    step = multiple * divisor // math.gcd(multiple, divisor)
    pad = tile_pad + (-tile_pad) % divisor

    def need(tile):
        h, w = min(tile + 2 * pad, height), min(tile + 2 * pad, width)
        return model.forward_bytes(h, w) + extra_per_pixel * h * w

    largest = max(height, width)
    largest += (-largest) % step
    if need(step) > budget:
        raise InsufficientMemoryError(
            f'even a {step}x{step} tile with {tile_pad} px of context needs '
            f'~{format_bytes(need(step))}, more than the '
            f'{format_bytes(budget)} allowed')
    low, high = 1, largest // step  # need(low * step) fits
    while low < high:
        mid = (low + high + 1) // 2
        if need(mid * step) <= budget:
            low = mid
        else:
            high = mid - 1
    return low * step


def default_budget(device: Any, max_memory: Optional[Any] = None,
                   share: float = 0.9) -> Any:
    """``(bytes, source)``: ``share`` of the free memory, or ``max_memory``
    when smaller; ``(None, reason)`` when neither is known."""
    cap = parse_memory(max_memory)
    free, source = available_memory(device)
    if free is not None:
        free = int(free * share)
        source = f'{share:.0%} of the {source}'
    if cap is not None and (free is None or cap < free):
        return cap, f'max_memory {format_bytes(cap)}'
    return free, source
