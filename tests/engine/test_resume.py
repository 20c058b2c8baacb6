"""--resume after SIGKILL continues exactly as an uninterrupted run."""
import itertools
import os.path as osp
import random

import numpy as np
import pytest
import torch
from mmengine.dataset import InfiniteSampler

from srtoolbox.engine.resume import (ResumableInfiniteSampler, SeededSamples,
                                     get_rng_states, set_rng_states)
from srtoolbox.utils.checkpoint_io import load_checkpoint_file

from .tiny_run import (load_weights, run_train, run_until_paused_then_kill,
                       tiny_config, train_in_process)


# ----------------------------------------------------------------- sampler
def test_sampler_keeps_mmengine_order_and_starts_anywhere():
    data = list(range(7))
    ours = ResumableInfiniteSampler(data, shuffle=True, seed=3)
    theirs = InfiniteSampler(data, shuffle=True, seed=3)
    first = list(itertools.islice(iter(ours), 30))
    assert [i for i, _ in first] == list(itertools.islice(iter(theirs), 30))
    assert len({s for _, s in first}) == 30  # one seed per position
    ours.set_start(11)
    assert list(itertools.islice(iter(ours), 19)) == first[11:]


def test_sampler_ranks_split_the_global_stream():
    data = list(range(5))
    single = list(itertools.islice(
        iter(ResumableInfiniteSampler(data, seed=0)), 12))
    ranks = []
    for rank in range(2):
        sampler = ResumableInfiniteSampler(data, seed=0)
        sampler.rank, sampler.world_size = rank, 2
        sampler.set_start(4)  # global position, as after 1 step of 2 x 2
        ranks.append(list(itertools.islice(iter(sampler), 4)))
    assert ranks[0] == single[4:12:2] and ranks[1] == single[5:12:2]


class _RandomDataset:

    def __len__(self):
        return 3

    def __getitem__(self, index):
        return (index, random.random(), float(np.random.rand()),
                float(torch.rand(())))


def test_seeded_samples_depend_on_the_seed_only_and_restore_rng():
    data = SeededSamples(_RandomDataset())
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    before = get_rng_states()
    a = data[(2, 123)]
    after = get_rng_states()
    assert a == data[(2, 123)] and a != data[(2, 124)]
    assert after['python']['state'].equal(before['python']['state'])
    assert after['numpy']['keys'].equal(before['numpy']['keys'])
    assert after['torch'].equal(before['torch'])


def test_rng_states_round_trip_through_a_weights_only_file(tmp_path):
    states = get_rng_states()
    expected = (random.random(), float(np.random.rand()),
                float(torch.rand(())))
    torch.save({'rng_states': [states]}, tmp_path / 'rng.pth')
    loaded = torch.load(tmp_path / 'rng.pth', weights_only=True)
    set_rng_states(loaded['rng_states'][0])
    assert (random.random(), float(np.random.rand()),
            float(torch.rand(()))) == expected


# ------------------------------------------------------------ end to end
@pytest.fixture(scope='module')
def straight_run(tiny_data, tmp_path_factory):
    """10 uninterrupted iterations: (config, final weights)."""
    root = tmp_path_factory.mktemp('straight')
    config = tiny_config(tiny_data, root / 'cfg.py')
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _, state = train_in_process(config, root / 'work')
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(False)
    return config, state


def _assert_same_weights(state, expected):
    assert set(state) == set(expected)
    assert any(k.startswith('generator_ema.') for k in state)
    different = [k for k in expected if not torch.equal(state[k],
                                                        expected[k])]
    assert not different, f'weights differ after resuming: {different}'


