"""Tiny runs of tools/train.py for the engine tests: a few 40x40 images,
MSRResNet with 8 features and 1 block, 16 px HR crops, CPU."""
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TRAIN = osp.join(REPO, 'tools', 'train.py')

# a hook the runs load (custom_imports): at the iteration or save named by
# SRTOOLBOX_TEST_PAUSE it writes a marker file and sleeps until the test
# kills the process with SIGKILL; it also saves every rank's weights
HELPER = '''
import os, os.path as osp, time
import torch
from mmengine.hooks import Hook
from mmengine.dist import get_rank
from mmengine.model import is_model_wrapper
from srtoolbox.registry import HOOKS


def _pause(work_dir):
    open(osp.join(work_dir, 'paused'), 'w').close()
    while True:
        time.sleep(1)


@HOOKS.register_module()
class PauseForKillHook(Hook):
    """SRTOOLBOX_TEST_PAUSE='iter:N': pause before iteration N + 1;
    'save:N': pause halfway through writing iter_N.pth (a partial temporary
    file named as atomic_write names them). Saves every rank's weights at
    the end."""
    priority = 'LOWEST'

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        pause = os.environ.get('SRTOOLBOX_TEST_PAUSE', '')
        if pause.startswith('iter:') and runner.iter == int(pause[5:]):
            _pause(runner.work_dir)

    def before_save_checkpoint(self, runner, checkpoint):
        pause = os.environ.get('SRTOOLBOX_TEST_PAUSE', '')
        if (pause.startswith('save:')
                and checkpoint['meta']['iter'] == int(pause[5:])):
            tmp = osp.join(runner.work_dir,
                           f'.iter_{pause[5:]}.pth.0123456789ab.tmp')
            with open(tmp, 'wb') as f:
                f.write(b'PK half a checkpoint')
            _pause(runner.work_dir)

    def after_train(self, runner):
        model = runner.model.module if is_model_wrapper(runner.model) \\
            else runner.model
        torch.save({k: v.detach().clone() for k, v in
                    model.state_dict().items()},
                   osp.join(runner.work_dir, f'final_rank{get_rank()}.pth'))
'''


