"""Several named content losses, from config, logged by name (issue #13)."""
import pytest
import torch

from .tiny_run import tiny_config, train_in_process


def test_two_named_losses_train_and_log_both(tiny_data, tmp_path,
                                             one_thread):
    cfg = tiny_config(
        tiny_data, tmp_path / 'cfg.py',
        model="dict(type='SRModel', generator=dict(type='MSRResNet', "
              'upscale=4, num_feat=8, num_blocks=1), pixel_loss=None, '
              "losses=dict(l1=dict(type='L1Loss', loss_weight=1.0), "
              "fft=dict(type='FFTLoss', loss_weight=0.05)))",
        train_cfg='dict(max_iters=3, val_interval=100)', val_cfg='None',
        param_scheduler='[]',
        val_dataloader='None', val_evaluator='None',
        default_hooks='dict(checkpoint=dict(interval=100, save_best=None))')
    runner, state = train_in_process(cfg, tmp_path / 'work')
    hub = runner.message_hub
    l1 = hub.get_scalar('train/loss_l1').data[0]
    fft = hub.get_scalar('train/loss_fft').data[0]
    total = hub.get_scalar('train/loss').data[0]
    assert len(l1) == len(fft) == 3
    assert all(v > 0 for v in list(l1) + list(fft))
    # the optimised loss is their sum
    assert total == pytest.approx([a + b for a, b in zip(l1, fft)],
                                  rel=1e-5)
    assert 'train/loss_pix' not in hub.log_scalars
    assert any(not torch.equal(state[k], runner.initial_state[k])
               for k in state if k.startswith('generator.'))
