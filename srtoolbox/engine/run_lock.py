"""One training run per work dir: an exclusive lock held for the run's life.

Two runs writing to one work dir overwrite each other's checkpoints,
``best_*.pth``, ``summary.json`` and config copy. :func:`lock_work_dir`
takes ``fcntl.flock`` on ``<work_dir>/.srtoolbox_run.lock``; the operating
system releases it when the process ends, however it ends (a killed run's
work dir can be resumed at once). A second run fails immediately with
:class:`WorkDirLockedError` naming the holder's PID.

Under torchrun/srun only rank 0 locks (the other ranks of the same run write
to the same dir by design).
"""
from __future__ import annotations

import os
import os.path as osp
import socket
import sys
import time
from typing import Optional

__all__ = ['WorkDirLockedError', 'RunLock', 'lock_work_dir', 'LOCK_NAME']

LOCK_NAME = '.srtoolbox_run.lock'


class WorkDirLockedError(RuntimeError):
    """Another live run holds the work dir."""


class RunLock:
    """An acquired lock; :meth:`release` (or process exit) frees it."""

    def __init__(self, path: str, fd: Optional[int]):
        self.path = path
        self._fd = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is None:
            return
        import fcntl
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> 'RunLock':
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _is_rank_zero() -> bool:
    for var in ('RANK', 'SLURM_PROCID'):
        if os.environ.get(var, '0') not in ('', '0'):
            return False
    return True


def lock_work_dir(work_dir: str, rank_zero_only: bool = True) -> RunLock:
    """Lock ``work_dir`` for this process (created if missing).

    Returns a :class:`RunLock` (a no-op one on ranks other than 0, and on
    systems without ``fcntl``).

    Raises:
        WorkDirLockedError: a live process holds the lock; the message names
            its PID, host and command and suggests another ``--work-dir``.
    """
    path = osp.join(work_dir, LOCK_NAME)
    if rank_zero_only and not _is_rank_zero():
        return RunLock(path, None)
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks, run unguarded
        return RunLock(path, None)
    os.makedirs(work_dir, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        try:
            holder = os.pread(fd, 4096, 0).decode('utf-8', 'replace').strip()
        finally:
            os.close(fd)
        raise WorkDirLockedError(
            f'work dir {work_dir} is in use by another training run '
            f'({holder or "holder unknown"}). Two runs in one work dir would '
            'overwrite each other\'s checkpoints and logs: wait for it to '
            'end, stop it, or give this run another --work-dir.') from None
    info = (f'PID {os.getpid()} on {socket.gethostname()}, started '
            f'{time.strftime("%Y-%m-%d %H:%M:%S")}: '
            f'{" ".join(sys.argv)[:500]}\n')
    os.ftruncate(fd, 0)
    os.pwrite(fd, info.encode('utf-8'), 0)
    return RunLock(path, fd)