def test_resume_after_kill_between_checkpoints(tiny_data, straight_run,
                                               tmp_path, one_thread):
    config, expected = straight_run
    work = tmp_path / 'work'
    # checkpoints every 4 iterations and after a new best PSNR (validation
    # at 5); killed after iteration 7
    run_until_paused_then_kill(tiny_data, config, work, 'iter:7')
    latest = str(work / (work / 'last_checkpoint').read_text())
    assert osp.basename(latest) == 'iter_5.pth'
    assert list(work.glob('best_val_PSNR_iter_5.pth'))
    ckpt = torch.load(latest, weights_only=True)  # allowlist, no unsafe load
    assert ckpt['meta']['iter'] == 5 and len(ckpt['rng_states']) == 1
    assert any(k.startswith('generator_ema.') for k in ckpt['state_dict'])
    assert ckpt['param_schedulers'] and ckpt['optimizer']['state']

    # the command line: tools/train.py CONFIG --resume (latest checkpoint)
    run_train(tiny_data, config, work, '--resume')
    state = load_weights(work / 'final_rank0.pth')
    _assert_same_weights(state, expected)
    # the EMA is a real average, not a copy of the generator
    assert not torch.equal(state['generator_ema.conv_last.weight'],
                           state['generator.conv_last.weight'])


def test_resume_after_kill_while_saving(tiny_data, straight_run, tmp_path,
                                        one_thread):
    _, expected = straight_run
    # 2 persistent workers instead of none: the same samples, the same
    # augmentations (seeded by position)
    config = tiny_config(tiny_data, tmp_path / 'cfg.py', num_workers=2)
    work = tmp_path / 'work'
    # killed halfway through writing iter_8.pth; max_keep_ckpts=1
    run_until_paused_then_kill(tiny_data, config, work, 'save:8')
    assert not (work / 'iter_8.pth').exists()
    assert [p.name for p in work.glob('.iter_8.pth.*.tmp')]
    latest = str(work / (work / 'last_checkpoint').read_text())
    assert osp.basename(latest) == 'iter_5.pth'
    assert load_weights(latest)  # the previous checkpoint is intact

    runner, state = train_in_process(config, work, resume=latest)
    assert runner.iter == 10
    assert not list(work.glob('.*.tmp'))  # the leftover was cleaned up
    assert sorted(p.name for p in work.glob('iter_*.pth')) == ['iter_10.pth']
    _assert_same_weights(state, expected)
    final = load_weights(work / 'iter_10.pth')
    _assert_same_weights(final, expected)


# ------------------------------------------------ every model, pool on
_DEMO = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))), 'data', 'demo')
_GAN_OPTIM = ("dict(constructor='MultiOptimWrapperConstructor', "
              "generator=dict(type='OptimWrapper', optimizer=dict("
              "type='Adam', lr=2e-3)), discriminator=dict(type='OptimWrapper',"
              " optimizer=dict(type='Adam', lr=2e-3)))")
_GEN = "dict(type='MSRResNet', upscale=4, num_feat=8, num_blocks=1)"
_COMPACT = "dict(type='SRVGGNetCompact', upscale=4, num_feat=8, num_conv=1)"
_SYNTH = ("degradation=dict(type='SecondOrderDegradation', scale=4, "
          'gt_size=32), queue_size=8')
_MODELS = {
    'SRGAN': f"dict(type='SRGAN', generator={_GEN}, discriminator=dict("
             "type='SRGANDiscriminator', num_feat=4, input_size=16), "
             "pixel_loss=dict(type='L1Loss'), gan_loss=dict(type='GANLoss',"
             ' loss_weight=0.1), ema_decay=0.9)',
    'ESRGAN': f"dict(type='ESRGAN', generator={_GEN}, discriminator=dict("
              "type='SRGANDiscriminator', num_feat=4, input_size=16), "
              "pixel_loss=dict(type='L1Loss'), gan_loss=dict("
              "type='RelativisticAverageGANLoss', loss_weight=0.1), "
              'ema_decay=0.9)',
    'RealESRNet': f"dict(type='RealESRNet', generator={_COMPACT}, "
                  f'{_SYNTH}, ema_decay=0.9)',
    'RealESRGAN': f"dict(type='RealESRGAN', generator={_COMPACT}, "
                  "discriminator=dict(type='UNetDiscriminatorSN', "
                  "num_feat=4), pixel_loss=dict(type='L1Loss'), "
                  "gan_loss=dict(type='GANLoss', loss_weight=0.1), "
                  f'{_SYNTH}, ema_decay=0.9)',
}
# Real-ESRGAN models draw their own degradations from the GT crops
_SYNTH_DATA = f'''dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='RealESRGANDataset', data_root={_DEMO!r},
                 gt_folder='Set5', scale=4, gt_size=32, crop_pad_size=96))'''


