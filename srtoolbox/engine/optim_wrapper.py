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

Every wrapper here is an :class:`SROptimWrapper`: it never applies a step
whose loss is NaN or Inf (the policy about it is
:class:`~.nonfinite.NonFiniteLossHook`'s).
"""
from contextlib import contextmanager
from typing import List, Union

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper

from ..registry import OPTIM_WRAPPERS
from ..utils.hardware import (bf16_is_native, cpu_supports_bf16,
                              cuda_supports_bf16)
from .config_files import type_name, wrapper_configs

__all__ = ['SROptimWrapper', 'AutocastOptimWrapper', 'resolve_amp_dtype', 'cpu_supports_bf16',
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


def skips_on_device(optimizer: torch.optim.Optimizer) -> bool:
    """Whether ``optimizer`` can skip a step on the device: the fused
    kernels (Adam, AdamW, SGD with ``fused=True``) read a ``found_inf``
    tensor and leave parameters, moments and step counts alone when it is
    1, as they do for ``torch.amp.GradScaler``."""
    return bool(getattr(optimizer, '_step_supports_amp_scaling', False))


@OPTIM_WRAPPERS.register_module()
class SROptimWrapper(OptimWrapper):
    """mmengine's ``OptimWrapper`` that never applies a step whose loss is
    NaN or Inf.

    :meth:`backward` notes on the device whether the loss is finite (no
    host synchronisation); :meth:`step` skips the update when it is not.
    Under DDP the processes' notes are summed first (one all-reduce on the
    device) so that every rank skips together. A fused optimizer skips on
    the device through its ``found_inf`` argument, so a GPU never waits;
    other optimizers read the note (free on a CPU, whose work is
    synchronous; one synchronisation per step on a GPU, which is why
    :func:`use_foreach_optimizers` makes Adam, AdamW and SGD fused there).

    Each step leaves a record, ``True``/``False`` or a 0-dim device tensor
    (1: skipped): :attr:`last_step_skipped` (the models' EMA follows it)
    and :meth:`pop_skip_flags` (what the policy hook reads). Same arguments
    as ``OptimWrapper``; ``SRRunner`` builds every plain ``OptimWrapper`` of
    a config as this class.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._bad = None  # the losses since the last step were not finite
        self._flags: List[Union[bool, torch.Tensor]] = []
        self.last_step_skipped: Union[bool, torch.Tensor] = False

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        bad = ~torch.isfinite(loss.detach()).all()
        self._bad = bad if self._bad is None else self._bad | bad
        self._backward(loss, **kwargs)
        self._inner_count += 1

    def _backward(self, loss, **kwargs):
        loss.backward(**kwargs)

    def step(self, **kwargs) -> None:
        bad, self._bad = self._bad, None
        if bad is None:  # no backward through this wrapper since the last
            self._apply_step(**kwargs)
            return
        if get_world_size() > 1:  # every rank skips if any has to
            bad = bad.float()
            all_reduce(bad, op='sum')
            bad = bad > 0
        skipped: Union[bool, torch.Tensor]
        if skips_on_device(self.optimizer) and not self._has_scaler():
            optimizer = self.optimizer
            # what GradScaler sets for fused optimizers
            setattr(optimizer, 'found_inf', bad.float().reshape(()))
            setattr(optimizer, 'grad_scale', None)
            try:
                self._apply_step(**kwargs)
            finally:
                delattr(optimizer, 'found_inf')
                delattr(optimizer, 'grad_scale')
            skipped = bad
        else:
            skipped = bool(bad)
            if not skipped:
                self._apply_step(**kwargs)
        self.last_step_skipped = skipped
        self._flags.append(skipped)

    def _has_scaler(self) -> bool:
        return False

    def _apply_step(self, **kwargs) -> None:
        """The update itself (mmengine's ``step``: clip, then step)."""
        super().step(**kwargs)

    def pop_skip_flags(self) -> List[Union[bool, torch.Tensor]]:
        """The records of the steps since the last call, oldest first."""
        flags, self._flags = self._flags, []
        return flags


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(SROptimWrapper):
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

    def _backward(self, loss, **kwargs):
        if self._scaler is not None:
            loss = self._scaler.scale(loss)
        loss.backward(**kwargs)

    def _has_scaler(self):
        return self._scaler is not None

    def _apply_step(self, **kwargs):
        if self._scaler is None:
            return super()._apply_step(**kwargs)
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


# optimizers with a fused kernel that skips a step on the device
# (found_inf, see SROptimWrapper)
_FUSED_OPTIMIZERS = ('Adam', 'AdamW', 'SGD')


def _casts_on_cpu(wrapper_cfg) -> bool:
    """Whether this optimizer wrapper config trains in reduced precision on
    this machine's CPU."""
    return (type_name(wrapper_cfg.get('type', 'OptimWrapper'))
            == 'AutocastOptimWrapper' and resolve_amp_dtype(
                'cpu', wrapper_cfg.get('dtype', 'auto')) is not None)


def use_foreach_optimizers(optim_wrapper_cfg, device: str = 'cpu'):
    """Pick the fast step of every optimizer left at the default.

    CPUs: the multi-tensor (``foreach``) step. PyTorch picks the
    per-parameter loop there, which costs MSRResNet's Adam 300 ms per step
    against 40 ms with ``foreach=True`` (2-core AVX2 CPU), with
    bit-identical weights. CPUs training in bf16 (an
    ``AutocastOptimWrapper`` that casts here: :func:`resolve_amp_dtype`):
    Adam, AdamW and SGD become ``fused`` (MSRResNet's Adam 0.9-1.0 ms
    against 4.8-4.9 ms foreach on a 2-core Zen 4, docs/benchmarks.md); its
    rounding differs from the loop's in the last bits, which mixed
    precision does anyway, so fp32 runs keep the loop's weights. CUDA: Adam, AdamW and SGD become ``fused``: one
    kernel for the whole step, and a step with a NaN/Inf loss is skipped on
    the GPU without a host synchronisation (:class:`SROptimWrapper`); the
    others stay at PyTorch's default there (already ``foreach``).
    Optimizers that set ``foreach`` or ``fused`` themselves are left alone.
    Works on a single wrapper config and on the per-network wrappers of the
    GAN models. Returns the names changed.
    """
    changed = []
    for _, wrapper in wrapper_configs(optim_wrapper_cfg):
        optimizer = wrapper['optimizer']
        kind = optimizer.get('type')
        short = type_name(kind)
        if any(k in optimizer for k in ('foreach', 'fused')):
            continue
        if short in _FUSED_OPTIMIZERS and (device == 'cuda' or (
                device == 'cpu' and _casts_on_cpu(wrapper))):
            optimizer['fused'] = True
        elif device == 'cpu' and short in _FOREACH_OPTIMIZERS:
            optimizer['foreach'] = True
        else:
            continue
        changed.append(kind if isinstance(kind, str) else short)
    return changed