def write_images(folder, count, size, seed):
    import cv2
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(count):
        noise = rng.random((size // 4, size // 4, 3)) * 255
        img = cv2.resize(noise, (size, size), interpolation=cv2.INTER_CUBIC)
        cv2.imwrite(osp.join(folder, f'{i:03d}.png'),
                    np.clip(img, 0, 255).astype(np.uint8))


def tiny_config(data, path, batch_size=4, num_workers=0, **overrides):
    """Write a config file for a tiny MSRResNet run and return its path.

    ``overrides`` replace top-level keys (given as Python source text).
    """
    data = str(data)
    keys = dict(
        _base_=repr([osp.join(REPO, 'configs', '_base_',
                              'default_runtime.py')]),
        custom_imports="dict(imports=['srtoolbox_test_helper'], "
                       'allow_failed_imports=False)',
        model="dict(type='SRModel', generator=dict(type='MSRResNet', "
              'upscale=4, num_feat=8, num_blocks=1), '
              "pixel_loss=dict(type='L1Loss'), ema_decay=0.9)",
        optim_wrapper="dict(type='OptimWrapper', optimizer=dict("
                      "type='Adam', lr=2e-3))",
        param_scheduler="[dict(type='MultiStepLR', milestones=[6], "
                        'gamma=0.5, by_epoch=False)]',
        train_dataloader=f'''dict(
    batch_size={batch_size}, num_workers={num_workers},
    persistent_workers={num_workers > 0},
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='HRImageDataset', gt_folder={osp.join(data, 'train')!r},
                 scale=4, pipeline=[
        dict(type='PairedRandomCrop', gt_size=16, scale=4),
        dict(type='BicubicDownsample', scale=4),
        dict(type='RandomFlipRotate'), dict(type='PackSRInputs')]))''',
        val_dataloader=f'''dict(
    batch_size=1, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='HRImageDataset', gt_folder={osp.join(data, 'val')!r},
                 scale=4, test_mode=True, pipeline=[
        dict(type='ModCrop', scale=4), dict(type='BicubicDownsample', scale=4),
        dict(type='PackSRInputs')]))''',
        val_evaluator="[dict(type='PSNR', crop_border=0)]",
        test_cfg='None',
        train_cfg='dict(max_iters=10, val_interval=5)',
        default_hooks='dict(logger=dict(interval=1), '
                      'checkpoint=dict(interval=4, max_keep_ckpts=1))',
        custom_hooks="[dict(type='PauseForKillHook')]",
        randomness='dict(seed=0, deterministic=True)',
        log_level="'WARNING'",
        # mmengine names a run's message hub after its start second: runs
        # started within one second would share one (and its scalars)
        experiment_name=repr(f'tiny_{time.time_ns()}'),
    )
    keys.update(overrides)
    text = '\n'.join(f'{k} = {v}' for k, v in keys.items()) + '\n'
    with open(path, 'w') as f:
        f.write(text)
    return str(path)


def train_env(data, **extra):
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [str(data), REPO] + ([env['PYTHONPATH']] if env.get('PYTHONPATH')
                             else []))
    env.setdefault('OMP_NUM_THREADS', '1')
    env.pop('SRTOOLBOX_TEST_PAUSE', None)
    env.update(extra)
    return env


def run_train(data, config, work_dir, *args, timeout=240, **env):
    """tools/train.py in a subprocess; raises with its output on failure."""
    proc = subprocess.run(
        [sys.executable, TRAIN, config, '--work-dir', str(work_dir), *args],
        env=train_env(data, **env), capture_output=True, text=True,
        timeout=timeout, cwd=str(work_dir.parent))
    if proc.returncode:
        raise AssertionError(f'train.py failed ({proc.returncode}):\n'
                             f'{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}')
    return proc


def run_until_paused_then_kill(data, config, work_dir, pause, timeout=240):
    """Start training, wait for the pause hook's marker, SIGKILL it."""
    os.makedirs(work_dir, exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, TRAIN, config, '--work-dir', str(work_dir)],
        env=train_env(data, SRTOOLBOX_TEST_PAUSE=pause),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        cwd=str(work_dir.parent))
    marker = osp.join(work_dir, 'paused')
    deadline = time.time() + timeout
    try:
        while not osp.exists(marker):
            if proc.poll() is not None:
                raise AssertionError('training ended before the pause:\n' +
                                     proc.stdout.read().decode()[-5000:])
            if time.time() > deadline:
                raise AssertionError('training never reached the pause')
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    os.remove(marker)


def load_weights(path):
    """The state dict of a checkpoint or of a final_rank<r>.pth dump."""
    from srtoolbox.utils.checkpoint_io import load_checkpoint_file
    obj = load_checkpoint_file(path)  # weights_only, mmengine types allowed
    return obj.get('state_dict', obj)


def max_relative_difference(a, b, prefix=''):
    keys = [k for k in a if k.startswith(prefix)]
    assert keys and set(keys) == {k for k in b if k.startswith(prefix)}
    worst = 0.0
    for k in keys:
        x, y = a[k].double(), b[k].double()
        worst = max(worst, float((x - y).norm() / (y.norm() + 1e-12)))
    return worst


def train_in_process(config, work_dir, resume=None, **options):
    """Run a tiny config in this process; returns (runner, state dict).
    ``runner.initial_state`` holds the weights before training.

    The test helper's hook (pause, per-rank dumps) is left out: it does not
    change training.
    """
    from srtoolbox.engine.launch import (build_runner, load_config,
                                         prepare_train_config)
    options = dict({'custom_hooks': []}, **options)
    cfg = load_config(str(config), options)
    cfg = prepare_train_config(cfg, work_dir=str(work_dir), resume=resume,
                               check_data=False)
    runner = build_runner(cfg)
    runner.initial_state = _clone_state(runner.model)
    return runner, _clone_state(runner.train())


def _clone_state(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}
