"""What training does when a loss is NaN or Inf: the engine's policy.

Two parts, both in the engine (the models only compute losses):

* the mechanism, in every optim wrapper the runner builds
  (:class:`~.optim_wrapper.SROptimWrapper`): a step whose loss is not
  finite is never applied, and the wrapper records that it skipped it;
* the policy, :class:`NonFiniteLossHook` (``default_hooks.nonfinite``):
  ``action='raise'`` stops with :class:`NonFiniteLossError` naming the
  loss, the iteration and the last checkpoint saved before it;
  ``action='skip'`` goes on (and stops after ``max_consecutive_skips``
  iterations in a row that skipped an update).

On a CPU the hook reads the wrappers' records after every iteration (a
read costs nothing there); on a GPU, every ``interval`` iterations (the
logger's by default), before a checkpoint is written and at the end, so
that no iteration waits for the GPU: the skip itself happens on the device
with fused optimizers (see the wrapper). The counters go into the
checkpoint (``nonfinite``), so ``--resume`` continues them.
"""
import math
import os.path as osp
from typing import Any, Dict, List, Mapping, Optional, Tuple

import torch
from mmengine.hooks import Hook, LoggerHook
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper, OptimWrapperDict

from ..registry import HOOKS
from ..utils.module_utils import unwrap_model

__all__ = ['NonFiniteLossError', 'NonFiniteLossHook', 'checkpoint_advice',
           'nonfinite_since', 'guarded_wrappers']

