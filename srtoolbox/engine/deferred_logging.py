"""Per-iteration logging without per-iteration host syncs.

mmengine's ``RuntimeInfoHook`` turns every value a ``train_step`` returns
into a Python number at once (``MessageHub.update_scalar`` calls
``.item()``): on a GPU that is one host synchronisation per logged value
per iteration, which stalls the queue of kernels behind it. Its
``IterTimerHook`` also rewrites the message hub (two scalars, the ETA)
every iteration. Here both keep their values in a :class:`ScalarBuffer`
and write them to the message hub in one go, when something reads them:

* the ``LoggerHook`` iteration (every ``log_interval``), the last training
  iteration, the start of a validation and any checkpoint save (whose
  message hub state then holds every value, as before);
* tensors are detached 0-dim tensors left where they are (CPU or GPU); a
  flush stacks those of one device and copies them to the host at once.

The contract for models: ``train_step`` may return ``log_vars`` as Python
numbers or as detached 0-dim tensors on the device; the engine reads them
every ``log_interval`` iterations (and at the events above), never in
between. The message hub ends up with exactly the values mmengine's hooks
would have written, one per iteration, in order.

``SRRunner`` uses :class:`DeferredRuntimeInfoHook` unless a config names a
``runtime_info`` hook; ``configs/_base_/default_runtime.py`` names
:class:`DeferredIterTimerHook` as its timer.
"""
import time
from collections import defaultdict

import numpy as np
import torch
from mmengine.hooks import IterTimerHook, LoggerHook, RuntimeInfoHook

from ..registry import HOOKS

__all__ = ['ScalarBuffer', 'DeferredRuntimeInfoHook', 'DeferredIterTimerHook',
           'flush_scalars']


class ScalarBuffer:
    """Scalars kept per key until :meth:`flush` writes them to a
    ``MessageHub``: Python numbers, and 0-dim (or one-element) tensors read
    with one device-to-host copy per device."""

    def __init__(self):
        self._pending = defaultdict(list)

    def __len__(self):
        return sum(len(v) for v in self._pending.values())

    def add(self, key, value):
        if isinstance(value, torch.Tensor):
            if value.numel() != 1:
                raise ValueError(f'log value {key!r} must be a number or a '
                                 'one-element tensor, got a tensor of shape '
                                 f'{tuple(value.shape)}')
            value = value.detach()
        self._pending[key].append(value)

    def _to_numbers(self):
        """``{key: [float | int, ...]}``, tensors read once per device."""
        by_device = defaultdict(list)  # device -> [(key, position, tensor)]
        numbers = {}
        for key, values in self._pending.items():
            numbers[key] = list(values)
            for i, v in enumerate(values):
                if isinstance(v, torch.Tensor):
                    by_device[v.device].append((key, i, v))
        for device, items in by_device.items():
            # float64 holds every float32/16 value exactly (as .item()
            # would give it); Apple's MPS has no float64
            dtype = torch.float32 if device.type == 'mps' else torch.float64
            stacked = torch.stack([t.reshape(()).to(dtype)
                                   for _, _, t in items])
            for (key, i, t), number in zip(items, stacked.tolist()):
                # an integer or bool tensor gives an int, as .item() does
                numbers[key][i] = number if t.is_floating_point() else \
                    int(number)
        return numbers

    def flush(self, message_hub):
        """Append every pending value to ``message_hub``'s history buffers,
        in order, and forget them."""
        if not self._pending:
            return
        numbers = self._to_numbers()
        self._pending.clear()
        for key, values in numbers.items():
            if key not in message_hub.log_scalars:
                message_hub.update_scalar(key, values[0])
                values = values[1:]
            if values:
                _extend(message_hub.log_scalars[key], values)


def _extend(buffer, values):
    """``HistoryBuffer.update`` for many values (count 1 each) in one
    array copy instead of one per value."""
    log = getattr(buffer, '_log_history', None)
    count = getattr(buffer, '_count_history', None)
    if log is None or count is None:  # another mmengine: the public way
        for v in values:
            buffer.update(v)
        return
    buffer._log_history = np.append(log, values)
    buffer._count_history = np.append(count, np.ones(len(values)))
    if len(buffer._log_history) > buffer.max_length:
        buffer._log_history = buffer._log_history[-buffer.max_length:]
        buffer._count_history = buffer._count_history[-buffer.max_length:]


def _buffer(runner):
    buf = getattr(runner, '_deferred_scalars', None)
    if buf is None:
        buf = ScalarBuffer()
        runner._deferred_scalars = buf
    return buf


