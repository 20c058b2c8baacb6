"""Logged values read at the logging interval, not every iteration; the
same weights and the same message hub history as mmengine's hooks."""
import os.path as osp
import time

import numpy as np
import pytest
import torch
from mmengine.hooks import Hook
from mmengine.logging import MessageHub

from srtoolbox.engine.deferred_logging import ScalarBuffer
from srtoolbox.engine.launch import (build_runner, load_config,
                                     prepare_train_config)
from srtoolbox.registry import HOOKS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO_CFG = osp.join(REPO, 'configs', 'srresnet', 'msrresnet_x4_demo.py')


def test_scalar_buffer_writes_what_update_scalar_would():
    values = [1.5, torch.tensor(2.25), torch.tensor([3.0]), 4,
              torch.tensor(float('nan')), torch.tensor(7),
              torch.tensor(0.1, dtype=torch.bfloat16)]
    deferred = MessageHub('deferred_test')
    direct = MessageHub('direct_test')
    deferred.update_scalar('train/loss', 0.5)  # an existing buffer grows
    direct.update_scalar('train/loss', 0.5)
    buf = ScalarBuffer()
    for v in values:
        buf.add('train/loss', v)
        buf.add('train/new', v)
        direct.update_scalar('train/loss', v)
        direct.update_scalar('train/new', v)
    assert 'train/new' not in deferred.log_scalars  # nothing read yet
    buf.flush(deferred)
    assert len(buf) == 0
    # a new key starting with an integer tensor keeps mmengine's int
    int_deferred, int_direct = MessageHub('int_d'), MessageHub('int_e')
    buf.add('train/count', torch.tensor(3))
    buf.flush(int_deferred)
    int_direct.update_scalar('train/count', torch.tensor(3))
    assert int_deferred.get_scalar('train/count').data[0].dtype == \
        int_direct.get_scalar('train/count').data[0].dtype
    for key in ('train/loss', 'train/new'):
        got, want = deferred.get_scalar(key), direct.get_scalar(key)
        np.testing.assert_array_equal(got.data[0], want.data[0])
        np.testing.assert_array_equal(got.data[1], want.data[1])


def test_scalar_buffer_refuses_a_tensor_of_several_values():
    with pytest.raises(ValueError, match="'train/loss'.*shape \\(2,\\)"):
        ScalarBuffer().add('train/loss', torch.ones(2))


@HOOKS.register_module()
class _RecordHubLength(Hook):
    """How many ``train/loss`` values the hub holds after each iteration,
    seen by the last hook."""
    priority = 'LOWEST'

    def __init__(self):
        self.lengths = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        buf = runner.message_hub.log_scalars.get('train/loss')
        self.lengths.append(0 if buf is None else len(buf.data[0]))


def _tiny_run(tmp_path, deferred, iters=7, log_interval=3):
    options = {
        'model.generator.num_feat': 8, 'model.generator.num_blocks': 1,
        'model.ema_decay': 0.9,
        'train_dataloader.batch_size': 2,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'train_dataloader.dataset.pipeline.0.gt_size': 32,
        'train_dataloader.dataset.data_root': osp.join(REPO, 'data', 'demo'),
        'train_cfg.max_iters': iters, 'train_cfg.val_interval': 1000,
        'val_dataloader': None, 'val_evaluator': None, 'val_cfg': None,
        'custom_hooks': [dict(type='_RecordHubLength')],
        'default_hooks.logger.interval': log_interval,
        'default_hooks.checkpoint.interval': 5,
        'default_hooks.checkpoint.save_best': None,
        'log_level': 'WARNING',
        # mmengine names a run's message hub by its start second: two runs
        # started within one second would share one
        'experiment_name': f'deferred_{deferred}_{time.time_ns()}',
    }
    if not deferred:  # mmengine's own hooks
        options['default_hooks.timer'] = dict(type='IterTimerHook')
        options['default_hooks.runtime_info'] = dict(type='RuntimeInfoHook')
    cfg = load_config(DEMO_CFG, options)
    # fp32 everywhere (the demo autocasts to bf16 where a CPU has it)
    cfg.optim_wrapper.pop('dtype', None)
    cfg.optim_wrapper.type = 'OptimWrapper'
    cfg = prepare_train_config(cfg, work_dir=str(tmp_path), check_data=False)
    runner = build_runner(cfg)
    hook_types = {type(h).__name__ for h in runner.hooks}
    assert ('DeferredRuntimeInfoHook' in hook_types) == deferred
    assert ('DeferredIterTimerHook' in hook_types) == deferred
    runner.train()
    return runner


def test_deferred_logging_changes_no_weight_and_no_logged_value(
        tmp_path, one_thread):
    old = _tiny_run(tmp_path / 'mmengine', deferred=False)
    new = _tiny_run(tmp_path / 'deferred', deferred=True)
    old_state, new_state = old.model.state_dict(), new.model.state_dict()
    assert list(old_state) == list(new_state)
    assert old.optim_wrapper.optimizer.param_groups[0]['params'][
        0].dtype == torch.float32 and type(old.optim_wrapper).__name__ == \
        'SROptimWrapper'  # the plain wrapper with the non-finite guard
    for key in old_state:  # fp32 weights and EMA, bit for bit
        assert torch.equal(old_state[key], new_state[key]), key
    for key in ('train/loss', 'train/loss_pix', 'train/lr'):
        np.testing.assert_array_equal(
            new.message_hub.get_scalar(key).data[0],
            old.message_hub.get_scalar(key).data[0])
    assert len(new.message_hub.get_scalar('train/time').data[0]) == 7
    assert len(new.message_hub.get_scalar('train/data_time').data[0]) == 7
    # read at the logging iterations (3, 6), the checkpoint (5) and the
    # last (7) only
    record = next(h for h in new.hooks if type(h).__name__ ==
                  '_RecordHubLength')
    assert record.lengths == [0, 0, 3, 3, 5, 6, 7]
    old_record = next(h for h in old.hooks if type(h).__name__ ==
                      '_RecordHubLength')
    assert old_record.lengths == [1, 2, 3, 4, 5, 6, 7]
    # the checkpoint of iteration 5 holds all five values, as before
    ckpt = torch.load(tmp_path / 'deferred' / 'iter_5.pth',
                      weights_only=True)
    saved = ckpt['message_hub']['log_scalars']['train/loss']
    np.testing.assert_array_equal(
        saved.data[0], old.message_hub.get_scalar('train/loss').data[0][:5])
