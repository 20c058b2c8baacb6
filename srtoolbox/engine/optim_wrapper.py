"""Mixed precision that works on CPUs as well as GPUs.

mmengine's ``AmpOptimWrapper`` refuses to start without a GPU. On CPUs with
native bf16 (AVX-512 BF16, AMX) and on Ampere+ GPUs, bfloat16 autocast needs
no loss scaling and speeds SR training up; fp16 (older GPUs: V100, T4) needs
a ``GradScaler``, which this wrapper adds only then. On CPUs without native
bf16 it falls back to fp32 with a message, because emulated half precision
is slower there.

This module is the one place that decides precision (:func:`resolve_amp_dtype`,
:func:`bf16_is_native`): training, inference and the benchmarks ask it.
"""
import os
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper

from ..registry import OPTIM_WRAPPERS

__all__ = ['AutocastOptimWrapper', 'resolve_amp_dtype', 'cpu_supports_bf16',
           'cuda_supports_bf16', 'bf16_is_native']


def _read_cpuinfo():
    """The text of /proc/cpuinfo, or None where there is none (macOS,
    Windows)."""
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as f:
            return f.read()
    except OSError:
        return None


def _torch_cpu_bf16():
    """torch's own CPU capability queries, where this torch has them."""
    cpu = getattr(torch._C, '_cpu', None)
    for name in ('_is_avx512_bf16_supported', '_is_amx_tile_supported'):
        query = getattr(cpu, name, None)
        if query is not None:
            try:
                if query():
                    return True
            except RuntimeError:
                pass
    # get_cpu_capability names the vector ISA ('AVX2', 'AVX512', ...);
    # plain AVX-512 has no bf16 arithmetic, so only AMX counts
    return 'AMX' in torch.backends.cpu.get_cpu_capability().upper()


def cpu_supports_bf16():
    """True when this CPU computes bf16 natively (AVX-512 BF16 or AMX on x86,
    the BF16 extension on Arm).

    Without it, bf16 is emulated and autocast is far *slower* than fp32
    (about 220x for RRDBNet inference on an AVX2-only EPYC; the command is
    in docs/benchmarks.md). Reads /proc/cpuinfo; without it, torch's own
    capability queries. ``SRTOOLBOX_CPU_BF16=1`` (or ``0``) overrides the
    detection, for machines whose /proc/cpuinfo is wrong (some VMs) and for
    tests that cover both answers.
    """
    forced = os.environ.get('SRTOOLBOX_CPU_BF16')
    if forced is not None and forced.strip():
        if forced.strip() not in ('0', '1'):
            raise ValueError(f'SRTOOLBOX_CPU_BF16 must be 0 or 1, got '
                             f'{forced!r}')
        return forced.strip() == '1'
    info = _read_cpuinfo()
    if info is None:
        return _torch_cpu_bf16()
    flags = set()
    for line in info.splitlines():
        if line.lower().startswith(('flags', 'features')):
            flags.update(line.split(':', 1)[-1].split())
    return bool(flags & {'avx512_bf16', 'amx_bf16', 'bf16'})


def cuda_supports_bf16(device=None):
    """True when the GPU computes bf16 natively (compute capability >= 8.0,
    Ampere and newer). ``torch.cuda.is_bf16_supported()`` alone also counts
    emulation, which would give a V100 or T4 slow bf16 instead of fp16 with
    loss scaling."""
    try:
        return bool(torch.cuda.is_bf16_supported(including_emulation=False))
    except TypeError:  # torch without the keyword
        major, _ = torch.cuda.get_device_capability(device)
        return major >= 8


def bf16_is_native(device_type):
    """Whether ``device_type`` ('cpu', 'cuda') computes bf16 natively."""
    if device_type == 'cuda':
        return cuda_supports_bf16()
    if device_type == 'cpu':
        return cpu_supports_bf16()
    return True


