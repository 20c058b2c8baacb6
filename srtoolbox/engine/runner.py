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
    """``Runner`` whose console handler leaves out the start-up tables, and
    whose DataLoader workers ignore SIGTERM/SIGINT while the main process
    handles them (:mod:`.preemption`)."""

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

    def load_or_resume(self) -> None:
        """mmengine's, with ``resume`` reading the work dir's own
        ``last_checkpoint`` (:mod:`.work_dir`): no checkpoint yet starts
        afresh saying so (not "resumed from None"), and a checkpoint that
        does not fit the model is refused naming the keys."""
        if not self._has_loaded and self._resume:
            from .work_dir import check_resume_fits, latest_checkpoint
            if self._load_from is None:
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
