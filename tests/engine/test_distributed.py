"""Distributed training on CPU (gloo): launcher, wrapper, equivalence."""
import importlib.util
import os.path as osp
import socket
import subprocess

import pytest
import torch
import torch.distributed as dist
from mmengine.config import Config

from srtoolbox.engine.distributed import (SRDistributedDataParallel,
                                          configure_distributed)
from srtoolbox.engine.launch import prepare_train_config

from .tiny_run import (REPO, load_weights, max_relative_difference,
                       tiny_config, train_env, train_in_process)

DIST_TRAIN = osp.join(REPO, 'tools', 'dist_train.sh')


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def dist_train(data, config, work_dir, nproc=2, timeout=300):
    """tools/dist_train.sh CONFIG NPROC --work-dir WORK_DIR."""
    proc = subprocess.run(
        ['bash', DIST_TRAIN, str(config), str(nproc), '--work-dir',
         str(work_dir)], env=train_env(data, PORT=str(_free_port())),
        capture_output=True, text=True, timeout=timeout)
    if proc.returncode:
        raise AssertionError(f'dist_train.sh failed ({proc.returncode}):\n'
                             f'{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}')


# ------------------------------------------------------------------ config
@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
def test_launcher_config_on_cpu():
    cfg = Config(dict(env_cfg=dict(dist_cfg=dict(backend='nccl')),
                      train_dataloader=None, val_dataloader=None))
    prepare_train_config(cfg, work_dir='w', launcher='pytorch')
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model_wrapper_cfg.type == 'SRDistributedDataParallel'
    # a wrapper named by the config gets no CUDA device on CPU
    cfg = Config(dict(model_wrapper_cfg=dict(
        type='MMDistributedDataParallel')))
    configure_distributed(cfg)
    assert cfg.model_wrapper_cfg.device_ids is None


def test_prepare_train_config_switches():
    cfg = Config(dict(randomness=dict(seed=1)))
    prepare_train_config(cfg, work_dir='w', compile=dict(mode='default'),
                         deterministic=True, check_data=False)
    assert cfg.compile == dict(mode='default')
    assert cfg.randomness == dict(seed=1, deterministic=True)
    assert cfg.launcher == 'none' and 'model_wrapper_cfg' not in cfg


@pytest.fixture
def process_group(tmp_path):
    """A one-process gloo group, destroyed afterwards."""
    dist.init_process_group('gloo', init_method=f'file://{tmp_path}/pg',
                            rank=0, world_size=1)
    yield
    dist.destroy_process_group()


def test_wrapper_keeps_checkpoint_keys(process_group):
    from srtoolbox.models import SRModel
    model = SRModel(
        generator=dict(type='MSRResNet', num_feat=8, num_blocks=1),
        pixel_loss=dict(type='L1Loss'), ema_decay=0.9)
    expected = {k: v.clone() for k, v in model.state_dict().items()}
    wrapped = SRDistributedDataParallel(module=model, device_ids=[0])
    # the generator is in a DDP, the frozen EMA copy is not
    ddp = torch.nn.parallel.DistributedDataParallel
    assert isinstance(model.generator, ddp)
    assert not isinstance(model.generator_ema, ddp)
    assert model.generator.upscale == 4  # the network's attributes show
    state = wrapped.module.state_dict()
    assert list(state) == list(expected)  # no 'module.' anywhere
    zeros = {k: torch.zeros_like(v) for k, v in expected.items()}
    model.load_state_dict(zeros)  # torch's loader takes the same keys
    assert all(float(v.abs().sum()) == 0 for v in model.state_dict().values())
    from mmengine.runner.checkpoint import load_state_dict
    load_state_dict(model, expected, strict=True)  # and mmengine's
    assert all(torch.equal(model.state_dict()[k], v)
               for k, v in expected.items())
    with wrapped.no_sync():
        pass


# ----------------------------------------------------------- equivalence
def test_two_processes_equal_one_process_with_twice_the_batch(
        tiny_data, tmp_path, one_thread):
    """2 x batch 4 (DDP averages gradients) == 1 x batch 8: the sampler
    gives the two ranks the even and odd positions of the one stream, with
    the same per-sample augmentation seeds."""
    ddp_cfg = tiny_config(tiny_data, tmp_path / 'ddp.py', batch_size=4)
    dist_train(tiny_data, ddp_cfg, tmp_path / 'ddp')
    rank0 = load_weights(tmp_path / 'ddp' / 'final_rank0.pth')
    rank1 = load_weights(tmp_path / 'ddp' / 'final_rank1.pth')
    assert all(torch.equal(rank0[k], rank1[k]) for k in rank0)
    saved = load_weights(tmp_path / 'ddp' / 'iter_10.pth')
    assert all(torch.equal(saved[k], rank0[k]) for k in rank0)

    one_cfg = tiny_config(tiny_data, tmp_path / 'one.py', batch_size=8)
    runner, single = train_in_process(one_cfg, tmp_path / 'one')
    # training moved the weights far more than the runs differ
    assert max_relative_difference(single, runner.initial_state,
                                   'generator.') > 1e-2
    for prefix in ('generator.', 'generator_ema.'):
        assert max_relative_difference(rank0, single, prefix) < 1e-5


@pytest.mark.skipif(
    importlib.util.find_spec('srtoolbox.models.gan_model') is None,
    reason='needs srtoolbox/models/gan_model.py')
def test_srgan_two_processes_keep_identical_weights(tiny_data, tmp_path):
    """SRGAN (BatchNorm discriminator, two optimizers) under
    tools/dist_train.sh: the default wrapper gives each network its own
    DDP; after a few iterations both ranks hold the same weights."""
    cfg = tiny_config(
        tiny_data, tmp_path / 'srgan.py',
        model="dict(type='SRGAN', generator=dict(type='MSRResNet', "
              "upscale=4, num_feat=8, num_blocks=1), discriminator=dict("
              "type='SRGANDiscriminator', num_feat=4, input_size=16), "
              "gan_loss=dict(type='GANLoss', gan_type='vanilla', "
              "loss_weight=1e-2), pixel_loss=dict(type='L1Loss'), "
              "ema_decay=0.9, data_preprocessor=dict("
              "type='SRDataPreprocessor', gt_range=(0.0, 1.0)))",
        optim_wrapper="dict(constructor='MultiOptimWrapperConstructor', "
                      "generator=dict(type='OptimWrapper', optimizer=dict("
                      "type='Adam', lr=1e-3)), discriminator=dict("
                      "type='OptimWrapper', optimizer=dict(type='Adam', "
                      'lr=1e-3)))',
        train_cfg='dict(max_iters=4, val_interval=4)',
        randomness='dict(seed=0)')
    dist_train(tiny_data, cfg, tmp_path / 'work')
    rank0 = load_weights(tmp_path / 'work' / 'final_rank0.pth')
    rank1 = load_weights(tmp_path / 'work' / 'final_rank1.pth')
    assert any(k.startswith('discriminator.') for k in rank0)
    # BatchNorm running statistics stay per rank (broadcast_buffers=False)
    running = ('running_mean', 'running_var', 'num_batches_tracked')
    differ = [k for k in rank0 if not k.endswith(running)
              and not torch.equal(rank0[k], rank1[k])]
    assert not differ, f'ranks differ: {differ}'
    saved = load_weights(tmp_path / 'work' / 'iter_4.pth')
    assert set(saved) == set(rank0)  # no 'module.' in checkpoint keys
