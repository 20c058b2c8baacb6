"""save_best by LPIPS, DISTS, NIQE (lower is better) as well as PSNR/SSIM:
the rule is inferred from the metric, a contradicting rule or a metric
that reports nothing is refused before iteration 1, and a tiny real run
keeps the checkpoint with the lowest DISTS and says so in its log."""
import glob
import os.path as osp

import pytest
import torch

from srtoolbox.engine.checkpoint_hook import ResumableCheckpointHook
from srtoolbox.utils.checkpoint_io import load_checkpoint_file

from .tiny_run import tiny_config, train_in_process


@pytest.mark.parametrize('key,rule', [
    ('Set5/PSNR', 'greater'), ('Set14/SSIM', 'greater'),
    ('Set5/LPIPS', 'less'), ('BSD68/DISTS', 'less'), ('Set5/NIQE', 'less')])
def test_rule_is_inferred_from_the_metric(key, rule):
    hook = ResumableCheckpointHook(interval=1, save_best=key)
    assert hook.rules == [rule]
    both = ResumableCheckpointHook(interval=1,
                                   save_best=['Set5/NIQE', 'Set5/PSNR'])
    assert both.rules == ['less', 'greater']


def test_a_contradicting_rule_is_refused():
    with pytest.raises(ValueError, match=r"save_best='Set5/LPIPS' with "
                       r"rule='greater' would keep the worst checkpoint: "
                       r"lower LPIPS is better, so rule must be 'less'"):
        ResumableCheckpointHook(interval=1, save_best='Set5/LPIPS',
                                rule='greater')


def test_auto_picks_the_rule_of_the_first_metric():
    hook = ResumableCheckpointHook(interval=1, save_best='auto')
    hook._init_rule(hook.rules, ['Set5/NIQE'])
    assert hook.rules == ['less']
    hook = ResumableCheckpointHook(interval=1, save_best='auto')
    hook._init_rule(hook.rules, ['val/MAE'])  # a metric of its own
    assert hook.rules == ['greater']


def _config(tiny_data, path, save_best, evaluator):
    return tiny_config(
        tiny_data, path, val_evaluator=evaluator,
        train_cfg='dict(max_iters=9, val_interval=3)',
        default_hooks=f'dict(logger=dict(interval=3), checkpoint=dict('
                      f'interval=100, max_keep_ckpts=1, '
                      f'save_best={save_best!r}))',
        log_level="'INFO'")


def test_tiny_run_keeps_the_lowest_dists(tiny_data, tmp_path, one_thread):
    cfg = _config(tiny_data, tmp_path / 'cfg.py', ['val/DISTS', 'val/PSNR'],
                  "[dict(type='PSNR', crop_border=0), "
                  "dict(type='DISTS', pretrained=None)]")
    work = tmp_path / 'work'
    runner, _ = train_in_process(cfg, work)
    hub = runner.message_hub
    dists = hub.get_scalar('val/val/DISTS').data[0]
    psnr = hub.get_scalar('val/val/PSNR').data[0]
    assert len(dists) == len(psnr) == 3  # iterations 3, 6, 9
    assert min(dists) < max(dists)  # 'greater' would pick another
    best_iter = 3 * (1 + min(range(3), key=lambda i: dists[i]))
    assert hub.get_info('best_score_val/DISTS') == pytest.approx(min(dists))
    assert hub.get_info('best_score_val/PSNR') == pytest.approx(max(psnr))
    best = osp.join(str(work), f'best_val_DISTS_iter_{best_iter}.pth')
    assert hub.get_info('best_ckpt_val/DISTS') == best
    assert glob.glob(osp.join(str(work), 'best_val_DISTS_*.pth')) == [best]
    saved = load_checkpoint_file(best)  # weights_only
    assert saved['meta']['iter'] == best_iter
    log = open(glob.glob(osp.join(str(work), '*', '*.log'))[0]).read()
    assert 'the best checkpoint is the one with the lowest val/DISTS' in log
    assert (f'The best checkpoint with {min(dists):0.4f} val/DISTS at '
            f'{best_iter} iter is saved to best_val_DISTS_iter_{best_iter}'
            '.pth') in log


def test_a_skipped_metric_is_refused_before_training(
        tiny_data, tmp_path, monkeypatch, one_thread):
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path / 'hub'))
    cfg = _config(tiny_data, tmp_path / 'cfg.py', 'val/LPIPS',
                  "[dict(type='PSNR'), dict(type='LPIPS')]")
    with pytest.raises(ValueError, match=r"save_best='val/LPIPS', but the "
                       r'LPIPS metric reports nothing: LPIPS skipped: the '
                       r'ImageNet alexnet weights are not at'):
        train_in_process(cfg, tmp_path / 'work')
    assert not glob.glob(str(tmp_path / 'work' / '*.pth'))
    cfg = _config(tiny_data, tmp_path / 'cfg2.py', 'val/NIQE',
                  "[dict(type='PSNR')]")
    with pytest.raises(ValueError, match=r"val_evaluator has no NIQE metric "
                       r"\(it has PSNR\)"):
        train_in_process(cfg, tmp_path / 'work2')
