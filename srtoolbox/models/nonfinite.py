"""What a training step does when a loss is NaN or Inf.

``'raise'`` stops with :class:`NonFiniteLossError` naming the loss, the
iteration and the last checkpoint saved before it; ``'skip'`` skips the
update (and stops after ``max_consecutive_skips`` iterations in a row).
Under DDP the processes agree first: one flag per process, summed across
processes, so all ranks skip or raise together before any of them reaches
the next gradient all-reduce.

:class:`NonFiniteLossPolicy` is the mixin the training wrappers
(:class:`~.sr_model.SRModel` and its GAN subclasses) use; its counters are
part of the resumable training state (:meth:`nonfinite_state`).
"""
import math
import os.path as osp
from typing import Any, Dict, Mapping, cast

import torch
import torch.distributed as torch_dist
from mmengine.logging import MessageHub
from torch import nn

__all__ = ['NonFiniteLossError', 'NonFiniteLossPolicy', 'checkpoint_advice',
           'count_over_ranks', 'is_distributed']


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or Inf."""


def is_distributed() -> bool:
    """Whether this process is one of several of a DDP run."""
    return torch_dist.is_available() and torch_dist.is_initialized() and \
        torch_dist.get_world_size() > 1


def count_over_ranks(flag: torch.Tensor, model: nn.Module) -> int:
    """``flag`` (0-dim, 0 or 1) summed over the processes of a DDP run."""
    if is_distributed():
        param = next(model.parameters(), None)
        if param is not None:
            flag = flag.to(param.device)
        torch_dist.all_reduce(flag)
    return int(flag.item())


def _nonfinite_names(log_vars):
    bad = []
    for key, value in log_vars.items():
        if isinstance(value, torch.Tensor):
            if value.numel() != 1:
                if not torch.isfinite(value).all():
                    bad.append(f'{key} (non-finite values)')
                continue
            value = float(value.detach())
        if isinstance(value, float) and not math.isfinite(value):
            bad.append(f'{key}={value}')
    return ', '.join(bad)


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


class NonFiniteLossPolicy:
    """Mixin: ``check_finite(log_vars)`` and the counters it keeps.

    ``nonfinite_since``: 0-based iteration since which the losses have been
    non-finite (None: the last check was finite); the checkpoint hook reads
    it. ``_skipped_iters``: the iterations skipped in a row.
    """

    def _init_nonfinite(self, nonfinite_loss, max_consecutive_skips):
        if nonfinite_loss not in ('raise', 'skip'):
            raise ValueError("nonfinite_loss must be 'raise' or 'skip', got "
                             f'{nonfinite_loss!r}')
        if max_consecutive_skips is not None and not (
                isinstance(max_consecutive_skips, int)
                and max_consecutive_skips >= 1):
            raise ValueError('max_consecutive_skips must be an integer >= 1 '
                             f'or None, got {max_consecutive_skips!r}')
        self.nonfinite_loss = nonfinite_loss
        self.max_consecutive_skips = max_consecutive_skips
        self.nonfinite_since = None
        self._skipped_iters = set()

    def nonfinite_state(self) -> Dict[str, torch.Tensor]:
        """The counters as tensors (for the checkpoint); {} when they are
        at their start values (nothing non-finite since the last check)."""
        if self.nonfinite_since is None and not self._skipped_iters:
            return {}
        since = -1 if self.nonfinite_since is None else self.nonfinite_since
        return {'nonfinite_since': torch.tensor(since, dtype=torch.int64),
                'skipped_iters': torch.tensor(sorted(self._skipped_iters),
                                              dtype=torch.int64)}

    def load_nonfinite_state(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`nonfinite_state` ({}: the start values)."""
        since = int(state.get('nonfinite_since', -1))
        self.nonfinite_since = None if since < 0 else since
        self._skipped_iters = {int(i) for i in state.get('skipped_iters', [])}

    def _iteration(self):
        """The runner's iteration (0-based), or a local count without one."""
        it = MessageHub.get_current_instance().get_info('iter')
        return getattr(self, '_local_iter', 0) if it is None else it

    def check_finite(self, log_vars: Mapping[str, Any]) -> bool:
        """True when every logged loss is finite on every process; else
        False (``'skip'``) or :class:`NonFiniteLossError`. One host
        synchronisation (none for CPU floats on one process)."""
        host_ok, device_values = True, []
        for value in log_vars.values():
            if isinstance(value, torch.Tensor):
                if value.device.type == 'cpu' and value.numel() == 1:
                    host_ok = host_ok and math.isfinite(value.item())
                else:  # checked on the device, synchronised once below
                    device_values.append(value.detach().reshape(-1).float())
            elif isinstance(value, float):
                host_ok = host_ok and math.isfinite(value)
        if device_values or is_distributed():
            bad = torch.tensor(0.0 if host_ok else 1.0)
            if device_values:
                values = torch.cat(device_values)
                bad = bad.to(values.device) + \
                    (~torch.isfinite(values).all()).float()
            bad_ranks = count_over_ranks(bad, cast(nn.Module, self))  # a model
        else:  # CPU scalars, one process: no tensor work at all
            bad_ranks = 0 if host_ok else 1
        if bad_ranks == 0:
            self.nonfinite_since = None
            self._skipped_iters.clear()
            return True
        return self._nonfinite(log_vars)

    def _nonfinite(self, log_vars):
        it = self._iteration()
        if self.nonfinite_since is None:
            self.nonfinite_since = it
        names = _nonfinite_names(log_vars)
        where = names if names else 'on another process'
        if self.nonfinite_loss == 'skip':
            MessageHub.get_current_instance().update_scalar(
                'train/skipped_steps', 1)
            self._skipped_iters.add(it)
            limit = self.max_consecutive_skips
            if limit is not None and len(self._skipped_iters) >= limit:
                raise NonFiniteLossError(
                    f'{len(self._skipped_iters)} consecutive iterations with '
                    f'a non-finite loss (since iteration '
                    f'{self.nonfinite_since + 1}; now {where}): training is '
                    'not recovering (model.max_consecutive_skips='
                    f'{limit}). {checkpoint_advice(self.nonfinite_since)}')
            return False
        raise NonFiniteLossError(
            f'non-finite loss at iteration {it + 1}: {where}. Lower the '
            "learning rate, check the data, or set model.nonfinite_loss='skip'"
            f'. {checkpoint_advice(it)}')
