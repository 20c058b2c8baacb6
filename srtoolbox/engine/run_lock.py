"""One training run per work dir: an exclusive lock held for the run's life.

Two runs writing to one work dir overwrite each other's checkpoints,
``best_*.pth``, ``summary.json`` and config copy. :func:`lock_work_dir`
takes ``fcntl.flock`` on ``<work_dir>/.srtoolbox_run.lock``; the operating
system releases it when the process ends, however it ends (a killed run's
work dir can be resumed at once). A second run fails immediately with
:class:`WorkDirLockedError` naming the holder's PID.

A ``flock`` belongs to the open file, which ``fork`` shares with the child:
data loader workers would keep the lock of a ``kill -9``-ed run for the
seconds they take to notice. So every forked child closes its copy at once
(``os.register_at_fork``) and the lock dies with the main process. Where a
lock is still held although the process it names has ended (a child forked
by other means), :func:`lock_work_dir` waits a few seconds for the leftover
processes and never names the ended process as the holder.

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

try:
    import fcntl
except ImportError:  # Windows: no advisory locks, lock_work_dir runs unguarded
    fcntl = None  # type: ignore[assignment]

__all__ = ['WorkDirLockedError', 'RunLock', 'lock_work_dir', 'LOCK_NAME']

LOCK_NAME = '.srtoolbox_run.lock'

# locks this process holds: a forked child closes its inherited copies
_HELD: set = set()


def _forget_locks_in_child() -> None:
    # close, never LOCK_UN: unlocking through the shared open file would
    # release the parent's lock too
    for lock in list(_HELD):
        try:
            os.close(lock._fd)
        except OSError:
            pass
        lock._fd = None
    _HELD.clear()


if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_forget_locks_in_child)


class WorkDirLockedError(RuntimeError):
    """Another live run holds the work dir."""


class RunLock:
    """An acquired lock; :meth:`release` (or process exit) frees it."""

    def __init__(self, path: str, fd: Optional[int]):
        self.path = path
        self._fd = fd
        if fd is not None:
            _HELD.add(self)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is None:
            return
        _HELD.discard(self)
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


def _process_ended(holder: str) -> bool:
    """Whether the lock file's record names a process of this host that
    has ended (or is a zombie, which holds no files)."""
    fields = holder.split()
    if len(fields) < 4 or fields[0] != 'PID' or fields[2] != 'on':
        return False
    if fields[3].rstrip(',') != socket.gethostname() \
            or not fields[1].isdigit():
        return False  # another host's process cannot be checked from here
    pid = int(fields[1])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        with open(f'/proc/{pid}/stat', encoding='utf-8') as f:
            return f.read().rsplit(')', 1)[1].split()[0] == 'Z'
    except (OSError, IndexError):
        return False


def lock_work_dir(work_dir: str, rank_zero_only: bool = True,
                  leftover_wait: float = 10.0) -> RunLock:
    """Lock ``work_dir`` for this process (created if missing).

    Returns a :class:`RunLock` (a no-op one on ranks other than 0, and on
    systems without ``fcntl``).

    Args:
        leftover_wait (float): seconds to wait when the lock is held
            although the process it names has ended (its leftover children
            still hold it); they usually exit within seconds.

    Raises:
        WorkDirLockedError: a live process holds the lock; the message names
            its PID, host and command and suggests another ``--work-dir``.
            Held by leftovers of an ended run: says so, naming no PID.
    """
    path = osp.join(work_dir, LOCK_NAME)
    if rank_zero_only and not _is_rank_zero():
        return RunLock(path, None)
    if fcntl is None:  # Windows: no advisory locks, run unguarded
        return RunLock(path, None)
    os.makedirs(work_dir, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + leftover_wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError:
            holder = os.pread(fd, 4096, 0).decode('utf-8', 'replace').strip()
        if not _process_ended(holder):
            os.close(fd)
            raise WorkDirLockedError(
                f'work dir {work_dir} is in use by another training run '
                f'({holder or "holder unknown"}). Two runs in one work dir '
                'would overwrite each other\'s checkpoints and logs: wait '
                'for it to end, stop it, or give this run another '
                '--work-dir.')
        if time.monotonic() >= deadline:
            os.close(fd)
            command = holder.split(': ', 1)[-1]
            raise WorkDirLockedError(
                f'work dir {work_dir} is still locked by processes left '
                f'over from a run that has ended ({command}), e.g. children '
                f'it started; `fuser -v {path}` lists them: end them, or '
                'give this run another --work-dir.')
        time.sleep(0.1)
    info = (f'PID {os.getpid()} on {socket.gethostname()}, started '
            f'{time.strftime("%Y-%m-%d %H:%M:%S")}: '
            f'{" ".join(sys.argv)[:500]}\n')
    os.ftruncate(fd, 0)
    os.pwrite(fd, info.encode('utf-8'), 0)
    return RunLock(path, fd)
