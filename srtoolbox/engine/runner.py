"""mmengine's ``Runner`` with a shorter console start-up.

The environment table, the full config and the hook table go to the log
file (``<work_dir>/<timestamp>/<timestamp>.log``) only; the console shows
what the run does. ``log_tables_to_console = True`` in a config restores
mmengine's behaviour.
"""
from __future__ import annotations

import copy
import logging

from mmengine.hooks import Hook
from mmengine.optim import OptimWrapper
from mmengine.runner import Runner

from .config_files import wrapper_configs
from .preemption import IgnoreStopSignalsInWorker
from .work_dir import check_resume_fits, latest_checkpoint

__all__ = ['SRRunner', 'FileOnlyTables', 'guard_plain_wrappers']

_TABLES = ('System environment:', 'Config:\n',
           'Hooks will be executed in the following order')


class FileOnlyTables(logging.Filter):
    """Drops the start-up tables from the handler it is added to."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage().lstrip('\n-')
        return not msg.startswith(_TABLES)


# mmengine's Hook methods that only forward to a shared private one
_FORWARDS = {f'{when}_{mode}_{what}': f'_{when}_{what}'
             for when in ('before', 'after')
             for mode in ('train', 'val', 'test')
             for what in ('iter', 'epoch')}


def _does_something(hook, fn_name):
    """False when ``hook.fn_name`` is mmengine's ``Hook`` no-op (and the
    private method it forwards to is not overridden either)."""
    if not hasattr(hook, fn_name):
        return False
    if fn_name in vars(hook):  # set on the instance
        return True

    def overridden(name):
        return getattr(type(hook), name, None) is not getattr(Hook, name,
                                                              None)
    return overridden(fn_name) or (fn_name in _FORWARDS
                                   and overridden(_FORWARDS[fn_name]))


def guard_plain_wrappers(cfg: dict) -> dict:
    """A copy of ``cfg`` (one wrapper, or a dict of them) with every plain
    ``OptimWrapper`` (or no type) as ``SROptimWrapper``."""
    cfg = copy.deepcopy(cfg)
    for _, wrapper in wrapper_configs(cfg):
        if wrapper.get('type', 'OptimWrapper') in ('OptimWrapper',
                                                   OptimWrapper):
            wrapper['type'] = 'SROptimWrapper'
    return cfg


class SRRunner(Runner):
    """``Runner`` whose console handler leaves out the start-up tables,
    whose DataLoader workers ignore SIGTERM/SIGINT while the main process
    handles them (:mod:`.preemption`), and whose runtime-info hook reads
    the logged values at the logging interval instead of every iteration
    (:class:`.deferred_logging.DeferredRuntimeInfoHook`, unless the config
    names a ``default_hooks.runtime_info`` of its own).

    ``call_hook`` calls only the hooks that do something at that point
    (mmengine calls every hook's every method, most of them the base
    class's no-ops: tens of Python calls per iteration)."""

    def register_default_hooks(self, hooks=None):
        hooks = dict(hooks or {})
        hooks.setdefault('runtime_info',
                         dict(type='DeferredRuntimeInfoHook'))
        nonfinite = hooks.get('nonfinite')
        if isinstance(nonfinite, dict) and 'type' not in nonfinite:
            # default_hooks=dict(nonfinite=dict(action='skip'))
            hooks['nonfinite'] = dict(nonfinite, type='NonFiniteLossHook')
        hooks.setdefault('nonfinite', dict(type='NonFiniteLossHook'))
        super().register_default_hooks(hooks)

    def build_optim_wrapper(self, optim_wrapper):
        if isinstance(optim_wrapper, dict):
            optim_wrapper = guard_plain_wrappers(optim_wrapper)
        return super().build_optim_wrapper(optim_wrapper)

    def register_hook(self, hook, priority=None):
        super().register_hook(hook, priority)
        self._hook_table = {}

    def call_hook(self, fn_name, **kwargs):
        table = self.__dict__.setdefault('_hook_table', {})
        hooks = table.get(fn_name)
        if hooks is None:
            hooks = table[fn_name] = [h for h in self._hooks
                                      if _does_something(h, fn_name)]
        for hook in hooks:
            try:
                getattr(hook, fn_name)(self, **kwargs)
            except TypeError as e:
                raise TypeError(f'{e} in {hook}') from None

    @staticmethod
    def build_dataloader(dataloader, seed=None, diff_rank_seed=False):
        loader = Runner.build_dataloader(dataloader, seed=seed,
                                         diff_rank_seed=diff_rank_seed)
        if getattr(loader, 'num_workers', 0) and not isinstance(
                loader.worker_init_fn, IgnoreStopSignalsInWorker):
            loader.worker_init_fn = IgnoreStopSignalsInWorker(
                loader.worker_init_fn)
        return loader

    def load_or_resume(self) -> None:
        """mmengine's, with ``resume`` reading the work dir's own
        ``last_checkpoint`` (:mod:`.work_dir`): no checkpoint yet starts
        afresh saying so (not "resumed from None"), and a checkpoint that
        does not fit the model is refused naming the keys."""
        if not self._has_loaded and self._resume:  # type: ignore[has-type]
            if self._load_from is None:  # type: ignore[has-type]
                self._load_from = latest_checkpoint(self.work_dir)
                if self._load_from is None:
                    self.logger.warning(
                        f'--resume: {self.work_dir} holds no checkpoint yet '
                        '(no last_checkpoint): training starts from '
                        'iteration 0')
                    self._resume = False
                else:
                    self.logger.info(f'--resume: the latest checkpoint of '
                                     f'{self.work_dir} is {self._load_from}')
            if self._resume:
                check_resume_fits(self.model, self._load_from)
        return super().load_or_resume()

    def build_logger(self, *args, **kwargs):
        logger = super().build_logger(*args, **kwargs)
        cfg = getattr(self, 'cfg', None)
        if cfg is not None and cfg.get('log_tables_to_console', False):
            return logger
        for handler in logger.handlers:
            if isinstance(handler, logging.StreamHandler) and not \
                    isinstance(handler, logging.FileHandler):
                if not any(isinstance(f, FileOnlyTables)
                           for f in handler.filters):
                    handler.addFilter(FileOnlyTables())
        return logger
