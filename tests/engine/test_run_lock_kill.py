"""#22.4: the work-dir lock dies with the main process. After ``kill -9``
of tools/train.py its orphaned loader workers live on for seconds; they
must not hold the lock, and a lock kept by leftovers of an ended run never
names the ended PID as the holder. Real training, real SIGKILL."""
import os
import signal
import subprocess
import sys
import time

import pytest

from srtoolbox.engine.run_lock import (LOCK_NAME, WorkDirLockedError,
                                       lock_work_dir)

from .tiny_run import TRAIN, tiny_config, train_env


def _children(pid):
    """PIDs whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat', encoding='utf-8') as f:
                ppid = int(f.read().rsplit(')', 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            found.append(int(entry))
    return found


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _kill(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='/proc')
def test_kill_9_frees_the_lock_while_loader_workers_live(tiny_data,
                                                         tmp_path):
    config = tiny_config(tiny_data, tmp_path / 'cfg.py', num_workers=2)
    work = tmp_path / 'work'
    work.mkdir()
    proc = subprocess.Popen(
        [sys.executable, TRAIN, config, '--work-dir', str(work)],
        env=train_env(tiny_data, SRTOOLBOX_TEST_PAUSE='iter:2'),
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        cwd=str(tmp_path))
    workers = []
    try:
        deadline = time.time() + 240
        while not (work / 'paused').exists():
            assert proc.poll() is None, 'training ended before the pause'
            assert time.time() < deadline, 'training never paused'
            time.sleep(0.1)
        workers = _children(proc.pid)
        assert len(workers) >= 2  # the persistent loader workers
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        # a scheduler's immediate requeue: no waiting for the workers
        lock = lock_work_dir(str(work), leftover_wait=0)
        orphans = [pid for pid in workers if _alive(pid)]
        lock.release()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        _kill(workers)
    # before the fix the orphans held the lock: "in use ... (PID <dead>)"
    assert orphans, 'the workers had already ended: nothing was tested'


HOLD = '''
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_EX)
print('held', flush=True)
time.sleep(120)
'''


def test_a_lock_left_to_children_of_an_ended_run_names_no_dead_pid(
        tmp_path):
    import socket
    ended = subprocess.Popen([sys.executable, '-c', 'pass'])
    ended.wait()
    lock_file = tmp_path / LOCK_NAME
    lock_file.write_text(f'PID {ended.pid} on {socket.gethostname()}, '
                         'started 2026-01-01 00:00:00: tools/train.py a.py\n')
    # a process the ended run left behind still holds the lock
    leftover = subprocess.Popen([sys.executable, '-c', HOLD, str(lock_file)],
                                stdout=subprocess.PIPE, text=True)
    try:
        assert leftover.stdout.readline().strip() == 'held'
        start = time.monotonic()
        with pytest.raises(WorkDirLockedError) as err:
            lock_work_dir(str(tmp_path), leftover_wait=0.5)
        assert time.monotonic() - start >= 0.5  # it waited for them
        message = str(err.value)
        assert str(ended.pid) not in message
        assert 'left over from a run that has ended' in message
        assert 'tools/train.py a.py' in message and 'fuser' in message
        # the leftovers end while a new run waits: it gets the lock
        killer = subprocess.Popen(
            [sys.executable, '-c', 'import os, sys, time; time.sleep(0.5); '
             'os.kill(int(sys.argv[1]), 9)', str(leftover.pid)])
        lock = lock_work_dir(str(tmp_path), leftover_wait=30)
        assert lock.held and str(os.getpid()) in lock_file.read_text()
        lock.release()
        killer.wait()
    finally:
        leftover.kill()
        leftover.wait()
