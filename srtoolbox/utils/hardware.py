"""What this machine computes natively: CPU model and flags, native bf16,
GPU name and capability.

The one place that reads the hardware: the precision choice
(:func:`srtoolbox.engine.optim_wrapper.resolve_amp_dtype`), the provenance
of every result (:mod:`srtoolbox.utils.provenance`) and the benchmarks
(:mod:`srtoolbox.engine.benchmark`) all ask these functions, so a figure's
record and the precision it ran in never disagree.

Native bf16 on a CPU means bf16 arithmetic instructions: AVX-512 BF16 or
AMX on x86, the BF16 extension (``bf16`` in ``/proc/cpuinfo``'s Features:
BFDOT/BFMMLA, Graviton3, Neoverse V1/N2, Apple M2) on Arm, which oneDNN
uses for bf16 convolutions. Without them bf16 is emulated and far slower
than fp32 (about 220x for RRDBNet inference on an AVX2-only EPYC;
docs/benchmarks.md).
"""
import os
import platform
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

import torch

__all__ = ['read_cpuinfo', 'cpu_model_and_flags', 'cpu_supports_bf16',
           'cuda_supports_bf16', 'bf16_is_native', 'machine_info',
           'REPORTED_FLAGS', 'NATIVE_BF16_FLAGS']

# the flags that decide which precision is fast, as records list them
REPORTED_FLAGS = ('avx2', 'avx512f', 'avx512_bf16', 'avx512_fp16',
                  'amx_bf16', 'amx_tile', 'bf16')
# any one of them: bf16 arithmetic in hardware (x86: AVX-512 BF16, AMX;
# Arm: the BF16 extension)
NATIVE_BF16_FLAGS = frozenset({'avx512_bf16', 'amx_bf16', 'bf16'})


def read_cpuinfo() -> Optional[str]:
    """The text of /proc/cpuinfo, or None where there is none (macOS,
    Windows)."""
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as f:
            return f.read()
    except OSError:
        return None


def _torch_flags() -> FrozenSet[str]:
    """The flags torch's own capability queries vouch for (no /proc)."""
    flags = set()
    cap = str(torch.backends.cpu.get_cpu_capability()).upper()
    if cap in ('AVX2', 'AVX512') or 'AMX' in cap:
        flags.add('avx2')
    if cap == 'AVX512' or 'AMX' in cap:
        flags.add('avx512f')
    if 'AMX' in cap:
        flags.add('amx_bf16')
    cpu = getattr(torch._C, '_cpu', None)
    for name, flag in (('_is_avx512_bf16_supported', 'avx512_bf16'),
                       ('_is_amx_tile_supported', 'amx_bf16')):
        query = getattr(cpu, name, None)
        if query is not None:
            try:
                if query():
                    flags.add(flag)
            except RuntimeError:
                pass
    return frozenset(flags)


def cpu_model_and_flags() -> Tuple[str, FrozenSet[str]]:
    """``(model name, flags)`` of the first CPU: x86 ``flags`` or Arm
    ``Features`` of /proc/cpuinfo; without it, what torch's capability
    queries vouch for."""
    model = platform.processor() or platform.machine()
    info = read_cpuinfo()
    if info is None:
        return model, _torch_flags()
    flags: Optional[FrozenSet[str]] = None
    for line in info.splitlines():
        key, _, value = line.partition(':')
        key = key.strip().lower()
        if key == 'model name' and value.strip():
            model = value.strip()
        elif key in ('flags', 'features') and flags is None:
            flags = frozenset(value.split())
    return model, flags or frozenset()


def cpu_supports_bf16() -> bool:
    """True when this CPU computes bf16 natively (see the module's note).

    ``SRTOOLBOX_CPU_BF16=1`` (or ``0``) overrides the detection, for
    machines whose /proc/cpuinfo is wrong (some VMs) and for tests that
    cover both answers (inherited by subprocesses).
    """
    forced = os.environ.get('SRTOOLBOX_CPU_BF16', '').strip()
    if forced:
        if forced not in ('0', '1'):
            raise ValueError(f'SRTOOLBOX_CPU_BF16 must be 0 or 1, got '
                             f'{forced!r}')
        return forced == '1'
    return bool(cpu_model_and_flags()[1] & NATIVE_BF16_FLAGS)


def cuda_supports_bf16(device: Any = None) -> bool:
    """True when the GPU computes bf16 natively (compute capability >= 8.0,
    Ampere and newer). ``torch.cuda.is_bf16_supported()`` alone also counts
    emulation, which would give a V100 or T4 slow bf16 instead of fp16 with
    loss scaling."""
    try:
        return bool(torch.cuda.is_bf16_supported(including_emulation=False))
    except TypeError:  # torch without the keyword
        major, _ = torch.cuda.get_device_capability(device)
        return major >= 8


def bf16_is_native(device_type: str) -> bool:
    """Whether ``device_type`` ('cpu', 'cuda') computes bf16 natively."""
    if device_type == 'cuda':
        return cuda_supports_bf16()
    if device_type == 'cpu':
        return cpu_supports_bf16()
    return True


def machine_info(device: Any = None) -> Dict[str, Any]:
    """The record of the machine a figure was computed on.

    Keys: ``device``, ``cpu`` (model name), ``cores``, ``cpu_flags`` (those
    of :data:`REPORTED_FLAGS` present), ``native_bf16_cpu``,
    ``cpu_capability`` (torch's vector ISA), ``threads`` (intra-op),
    ``torch``, ``gpu`` (name or None) and ``gpu_capability`` when ``device``
    is a GPU, ``load_average`` where the OS gives it. ``device`` defaults to
    CUDA when available.
    """
    device = str(device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    model, flags = cpu_model_and_flags()
    present: List[str] = [f for f in REPORTED_FLAGS if f in flags]
    info: Dict[str, Any] = {
        'device': device, 'cpu': model, 'cores': os.cpu_count(),
        'cpu_flags': present,
        'native_bf16_cpu': bool(flags & NATIVE_BF16_FLAGS),
        'cpu_capability': str(torch.backends.cpu.get_cpu_capability()),
        'threads': torch.get_num_threads(), 'torch': torch.__version__,
        'gpu': None}
    if device.startswith('cuda') and torch.cuda.is_available():
        index = torch.device(device).index or 0
        info['gpu'] = torch.cuda.get_device_name(index)
        info['gpu_capability'] = '.'.join(
            map(str, torch.cuda.get_device_capability(index)))
    try:
        info['load_average'] = round(os.getloadavg()[0], 2)
    except (OSError, AttributeError):  # Windows has no load average
        pass
    return info