ACTIONS = ('raise', 'skip')


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or Inf."""


def checkpoint_advice(bad_iter: int) -> str:
    """Which kept checkpoints predate the non-finite loss of 0-based
    iteration ``bad_iter`` (weights after ``bad_iter`` updates gave it), from
    the list the checkpoint hook keeps in the message hub; '' without one.
    """
    saved = MessageHub.get_current_instance().get_info('saved_checkpoints')
    if saved is None:
        return ''
    saved = [(int(step), path) for step, path in saved if osp.isfile(path)]
    good = [(step, path) for step, path in saved if step < bad_iter]
    suspect = [path for step, path in saved if step >= bad_iter]
    if good:
        step, path = max(good)
        text = (f'The last checkpoint from before the non-finite loss is '
                f'{path} (iteration {step}): resume from it with a lower '
                'learning rate.')
    else:
        text = (f'No checkpoint from before iteration {bad_iter + 1} is '
                'kept.')
    if suspect:
        text += (f' {", ".join(suspect)} hold(s) the weights that gave the '
                 'non-finite loss: do not use them.')
    return text


def _nonfinite_names(log_vars: Optional[Mapping[str, Any]]) -> str:
    bad = []
    for key, value in (log_vars or {}).items():
        if isinstance(value, torch.Tensor):
            if not torch.isfinite(value.detach()).all():
                bad.append(f'{key}={float(value.detach().reshape(-1)[0])}'
                           if value.numel() == 1 else
                           f'{key} (non-finite values)')
        elif isinstance(value, float) and not math.isfinite(value):
            bad.append(f'{key}={value}')
    return ', '.join(bad)


def guarded_wrappers(optim_wrapper) -> List[Tuple[str, OptimWrapper]]:
    """``(config key, wrapper)`` of every wrapper of the runner."""
    if isinstance(optim_wrapper, OptimWrapperDict):
        return [(f'optim_wrapper.{k}', w) for k, w in optim_wrapper.items()]
    return [('optim_wrapper', optim_wrapper)]


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """The policy for iterations whose loss was NaN or Inf (module doc).

    Args:
        action (str): ``'raise'`` (default) or ``'skip'``.
        max_consecutive_skips (int | None): with ``'skip'``, stop after
            this many consecutive iterations that skipped an update
            (training that does not recover). None: never. Default: 100.
        interval (int | None): read the wrappers' records every this many
            iterations; None: every iteration on a CPU, the logger's
            interval on other devices.

    ``SRRunner`` registers it as ``default_hooks.nonfinite``; set
    ``default_hooks=dict(nonfinite=dict(action='skip'))`` to change it.
    """
    priority = 'ABOVE_NORMAL'  # before the logger and the checkpoint hook

    def __init__(self, action: str = 'raise',
                 max_consecutive_skips: Optional[int] = 100,
                 interval: Optional[int] = None):
        if action not in ACTIONS:
            raise ValueError(f"default_hooks.nonfinite.action must be 'raise'"
                             f" or 'skip', got {action!r}")
        if max_consecutive_skips is not None and not (
                isinstance(max_consecutive_skips, int)
                and max_consecutive_skips >= 1):
            raise ValueError('default_hooks.nonfinite.max_consecutive_skips '
                             'must be an integer >= 1 or None, got '
                             f'{max_consecutive_skips!r}')
        self.action = action
        self.max_consecutive_skips = max_consecutive_skips
        self.interval = interval
        # 0-based iteration since which every iteration skipped an update
        # (None: the last one read did not); the checkpoint hook reads it
        self.since: Optional[int] = None
        self.skipped: int = 0  # iterations skipped in a row
        self._wrappers: List[Tuple[str, OptimWrapper]] = []
        self._pending: List[Tuple[int, Any, Any]] = []
        self._hub: Optional[MessageHub] = None
        self._every = 1

    # ------------------------------------------------------------ set-up
    def before_train(self, runner) -> None:
        self._wrappers = guarded_wrappers(runner.optim_wrapper)
        for key, wrapper in self._wrappers:
            if not hasattr(wrapper, 'pop_skip_flags'):
                raise TypeError(
                    f'{key}: {type(wrapper).__name__} cannot skip a step '
                    'whose loss is NaN or Inf; use SROptimWrapper (mmengine\'s'
                    ' OptimWrapper with that guard) or AutocastOptimWrapper, '
                    'or derive your wrapper from one of them')
        self._every = self.interval or self._default_interval(runner)
        self._hub = runner.message_hub

    @staticmethod
    def _default_interval(runner) -> int:
        model = unwrap_model(runner.model)
        param = next(model.parameters(), None)
        if param is None or param.device.type == 'cpu':
            return 1
        for hook in runner.hooks:
            if isinstance(hook, LoggerHook):
                return max(1, int(hook.interval))
        return 1

    # ------------------------------------------------------------- step
    def after_train_iter(self, runner, batch_idx: int,
                         data_batch: Any = None, outputs: Any = None) -> None:
        flags = [f for _, w in self._wrappers for f in w.pop_skip_flags()]
        if flags and not self._pending and not any(
                isinstance(f, torch.Tensor) for f in flags):
            # records read on the host already (a CPU): apply at once
            self._apply(runner.iter, any(flags), outputs)
            return
        if flags:
            self._pending.append((runner.iter, flags, outputs))
        if self._pending and (self.every_n_train_iters(runner, self._every)
                              or self.is_last_train_iter(runner)):
            self.flush()

    def flush(self) -> None:
        """Read the pending records (one device-to-host copy per device)
        and apply the policy to each iteration in turn."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        tensors = [f for _, flags, _ in pending for f in flags
                   if isinstance(f, torch.Tensor)]
        values = iter(torch.stack([t.reshape(()).float() for t in tensors])
                      .tolist() if tensors else [])
        for it, flags, outputs in pending:
            bad = False
            for f in flags:
                bad = (next(values) > 0 if isinstance(f, torch.Tensor)
                       else bool(f)) or bad
            self._apply(it, bad, outputs)

    def _apply(self, it: int, bad: bool, outputs: Any) -> None:
        if not bad:
            self.since, self.skipped = None, 0
            return
        if self.since is None:
            self.since = it
        self.skipped += 1
        names = _nonfinite_names(outputs if isinstance(outputs, Mapping)
                                 else None) or 'on another process'
        if self.action == 'raise':
            raise NonFiniteLossError(
                f'non-finite loss at iteration {it + 1}: {names}. Lower the '
                'learning rate, check the data, or set default_hooks='
                "dict(nonfinite=dict(action='skip')). "
                f'{checkpoint_advice(it)}')
        (self._hub or MessageHub.get_current_instance()).update_scalar(
            'train/skipped_steps', 1)
        limit = self.max_consecutive_skips
        if limit is not None and self.skipped >= limit:
            raise NonFiniteLossError(
                f'{self.skipped} consecutive iterations with a non-finite '
                f'loss (since iteration {self.since + 1}; now {names}): '
                'training is not recovering (default_hooks.nonfinite.'
                f'max_consecutive_skips={limit}). '
                f'{checkpoint_advice(self.since)}')

    # ------------------------------------------------------- checkpoints
    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        self.flush()
        if self.since is not None or self.skipped:
            checkpoint['nonfinite'] = dict(
                since=-1 if self.since is None else self.since,
                skipped=self.skipped)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state: Dict[str, int] = checkpoint.get('nonfinite') or {}
        since = int(state.get('since', -1))
        self.since = None if since < 0 else since
        self.skipped = int(state.get('skipped', 0))


def nonfinite_since(runner) -> Optional[int]:
    """The 0-based iteration since which the run has skipped every update
    (None: it is not skipping), from the runner's :class:`NonFiniteLossHook`
    after reading its pending records."""
    for hook in runner.hooks:
        if isinstance(hook, NonFiniteLossHook):
            hook.flush()
            return hook.since
    return None
