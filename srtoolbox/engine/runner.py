"""mmengine's ``Runner`` with a shorter console start-up.

The environment table, the full config and the hook table go to the log
file (``<work_dir>/<timestamp>/<timestamp>.log``) only; the console shows
what the run does. ``log_tables_to_console = True`` in a config restores
mmengine's behaviour.
"""
from __future__ import annotations

import logging

from mmengine.runner import Runner

__all__ = ['SRRunner', 'FileOnlyTables']

_TABLES = ('System environment:', 'Config:\n',
           'Hooks will be executed in the following order')


class FileOnlyTables(logging.Filter):
    """Drops the start-up tables from the handler it is added to."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage().lstrip('\n-')
        return not msg.startswith(_TABLES)


class SRRunner(Runner):
    """``Runner`` whose console handler leaves out the start-up tables,
    whose DataLoader workers ignore SIGTERM/SIGINT while the main process
    handles them (:mod:`.preemption`), and whose runtime-info hook reads
    the logged values at the logging interval instead of every iteration
    (:class:`.deferred_logging.DeferredRuntimeInfoHook`, unless the config
    names a ``default_hooks.runtime_info`` of its own)."""

    def register_default_hooks(self, hooks=None):
        hooks = dict(hooks or {})
        hooks.setdefault('runtime_info',
                         dict(type='DeferredRuntimeInfoHook'))
        super().register_default_hooks(hooks)

    @staticmethod
    def build_dataloader(dataloader, seed=None, diff_rank_seed=False):
        from .preemption import IgnoreStopSignalsInWorker
        loader = Runner.build_dataloader(dataloader, seed=seed,
                                         diff_rank_seed=diff_rank_seed)
        if getattr(loader, 'num_workers', 0) and not isinstance(
                loader.worker_init_fn, IgnoreStopSignalsInWorker):
            loader.worker_init_fn = IgnoreStopSignalsInWorker(
                loader.worker_init_fn)
        return loader

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
