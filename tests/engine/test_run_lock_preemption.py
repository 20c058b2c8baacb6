"""#17.1 one run per work dir, #17.6 SIGTERM/SIGINT save and say how to
resume; real training subprocesses (tiny_run.py's 10-iteration config)."""
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest

from .tiny_run import TRAIN, tiny_config, train_env

# a hook that, at iteration WAIT_AT, writes a marker and waits (up to 60 s)
# for a signal to be received: the signal then lands at a known iteration
WAITER = '''
import os, os.path as osp, time
from mmengine.hooks import Hook
from srtoolbox.registry import HOOKS
from srtoolbox.engine.preemption import preemption_requested


@HOOKS.register_module()
class WaitForSignalHook(Hook):
    def before_train_iter(self, runner, batch_idx, data_batch=None):
        at = int(os.environ.get('WAIT_AT', '-1'))
        if runner.iter != at:
            return
        open(osp.join(runner.work_dir, 'waiting'), 'w').close()
        deadline = time.time() + 60
        while time.time() < deadline and not preemption_requested():
            time.sleep(0.05)
'''


@pytest.fixture
def waiting_config(tiny_data, tmp_path):
    (tiny_data / 'srtoolbox_signal_helper.py').write_text(WAITER)
    # two loader workers: Slurm and the terminal signal every process of
    # the job, and a worker killed by it used to abort the main process
    return tiny_config(
        tiny_data, tmp_path / 'cfg.py', num_workers=2,
        custom_imports="dict(imports=['srtoolbox_test_helper', "
                       "'srtoolbox_signal_helper'], "
                       'allow_failed_imports=False)',
        custom_hooks="[dict(type='WaitForSignalHook')]")


def _start(data, config, work_dir, *args, **env):
    os.makedirs(work_dir, exist_ok=True)
    return subprocess.Popen(
        [sys.executable, TRAIN, config, '--work-dir', str(work_dir), *args],
        env=train_env(data, **env), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, cwd=str(work_dir.parent),
        start_new_session=True)  # its own process group, as a Slurm job


def _wait_for(proc, marker, timeout=180):
    deadline = time.time() + timeout
    while not osp.exists(marker):
        if proc.poll() is not None:
            raise AssertionError('run ended early:\n' + proc.stdout.read())
        assert time.time() < deadline, 'run never reached the marker'
        time.sleep(0.1)


def _stop_with(proc, signum):
    os.killpg(proc.pid, signum)  # every process: main and loader workers
    try:
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return out


def _assert_saved_and_told(proc, out, signum, work):
    assert proc.returncode == 128 + signum, out[-3000:]
    assert 'Traceback' not in out, out[-3000:]
    with pytest.raises(ProcessLookupError):  # no worker left behind
        os.killpg(proc.pid, 0)
    # iteration 3 (index 2) finished, then saved: iter_3.pth
    assert (work / 'iter_3.pth').exists(), out[-3000:]
    assert (work / 'last_checkpoint').read_text().endswith('iter_3.pth')
    assert signal.Signals(signum).name in out
    command = out.split('Resume with:')[1]
    assert '--resume' in command and str(work) in command


def test_lock_refuses_a_second_run_and_sigterm_saves_for_resume(
        tiny_data, waiting_config, tmp_path):
    from srtoolbox.utils.checkpoint_io import load_checkpoint_file
    work = tmp_path / 'work'
    first = _start(tiny_data, waiting_config, work, WAIT_AT='2')
    try:
        _wait_for(first, work / 'waiting')
        second = subprocess.run(
            [sys.executable, TRAIN, waiting_config, '--work-dir', str(work)],
            env=train_env(tiny_data), capture_output=True, text=True,
            timeout=180, cwd=str(tmp_path))
    finally:
        out = _stop_with(first, signal.SIGTERM)
    # the second run is refused at once, naming the holder and the way out
    assert second.returncode != 0
    assert f'PID {first.pid}' in second.stderr
    assert '--work-dir' in second.stderr
    # the first run was not disturbed: it saved on SIGTERM and said how to
    # resume (before the fix: exit 143, no message, no checkpoint)
    _assert_saved_and_told(first, out, signal.SIGTERM, work)
    assert load_checkpoint_file(work / 'iter_3.pth')['meta']['iter'] == 3
    # its lock died with it: --resume continues to the end
    resumed = subprocess.run(
        [sys.executable, TRAIN, waiting_config, '--work-dir', str(work),
         '--resume'], env=train_env(tiny_data), capture_output=True,
        text=True, timeout=240, cwd=str(tmp_path))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert load_checkpoint_file(work / 'iter_10.pth')['meta']['iter'] == 10


def test_sigint_saves_a_checkpoint_and_prints_the_resume_command(
        tiny_data, waiting_config, tmp_path):
    work = tmp_path / 'work'
    proc = _start(tiny_data, waiting_config, work, WAIT_AT='2')
    try:
        _wait_for(proc, work / 'waiting')
    finally:
        out = _stop_with(proc, signal.SIGINT)
    _assert_saved_and_told(proc, out, signal.SIGINT, work)


def test_resume_from_weights_only_file_is_a_named_error(
        tiny_data, tmp_path):
    import torch
    weights = tmp_path / 'weights only.pth'
    torch.save({'params': {'w': torch.zeros(1)}}, weights)
    from srtoolbox.engine.launch import NotResumableError, check_resumable
    with pytest.raises(NotResumableError, match='not a training checkpoint'):
        check_resumable(str(weights))
