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