def resolve_amp_dtype(device_type, dtype='auto'):
    """The autocast dtype for ``dtype`` on ``device_type``, or None (fp32).

    ``'auto'``: bf16 on GPUs and CPUs that compute it natively; fp16 with
    loss scaling on GPUs without native bf16; fp32 (None) on CPUs without
    it, where both half types are emulated and slower than fp32.
    """
    if dtype in (torch.bfloat16, 'bfloat16', 'bf16'):
        return torch.bfloat16
    if dtype in (torch.float16, 'float16', 'fp16'):
        return torch.float16
    if dtype != 'auto':
        raise ValueError(f"amp dtype must be 'auto', 'bfloat16' or "
                         f"'float16', got {dtype!r}")
    if device_type == 'cuda':
        return torch.bfloat16 if cuda_supports_bf16() else torch.float16
    if device_type == 'cpu' and not cpu_supports_bf16():
        return None
    return torch.bfloat16


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """``OptimWrapper`` that runs the forward pass under ``torch.autocast``.

    Args:
        dtype (str): ``'auto'`` (bf16 where supported, else fp16),
            ``'bfloat16'`` or ``'float16'``. fp16 uses dynamic loss scaling.
        **kwargs: as ``OptimWrapper`` (optimizer, clip_grad, ...).
    """

    def __init__(self, dtype='auto', **kwargs):
        super().__init__(**kwargs)
        self.dtype_cfg = dtype
        self._scaler = None
        self._device_type = None
        # a resumed scaler state waits until the device is known
        self._pending_scaler_state = None

    def _setup(self, model):
        if self._device_type is None:
            param = next(model.parameters())
            self._device_type = param.device.type
            self.cast_dtype = resolve_amp_dtype(self._device_type,
                                                self.dtype_cfg)
            if self.cast_dtype is None:
                from mmengine.logging import print_log
                print_log(
                    'AutocastOptimWrapper: this CPU has no native bf16 '
                    '(AVX-512 BF16/AMX); training in fp32, which is faster '
                    'here than emulated bf16/fp16', logger='current')
            if self.cast_dtype == torch.float16 and self._scaler is None:
                self._scaler = torch.amp.GradScaler(self._device_type)
            if self._pending_scaler_state is not None and \
                    self._scaler is not None:
                self._scaler.load_state_dict(self._pending_scaler_state)
                self._pending_scaler_state = None

    @contextmanager
    def optim_context(self, model):
        self._setup(model)
        with super().optim_context(model), torch.autocast(
                self._device_type, dtype=self.cast_dtype,
                enabled=self.cast_dtype is not None):
            yield

    def backward(self, loss, **kwargs):
        if self._scaler is not None:
            loss = self._scaler.scale(loss)
        loss.backward(**kwargs)
        self._inner_count += 1

    def step(self, **kwargs):
        if self._scaler is None:
            return super().step(**kwargs)
        if self.clip_grad_kwargs:
            self._scaler.unscale_(self.optimizer)
            self._clip_grad()
        self._scaler.step(self.optimizer, **kwargs)
        self._scaler.update()

    def state_dict(self):
        state = self.optimizer.state_dict()
        if self._scaler is not None:
            state['grad_scaler'] = self._scaler.state_dict()
        return state

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        self._pending_scaler_state = state_dict.pop('grad_scaler', None)
        self.optimizer.load_state_dict(state_dict)


# optimizers whose multi-tensor (foreach) step gives the same numbers as
# their per-parameter loop, which is PyTorch's default on CPUs
_FOREACH_OPTIMIZERS = ('Adam', 'AdamW', 'SGD', 'RMSprop', 'Adamax', 'NAdam',
                       'RAdam', 'Adagrad')


def use_foreach_optimizers(optim_wrapper_cfg):
    """Turn on the multi-tensor step of every optimizer left at the default.

    PyTorch picks the multi-tensor (``foreach``) implementation on CUDA but
    the per-parameter loop on CPUs, where it costs MSRResNet's Adam 300 ms
    per step against 40 ms with ``foreach=True`` (2-core AVX2 CPU), with
    bit-identical weights. Optimizers that set ``foreach`` or ``fused``
    themselves are left alone. Works on a single wrapper config and on the
    per-network wrappers of the GAN models. Returns the names changed.
    """
    changed = []
    wrappers = [optim_wrapper_cfg]
    if 'optimizer' not in optim_wrapper_cfg:  # {'generator': {...}, ...}
        wrappers = [w for w in optim_wrapper_cfg.values()
                    if isinstance(w, dict) and 'optimizer' in w]
    for wrapper in wrappers:
        optimizer = wrapper['optimizer']
        kind = optimizer.get('type')
        name = kind if isinstance(kind, str) else getattr(kind, '__name__',
                                                          '')
        if name.split('.')[-1] in _FOREACH_OPTIMIZERS and not any(
                k in optimizer for k in ('foreach', 'fused')):
            optimizer['foreach'] = True
            changed.append(name)
    return changed
