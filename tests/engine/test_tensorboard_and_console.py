"""#13.4: --tensorboard writes losses, learning rate, validation metrics and
images to a TensorBoard event file in a short run; the environment, config
and hook tables go to the log file, not the console."""
import glob
import os.path as osp
import subprocess
import sys

import pytest

from .tiny_run import TRAIN, tiny_config, train_env

pytest.importorskip('tensorboard')


def test_short_run_writes_tensorboard_events_and_a_quiet_console(
        tiny_data, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    config = tiny_config(
        tiny_data, tmp_path / 'cfg.py', log_level="'INFO'",
        custom_hooks="[dict(type='SRVisualizationHook', num_images=1)]")
    work = tmp_path / 'work'
    proc = subprocess.run(
        [sys.executable, TRAIN, config, '--work-dir', str(work),
         '--tensorboard'], env=train_env(tiny_data), capture_output=True,
        text=True, timeout=240, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    events = glob.glob(str(work / '*' / 'vis_data' / 'events.out.tfevents*'))
    assert len(events) == 1
    acc = EventAccumulator(events[0], size_guidance={'images': 0})
    acc.Reload()
    scalars = acc.Tags()['scalars']
    assert {'loss', 'lr'} <= set(scalars), scalars
    assert any('PSNR' in t for t in scalars), scalars
    assert [e.step for e in acc.Scalars('loss')][-1] == 10
    images = acc.Tags()['images']
    assert images and all(t.startswith('val/') for t in images), images
    assert sorted({e.step for t in images for e in acc.Images(t)}) == [5, 10]
    # start-up tables: in the log file, not on the console
    console = proc.stdout + proc.stderr
    log = open(glob.glob(str(work / '*' / '*.log'))[0]).read()
    for table in ('System environment:', 'Hooks will be executed'):
        assert table in log and table not in console
