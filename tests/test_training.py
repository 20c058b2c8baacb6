"""End to end on mmengine's Runner: a short training run and tools/test.py."""
import json
import os.path as osp
import subprocess
import sys

import random

import numpy as np
import torch
from torch.utils.data import default_collate

from srtoolbox.engine.launch import (build_runner, load_config,
                                     prepare_train_config)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO_CFG = osp.join(REPO, 'configs', 'srresnet', 'srresnet_x4_demo.py')

TINY = {
    'model.generator.num_feat': 16,
    'model.generator.num_blocks': 2,
    'train_dataloader.batch_size': 4,
    'train_dataloader.num_workers': 0,
    'train_dataloader.persistent_workers': False,
    'train_dataloader.dataset.pipeline.0.gt_size': 32,
    'train_dataloader.dataset.data_root': osp.join(REPO, 'data', 'demo'),
    'default_hooks.logger.interval': 1,
}


def test_short_training_run_lowers_the_loss(tmp_path):
    options = dict(TINY, **{'train_cfg.max_iters': 40,
                            'train_cfg.val_interval': 1000,
                            'optim_wrapper.optimizer.lr': 1e-3,
                            # constant rate: the demo's cosine would follow
                            # max_iters=40 and anneal to zero here
                            'param_scheduler': [],
                            'val_dataloader': None, 'val_evaluator': None,
                            'val_cfg': None, 'custom_hooks': [],
                            'default_hooks.checkpoint.save_best': None})
    cfg = load_config(DEMO_CFG, options)
    cfg = prepare_train_config(cfg, work_dir=str(tmp_path), check_data=False)
    runner = build_runner(cfg)
    # a fixed batch of real crops, scored before and after training
    random.seed(123)
    dataset = runner.build_dataloader(cfg.train_dataloader).dataset
    batch = default_collate([dataset[i] for i in range(0, 80, 10)])

    def fixed_batch_loss():
        model = runner.model
        model.eval()
        with torch.no_grad():
            data = model.data_preprocessor(batch, True)
            loss = model(**data, mode='loss')['loss_pix'].item()
        model.train()
        return loss

    before = fixed_batch_loss()
    runner.train()
    after = fixed_batch_loss()
    losses = runner.message_hub.get_scalar('train/loss_pix').data[0]
    assert len(losses) == 40 and np.all(np.isfinite(losses))
    assert after < 0.5 * before, (before, after)
    assert osp.isfile(osp.join(tmp_path, 'iter_40.pth'))


def test_train_then_test_tool_writes_metrics_images_and_tables(tmp_path):
    options = [f'{k}={v}' for k, v in TINY.items()] + [
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        f'val_dataloader.dataset.datasets.0.data_root={REPO}/data/demo',
        f'val_dataloader.dataset.datasets.1.data_root={REPO}/data/demo']
    work = tmp_path / 'work'
    subprocess.run([sys.executable, osp.join(REPO, 'tools', 'train.py'),
                    DEMO_CFG, '--work-dir', str(work), '--cfg-options',
                    *options], check=True, capture_output=True, cwd=tmp_path)
    summary = json.loads((work / 'summary.json').read_text())
    assert set(summary) >= {'Set5', 'Set14'}
    assert summary['Set5']['bicubic_psnr'] > 28.0
    assert (work / 'vis' / 'iter_2').is_dir()
    out = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'test.py'), DEMO_CFG,
         str(work / 'iter_2.pth'), '--work-dir', str(work),
         '--data-root', osp.join(REPO, 'data', 'demo'),
         '--out', str(tmp_path / 'res'), '--save-dir', str(tmp_path / 'sr'),
         '--cfg-options', 'model.generator.num_feat=16',
         'model.generator.num_blocks=2'],
        check=True, capture_output=True, text=True, cwd=tmp_path).stdout
    assert 'Set5' in out and 'Set14' in out
    res = json.loads((tmp_path / 'res.json').read_text())
    assert len(res['per_image']) == 19
    assert {'Set5/PSNR', 'Set14/SSIM'} <= set(res['summary'])
    rows = (tmp_path / 'res.csv').read_text().splitlines()
    assert rows[0].startswith('dataset,key,PSNR,SSIM') and len(rows) == 20
    set5 = [r['PSNR'] for r in res['per_image'] if r['dataset'] == 'Set5']
    assert np.mean(set5) == __import__('pytest').approx(
        res['summary']['Set5/PSNR'])
    assert (tmp_path / 'sr' / 'Set14' / 'bridge.png').is_file()
    # every result says where it came from
    import hashlib
    ckpt = work / 'iter_2.pth'
    sha = hashlib.sha256(ckpt.read_bytes()).hexdigest()
    # training computes in what this CPU's detection says (bf16 where it is
    # native, #22.3); tools/test.py runs the generator in fp32
    from srtoolbox.engine.optim_wrapper import cpu_supports_bf16
    trained_in = 'bf16' if cpu_supports_bf16() else 'fp32'
    for record, precision in ((res['meta'], 'fp32'),
                              (summary['provenance'], trained_in)):
        assert record['checkpoint']['sha256'] == sha
        assert record['config']['path'] == osp.relpath(DEMO_CFG, REPO)
        assert len(record['config']['sha256']) == 64
        assert record['precision'] == precision
        assert record['machine']['device'] == 'cpu'
        assert record['versions']['torch'] == torch.__version__
        assert record['wall_time_s'] > 0
        git = record['git']
        assert git is None or (len(git['commit']) == 40
                               and isinstance(git['dirty'], bool))
    # the test ran with other options than training: another config hash
    assert res['meta']['config']['sha256'] != \
        summary['provenance']['config']['sha256']


def test_training_precision_follows_the_cpu_detection(tmp_path, native_bf16):
    """The demo's dtype='auto' trains in bf16 exactly where the CPU computes
    it natively, and the run's record says so; both detection results."""
    from srtoolbox.engine.results import run_precision
    options = dict(TINY, **{'train_cfg.max_iters': 1,
                            'train_dataloader.batch_size': 1,
                            'val_dataloader': None, 'val_evaluator': None,
                            'val_cfg': None, 'custom_hooks': [],
                            'default_hooks.checkpoint.save_best': None})
    cfg = prepare_train_config(load_config(DEMO_CFG, options),
                               work_dir=str(tmp_path), check_data=False)
    runner = build_runner(cfg)
    runner.train()
    want = 'bf16' if native_bf16 else 'fp32'
    assert run_precision(runner) == want
    assert runner.optim_wrapper.cast_dtype == (
        torch.bfloat16 if native_bf16 else None)
