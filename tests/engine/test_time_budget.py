"""TrainTimeBudgetHook: the iteration that ends past the budget is the last
(checkpoint and validation follow as at max_iters)."""
import logging

import pytest

from srtoolbox.engine import time_budget_hook
from srtoolbox.engine.time_budget_hook import TrainTimeBudgetHook


class _Loop:
    def __init__(self, max_iters):
        self._max_iters = max_iters

    @property
    def max_iters(self):
        return self._max_iters


class _Runner:
    def __init__(self, max_iters):
        self.train_loop = _Loop(max_iters)
        self.iter = 0
        self.logger = logging.getLogger('test_time_budget')


def test_stops_after_the_iteration_past_the_budget(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(time_budget_hook.time, 'monotonic', lambda: clock[0])
    hook, runner = TrainTimeBudgetHook(minutes=1), _Runner(1000)
    for it in range(10):
        runner.iter = it
        hook.before_train_iter(runner, it)
        clock[0] += 25.0  # each iteration takes 25 s
        hook.after_train_iter(runner, it)
        if runner.train_loop.max_iters != 1000:
            break
    # 25, 50, 75 s: the third iteration ends past 60 s and is the last
    assert runner.iter == 2 and runner.train_loop.max_iters == 3


def test_max_iters_stays_the_bound(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(time_budget_hook.time, 'monotonic', lambda: clock[0])
    hook, runner = TrainTimeBudgetHook(minutes=1), _Runner(2)
    hook.before_train_iter(runner, 0)
    runner.iter = 1
    clock[0] = 3600.0
    hook.after_train_iter(runner, 1)
    assert runner.train_loop.max_iters == 2


@pytest.mark.parametrize('minutes', [0, -1, 'ten', True])
def test_budget_must_be_positive(minutes):
    with pytest.raises(ValueError, match='minutes'):
        TrainTimeBudgetHook(minutes=minutes)