@pytest.mark.parametrize('model', sorted(_MODELS))
def test_every_model_resumes_exactly_after_sigkill(tiny_data, tmp_path,
                                                   one_thread, model):
    """6 iterations straight, against: SIGKILL before iteration 6, then
    --resume from iter_4.pth. The pair pool (8 pairs, full after 2
    iterations) and the counters are in the checkpoint."""
    keys = dict(model=_MODELS[model],
                train_cfg='dict(max_iters=6, val_interval=100)',
                default_hooks='dict(logger=dict(interval=1), checkpoint='
                              'dict(interval=2, max_keep_ckpts=1))',
                param_scheduler="[dict(type='MultiStepLR', milestones=[3], "
                                'gamma=0.5, by_epoch=False)]')
    if model.startswith('Real'):
        keys['train_dataloader'] = _SYNTH_DATA
    if model != 'RealESRNet':
        keys['optim_wrapper'] = _GAN_OPTIM
    config = tiny_config(tiny_data, tmp_path / 'cfg.py', **keys)
    _, expected = train_in_process(config, tmp_path / 'straight')
    work = tmp_path / 'work'
    run_until_paused_then_kill(tiny_data, config, work, 'iter:5')
    ckpt = load_weights(work / 'iter_4.pth')
    if model.startswith('Real'):  # the full pool travels with the weights
        assert int(ckpt['train_state.pool_ptr']) == 8
        assert ckpt['train_state.pool_gt'].shape == (8, 3, 32, 32)
    run_train(tiny_data, config, work, '--resume')
    _assert_same_weights(load_weights(work / 'final_rank0.pth'), expected)


def test_bf16_fused_adam_and_device_lr_resume_exactly(tiny_data, tmp_path,
                                                      monkeypatch, one_thread):
    """What a native-bf16 CPU trains the demo with (autocast, the fused
    Adam step, the LR made on the device): killed and resumed, the weights
    equal an uninterrupted run's."""
    monkeypatch.setenv('SRTOOLBOX_CPU_BF16', '1')  # inherited by the runs
    config = tiny_config(
        tiny_data, tmp_path / 'cfg.py',
        optim_wrapper="dict(type='AutocastOptimWrapper', dtype='auto', "
                      "optimizer=dict(type='Adam', lr=2e-3))",
        model="dict(type='SRModel', channels_last=True, generator=dict("
              "type='MSRResNet', upscale=4, num_feat=8, num_blocks=1), "
              "pixel_loss=dict(type='L1Loss'), ema_decay=0.9)")
    text = open(config).read().replace(
        "dict(type='BicubicDownsample', scale=4),\n        dict(type='Random",
        "dict(type='BicubicDownsample', scale=4, on_device=True),\n"
        "        dict(type='Random")
    assert 'on_device=True' in text
    with open(config, 'w') as f:
        f.write(text)
    straight = tmp_path / 'straight'
    run_train(tiny_data, config, straight)
    work = tmp_path / 'work'
    run_until_paused_then_kill(tiny_data, config, work, 'iter:7')
    ckpt = load_checkpoint_file(  # weights_only, mmengine types allowed
        str(work / (work / 'last_checkpoint').read_text()))
    assert ckpt['meta']['iter'] == 5
    # the path under test: bf16 on this (forced) CPU, so the fused step
    assert ckpt['optimizer']['param_groups'][0]['fused'] is True
    run_train(tiny_data, config, work, '--resume')
    _assert_same_weights(load_weights(work / 'final_rank0.pth'),
                         load_weights(straight / 'final_rank0.pth'))
