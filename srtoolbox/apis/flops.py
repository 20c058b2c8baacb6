"""Parameter and multiply-accumulate counts of a network.

Operations are counted by PyTorch's ``torch.utils.flop_counter.
FlopCounterMode``, which sees every operator the forward pass runs, not
only some layer classes: convolutions (transposed too), ``matmul``/``bmm``
(attention products, ``nn.Linear``), ``scaled_dot_product_attention``,
whatever a custom layer calls. It counts a multiply-add as 2 FLOPs; srtoolbox
reports MACs = FLOPs / 2, the convention of the SR literature and of
``model-zoo.md`` (bias adds, activations, pixel shuffles, interpolation and
pooling are not counted, as there).

Operators with work that no formula counts (neither a counted product nor
element-wise, reduction, data-movement or resampling work) are listed with
the modules that ran them (:attr:`Complexity.uncounted`), so a gap is
visible instead of silently missing.

The forward runs on PyTorch's ``meta`` device when it can: counting a
43M-parameter network on a 180x320 input takes no compute and no memory.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

import torch
from torch import nn
from torch.func import functional_call
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode, flop_registry

__all__ = ['count_params', 'count_macs', 'count_complexity', 'Complexity']

# operators without multiply-adds worth counting under the MAC convention
# (shapes and copies, reductions, pooling, resampling, normalisation
# statistics, activations torch does not tag pointwise): exact names and
# name prefixes, leading/trailing underscores stripped
_NOT_MACS = {
    't', 'cat', 'stack', 'clone', 'roll', 'flip', 'repeat', 'tile', 'where',
    'sort', 'topk', 'argmax', 'argmin', 'unfold', 'im2col', 'col2im',
    'detach', 'alias', 'permute', 'transpose', 'reshape', 'flatten',
    'unflatten', 'pixel_shuffle', 'pixel_unshuffle', 'channel_shuffle', 'pad',
    'gather', 'narrow', 'chunk', 'contiguous', 'lerp', 'clamp', 'clip',
    'zero', 'unbind', 'arange', 'linspace', 'dropout', 'norm', 'prelu',
    'prelu_kernel', 'softmax', 'log_softmax', 'sum', 'mean', 'var', 'std',
    'amax', 'amin', 'max', 'min', 'prod', 'cumsum', 'bernoulli', 'lift',
    'lift_fresh', 'split', 'split_with_sizes', 'squeeze', 'unsqueeze',
    'expand', 'select', 'slice', 'index', 'to_copy', 'copy', 'fill', 'view',
    'as_strided', 'local_scalar_dense', 'masked_fill', 'scatter',
    'index_put', 'index_select', 'unsafe_index', 'unsafe_view', 'softmax_'}
_NOT_MACS_PREFIXES = (
    'new_', 'empty', 'zeros', 'ones', 'full', 'rand', 'upsample_',
    'max_pool', 'avg_pool', 'adaptive_', 'native_batch_norm',
    'native_layer_norm', 'native_group_norm', 'batch_norm', 'instance_norm',
    'reflection_pad', 'replication_pad', 'constant_pad', 'grid_sampler',
    'linalg_vector_norm', 'sym_', 'split', 'select', 'slice', 'view',
    'copy', 'masked_', 'scatter', 'index', 'unsafe_', 'log_softmax',
    'softmax', 'var_', 'std_', 'fused_', 'assert', 'resize')


def _does_no_macs(func) -> bool:
    name = func.overloadpacket.__name__.strip('_')
    return (torch.Tag.pointwise in func.tags or name in _NOT_MACS
            or name.startswith(_NOT_MACS_PREFIXES))


def count_params(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameter elements (buffers excluded)."""
    return sum(p.numel() for p in model.parameters()
               if p.requires_grad or not trainable_only)


@dataclass
class Complexity:
    """What :func:`count_complexity` counted.

    Attributes:
        macs: multiply-accumulates of one forward (FLOPs / 2).
        by_op: MACs per operator (``'aten.convolution'``: ...).
        uncounted: ``{module path: [operator, ...]}`` of operators that do
            work no formula counts (empty when everything was counted).
    """
    macs: int
    by_op: Dict[str, int] = field(default_factory=dict)
    uncounted: Dict[str, List[str]] = field(default_factory=dict)


class _OpRecorder(TorchDispatchMode):
    """Records the operators each module runs that nothing counts."""

    def __init__(self, counted):
        super().__init__()
        self.counted = counted
        self.stack = ['']
        self.uncounted: Dict[str, List[str]] = {}

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        packet = func.overloadpacket
        if packet not in self.counted:
            if not _does_no_macs(func):
                ops = self.uncounted.setdefault(self.stack[-1] or '(top)',
                                                [])
                if str(packet) not in ops:
                    ops.append(str(packet))
        return func(*args, **(kwargs or {}))


def _shape(input_shape: Sequence[int]) -> Tuple[int, ...]:
    shape = tuple(int(s) for s in input_shape)
    return (1, ) + shape if len(shape) == 3 else shape


@torch.no_grad()
def count_complexity(model: nn.Module,
                     input_shape: Sequence[int]) -> Complexity:
    """MACs of one forward pass on an input of this shape, by operator,
    and what could not be counted.

    Args:
        model: left unchanged (mode, weights, device).
        input_shape: ``(N, C, H, W)``, or ``(C, H, W)`` for N = 1.
    """
    shape = _shape(input_shape)
    recorder = _OpRecorder(set(flop_registry))
    handles = []

    def leave(module, args, output):  # returns None: output unchanged
        recorder.stack.pop()

    for name, module in model.named_modules():
        handles.append(module.register_forward_pre_hook(
            lambda m, a, name=name: recorder.stack.append(name)))
        handles.append(module.register_forward_hook(leave))
    was_training = model.training
    model.eval()
    try:
        try:
            # shapes only: parameters and input replaced by meta tensors
            fake = {
                name: torch.empty_like(t, device='meta')
                for name, t in (list(model.named_parameters())
                                + list(model.named_buffers()))
            }
            counter = FlopCounterMode(display=False)
            recorder.stack[:] = ['']
            with counter, recorder:
                functional_call(model, fake,
                                (torch.empty(shape, device='meta'), ))
        except (NotImplementedError, RuntimeError):
            # an op without a meta kernel: count on a real (zero) input
            device = next((p.device for p in model.parameters()),
                          torch.device('cpu'))
            counter = FlopCounterMode(display=False)
            recorder.stack[:] = ['']
            recorder.uncounted.clear()
            with counter, recorder:
                model(torch.zeros(shape, device=device))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    by_op = {str(op): int(n) // 2
             for op, n in counter.get_flop_counts().get('Global', {}).items()}
    return Complexity(int(counter.get_total_flops()) // 2, by_op,
                      recorder.uncounted)


def count_macs(model: nn.Module, input_shape: Sequence[int]) -> int:
    """Multiply-accumulates of one forward pass on an input of this shape
    (FLOPs / 2 of every counted operator; see the module docstring)."""
    return count_complexity(model, input_shape).macs
