"""Stop on SIGTERM / SIGINT with a checkpoint, ready for ``--resume``.

Slurm sends SIGTERM before it requeues or cancels a job (torchrun forwards
it to its workers); Ctrl-C sends SIGINT. :func:`install_preemption_handlers`
turns both into a request; :class:`PreemptionHook` sees it at the next
iteration boundary, saves a checkpoint through the run's checkpoint hook
(RNG states, ``last_checkpoint`` and all) and raises :class:`Preempted`.
The command line prints the ``--resume`` command and exits with
``128 + signal`` (143 for SIGTERM, 130 for SIGINT): stopped, not finished.
A second Ctrl-C stops at once, without a checkpoint.

Under DDP the ranks agree (an all-reduce of the flag every
``sync_interval`` iterations, 10 by default, and at the last), so every
rank saves and stops at the same iteration, at most that many iterations
after the signal.
"""
from __future__ import annotations

import atexit
import multiprocessing
import os
import os.path as osp
import signal
from typing import Any, Dict, Optional

import torch
from mmengine.dist import all_reduce, get_world_size, is_main_process
from mmengine.hooks import CheckpointHook, Hook

from ..registry import HOOKS
from .work_dir import record_last_checkpoint

__all__ = ['Preempted', 'PreemptionHook', 'install_preemption_handlers',
           'restore_signal_handlers', 'preemption_requested',
           'IgnoreStopSignalsInWorker']

_requested: Dict[str, Optional[int]] = {'signum': None}
_previous: Dict[int, Any] = {}


class Preempted(Exception):
    """Training stopped on a signal after saving ``checkpoint``."""

    def __init__(self, signum: int, iteration: int,
                 checkpoint: Optional[str]):
        self.signum = signum
        self.iteration = iteration
        self.checkpoint = checkpoint
        name = signal.Signals(signum).name
        super().__init__(f'{name} received: stopped after iteration '
                         f'{iteration}, checkpoint {checkpoint}')

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _handler(signum, frame):
    if _requested['signum'] is not None and signum == signal.SIGINT:
        raise KeyboardInterrupt  # second Ctrl-C: stop now
    _requested['signum'] = signum


# shared with forked DataLoader workers: 0 while the main process handles
# stop signals, 1 once it is ending (then a worker may die of SIGTERM, as
# multiprocessing's exit handler and torch's shutdown expect)
_workers_may_stop: Dict[str, Any] = {'flag': None}


def _let_workers_stop(final: bool = False) -> None:
    flag = _workers_may_stop['flag']
    if flag is not None:
        flag.value = 1
    if final and flag is not None:
        # the process is ending: workers dying now are expected, not the
        # failure torch's SIGCHLD handler would report at exit
        try:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        except (ValueError, AttributeError):  # not the main thread; Windows
            pass


class IgnoreStopSignalsInWorker:
    """A DataLoader ``worker_init_fn`` wrapper for forked workers.

    Slurm and the terminal send SIGTERM/SIGINT to every process; a worker
    killed by them aborts the main process (torch's SIGCHLD handler) before
    it can save. While the main process handles these signals
    (:func:`install_preemption_handlers`), its workers ignore them; once it
    is ending (saved and stopping, finished, or exiting for any other
    reason) they die of them as usual. Then calls the wrapped function.
    """

    def __init__(self, worker_init_fn=None):
        self.worker_init_fn = worker_init_fn

    def __call__(self, worker_id):
        flag = _workers_may_stop['flag']
        if _previous and flag is not None:  # forked while handling
            def handler(signum, frame):
                if flag.value:  # the main process is ending: die
                    signal.signal(signum, signal.SIG_DFL)
                    os.kill(os.getpid(), signum)
            # after torch's own worker handlers, which re-raise SIGTERM
            for sig in list(_previous):
                signal.signal(sig, handler)
        if self.worker_init_fn is not None:
            self.worker_init_fn(worker_id)


def install_preemption_handlers(signals=(signal.SIGTERM, signal.SIGINT)):
    """Route ``signals`` to a request checked at iteration boundaries.

    DataLoader workers built by :class:`~.runner.SRRunner` (forked) ignore
    them (:class:`IgnoreStopSignalsInWorker`). Call from the main thread;
    :func:`restore_signal_handlers` undoes it.
    """
    _requested['signum'] = None
    if _workers_may_stop['flag'] is None:
        _workers_may_stop['flag'] = multiprocessing.RawValue('b', 0)
        atexit.register(_let_workers_stop, True)  # before multiprocessing's
    _workers_may_stop['flag'].value = 0
    for sig in signals:
        _previous.setdefault(sig, signal.getsignal(sig))
        signal.signal(sig, _handler)


def restore_signal_handlers() -> None:
    _let_workers_stop()
    for sig, old in list(_previous.items()):
        signal.signal(sig, old)
        del _previous[sig]
    _requested['signum'] = None


def preemption_requested() -> Optional[int]:
    """The signal number received, or None."""
    return _requested['signum']


@HOOKS.register_module()
class PreemptionHook(Hook):
    """Save and stop at the first iteration boundary after a signal.

    Added by :func:`srtoolbox.engine.launch.train_from_config`; to use it in
    a runner of your own, call :func:`install_preemption_handlers` too.
    """

    priority = 'LOWEST'  # after the checkpoint hook's own save

    def __init__(self, sync_interval=10):
        # under DDP the ranks agree through an all-reduce and a host read:
        # every sync_interval iterations, not every one (a GPU step of a
        # few ms would wait for it)
        self.sync_interval = max(1, int(sync_interval))

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        signum = _requested['signum'] or 0
        if get_world_size() > 1:  # every rank stops at the same iteration
            if (runner.iter + 1) % self.sync_interval and \
                    runner.iter + 1 < runner.max_iters:
                return
            flag = torch.tensor([signum], dtype=torch.int64)
            all_reduce(flag, op='max')
            signum = int(flag.item())
        if not signum:
            return
        step = runner.iter + 1
        hook = next((h for h in runner.hooks
                     if isinstance(h, CheckpointHook)), None)
        if hook is not None and not hook.by_epoch:
            hook._save_checkpoint(runner)  # rng states, last_checkpoint
            path = hook.last_ckpt
        else:
            name = f'iter_{step}.pth'
            runner.save_checkpoint(runner.work_dir, name,
                                   meta=dict(epoch=runner.epoch, iter=step))
            path = osp.join(runner.work_dir, name)
            if is_main_process():  # what --resume without a path reads
                record_last_checkpoint(runner.work_dir, path)
        runner.logger.warning(
            f'{signal.Signals(signum).name}: checkpoint {path} saved after '
            f'iteration {step}; stopping')
        _let_workers_stop(final=True)
        raise Preempted(signum, step, str(path))
