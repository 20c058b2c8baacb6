"""Mixed precision that works on CPUs as well as GPUs.

mmengine's ``AmpOptimWrapper`` refuses to start without a GPU. On CPUs with
native bf16 (AVX-512 BF16, AMX) and on Ampere+ GPUs, bfloat16 autocast needs
no loss scaling and speeds SR training up; fp16 (older GPUs: V100, T4) needs
a ``GradScaler``, which this wrapper adds only then. On CPUs without native
bf16 it falls back to fp32 with a message, because emulated half precision
is slower there.

This module is the one place that decides precision
(:func:`resolve_amp_dtype`): training, inference and the benchmarks ask
it; what the hardware computes natively comes from
:mod:`srtoolbox.utils.hardware`.
"""
from contextlib import contextmanager

import torch
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper

from ..registry import OPTIM_WRAPPERS
from ..utils.hardware import (bf16_is_native, cpu_supports_bf16,
                              cuda_supports_bf16)

__all__ = ['AutocastOptimWrapper', 'resolve_amp_dtype', 'cpu_supports_bf16',
           'cuda_supports_bf16', 'bf16_is_native']


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