def flush_scalars(runner):
    """Write the scalars the deferred hooks hold to ``runner.message_hub``
    (for code that reads ``train/*`` scalars between logging intervals)."""
    buf = getattr(runner, '_deferred_scalars', None)
    if buf is not None:
        buf.flush(runner.message_hub)


def _flush_into_checkpoint(runner, checkpoint):
    """Flush before a save; the checkpoint, which already holds the hub's
    state, gets the complete one."""
    buf = getattr(runner, '_deferred_scalars', None)
    if buf is not None and len(buf):
        buf.flush(runner.message_hub)
        if 'message_hub' in checkpoint:
            checkpoint['message_hub'] = runner.message_hub.state_dict()


def _logs_after(runner, batch_idx):
    """Whether a ``LoggerHook`` logs after training iteration
    ``batch_idx`` (its own conditions), or this is the last iteration;
    worked out once per iteration for both deferred hooks, from the
    loggers, epoch length and ``max_iters`` noted at the first call."""
    plan = getattr(runner, '_deferred_plan', None)
    if plan is None:
        plan = runner._deferred_plan = dict(
            loggers=[h for h in runner.hooks if isinstance(h, LoggerHook)],
            epoch_len=len(runner.train_dataloader),
            max_iters=runner.max_iters, batch_idx=None, logs=False)
    if plan['batch_idx'] != batch_idx:
        plan['batch_idx'] = batch_idx
        # IterBasedTrainLoop: batch_idx is runner.iter
        plan['logs'] = batch_idx + 1 >= plan['max_iters'] or any(
            hook.every_n_inner_iters(batch_idx, hook.interval)
            or batch_idx + 1 == plan['epoch_len']
            for hook in plan['loggers'])
    return plan['logs']


@HOOKS.register_module()
class DeferredRuntimeInfoHook(RuntimeInfoHook):
    """``RuntimeInfoHook`` whose per-iteration learning rates and
    ``log_vars`` wait in a :class:`ScalarBuffer` until they are read (see
    the module docstring); no ``.item()`` per iteration."""

    def before_train(self, runner):
        runner._deferred_plan = None  # hooks and loader as this run has them
        super().before_train(runner)

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        runner.message_hub.update_info('iter', runner.iter)
        buf = _buffer(runner)
        for name, lr in runner.optim_wrapper.get_lr().items():
            buf.add(f'train/{name}', lr[0])

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        buf = _buffer(runner)
        if outputs is not None:
            for key, value in outputs.items():
                buf.add(f'train/{key}', value)
        # this hook runs first (VERY_HIGH): the logger sees every value
        if _logs_after(runner, batch_idx):
            buf.flush(runner.message_hub)

    def after_train(self, runner):
        flush_scalars(runner)
        super().after_train(runner)

    def before_val(self, runner):
        flush_scalars(runner)
        super().before_val(runner)

    def before_save_checkpoint(self, runner, checkpoint):
        _flush_into_checkpoint(runner, checkpoint)


@HOOKS.register_module()
class DeferredIterTimerHook(IterTimerHook):
    """``IterTimerHook`` that keeps ``train/time`` and ``train/data_time``
    in the runner's :class:`ScalarBuffer` and sets the ETA when they are
    written, instead of three message hub updates per iteration.
    Validation and test iterations are timed as mmengine does. Flushes
    at checkpoints and at the end too, for configs that keep mmengine's
    ``RuntimeInfoHook``."""

    def before_save_checkpoint(self, runner, checkpoint):
        _flush_into_checkpoint(runner, checkpoint)

    def after_train(self, runner):
        flush_scalars(runner)

    def _before_iter(self, runner, batch_idx, data_batch=None, mode='train'):
        if mode != 'train':
            return super()._before_iter(runner, batch_idx, data_batch, mode)
        _buffer(runner).add('train/data_time', time.time() - self.t)

    def _after_iter(self, runner, batch_idx, data_batch=None, outputs=None,
                    mode='train'):
        if mode != 'train':
            return super()._after_iter(runner, batch_idx, data_batch,
                                       outputs, mode)
        now = time.time()
        elapsed = now - self.t
        self.t = now
        _buffer(runner).add('train/time', elapsed)
        self.time_sec_tot += elapsed
        if _logs_after(runner, batch_idx):  # before the LoggerHook reads
            flush_scalars(runner)
            time_sec_avg = self.time_sec_tot / (
                runner.iter - self.start_iter + 1)
            runner.message_hub.update_info(
                'eta', time_sec_avg * (runner.max_iters - runner.iter - 1))
