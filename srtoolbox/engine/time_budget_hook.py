"""Stop training after a wall-clock budget: comparisons "per CPU minute".

``custom_hooks = [dict(type='TrainTimeBudgetHook', minutes=12)]`` ends the
run after the first iteration that finishes past the budget, counted from
the first training iteration (start-up excluded), and makes that iteration
the last one: the final checkpoint is written and the last validation runs,
as at ``train_cfg.max_iters`` (which stays the upper bound). Meant for
optimizers without a schedule (schedule-free), which may stop anywhere; a
cosine schedule would stop before its end. The log names the iteration.
"""
from __future__ import annotations

import time
from typing import Optional

from mmengine.hooks import Hook

from ..registry import HOOKS

__all__ = ['TrainTimeBudgetHook']


@HOOKS.register_module()
class TrainTimeBudgetHook(Hook):
    """Args:
        minutes (float): the training time budget, > 0.
    """

    priority = 'NORMAL'  # before the checkpoint hook sees the last iteration

    def __init__(self, minutes: float):
        if isinstance(minutes, bool) or not isinstance(
                minutes, (int, float)) or not minutes > 0:
            raise ValueError(f'TrainTimeBudgetHook: minutes = {minutes!r} '
                             'must be a number > 0')
        self.seconds = float(minutes) * 60.0
        self._start: Optional[float] = None

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if self._start is None:
            self._start = time.monotonic()

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        loop = runner.train_loop
        elapsed = time.monotonic() - self._start
        if elapsed < self.seconds or runner.iter + 1 >= loop.max_iters:
            return
        # this iteration becomes the last: checkpoint and validation follow
        loop._max_iters = runner.iter + 1
        runner.logger.info(
            f'TrainTimeBudgetHook: {elapsed / 60:.2f} min of training, past '
            f'the budget of {self.seconds / 60:g} min: iteration '
            f'{runner.iter + 1} is the last')
