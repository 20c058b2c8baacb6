"""DDP on two CPU processes (gloo): the ranks agree on skipping a
non-finite step (#14.6) and a BatchNorm generator keeps one set of running
statistics (#14.7)."""
import os.path as osp
import socket
import time

import torch
from torch import nn

from srtoolbox.engine.distributed import (SRDistributedDataParallel,
                                          sync_batchnorm_on_cuda)

TINY = dict(upscale=4, num_feat=8, num_blocks=1)


def _batch(nan=False):
    data = dict(inputs=torch.rand(2, 3, 8, 8),
                data_samples=dict(gt=torch.rand(2, 3, 32, 32)))
    if nan:
        data['data_samples']['gt'][0, 0, 0, 0] = float('nan')
    return data


def _flat(module, what):
    tensors = [t.detach().flatten() for t in getattr(module, what)()
               if t.is_floating_point()]
    return torch.cat(tensors).clone() if tensors else torch.zeros(0)


def _run(name, model, optim, rank, out_dir, nan_rank=None, iters=3):
    from mmengine.logging import MessageHub
    hub = MessageHub.get_instance(f'{name}-{rank}')
    wrapped = SRDistributedDataParallel(model)
    optim = optim(wrapped.module)
    torch.manual_seed(100 + rank)  # different data on each rank
    before = _flat(model.generator, 'buffers')
    wrappers = list(optim.values()) if hasattr(optim, 'values') else [optim]
    skipped = 0  # iterations in which a wrapper skipped its update
    for it in range(iters):
        hub.update_info('iter', it)
        wrapped.train_step(_batch(nan=rank == nan_rank and it == 1), optim)
        skipped += any(bool(f) for w in wrappers for f in w.pop_skip_flags())
    torch.save(dict(
        params=torch.cat([_flat(m, 'parameters') for m in model.children()
                          if any(True for _ in m.parameters())]),
        buffers=_flat(model.generator, 'buffers'),
        ema_buffers=(_flat(model.generator_ema, 'buffers')
                     if hasattr(model, 'generator_ema') else None),
        before=before,
        skipped=skipped),
        osp.join(out_dir, f'{name}_rank{rank}.pth'))


def _worker(rank, port, out_dir):
    import torch.distributed as dist
    from srtoolbox.engine.optim_wrapper import SROptimWrapper
    from mmengine.registry import (OPTIM_WRAPPER_CONSTRUCTORS,
                                   init_default_scope)
    from srtoolbox.registry import MODELS
    torch.set_num_threads(1)
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}',
                            rank=rank, world_size=2)
    init_default_scope('srtoolbox')

    def adam(model):
        return SROptimWrapper(
            optimizer=torch.optim.Adam(model.parameters(), lr=1e-3))

    def gan_adam(model):
        return OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
            type='MultiOptimWrapperConstructor', optim_wrapper_cfg=dict(
                generator=dict(type='SROptimWrapper',
                               optimizer=dict(type='Adam', lr=1e-3)),
                discriminator=dict(type='SROptimWrapper',
                                   optimizer=dict(type='Adam', lr=1e-3)))))(
                    model)
    try:
        torch.manual_seed(0)
        sr = MODELS.build(dict(
            type='SRModel', generator=dict(type='MSRResNet', **TINY),
            pixel_loss=dict(type='L1Loss'), ema_decay=0.9))
        _run('skip', sr, adam, rank, out_dir, nan_rank=1)
        torch.manual_seed(0)
        gan = MODELS.build(dict(
            type='SRGAN', generator=dict(type='MSRResNet', **TINY),
            discriminator=dict(type='SRGANDiscriminator', num_feat=8,
                               input_size=32),
            gan_loss=dict(type='GANLoss', loss_weight=1e-2),
            pixel_loss=dict(type='L1Loss')))
        _run('gan_skip', gan, gan_adam, rank, out_dir, nan_rank=0)
        torch.manual_seed(0)
        bn = MODELS.build(dict(
            type='SRModel', generator=dict(type='SRResNet', **TINY),
            pixel_loss=dict(type='MSELoss'), ema_decay=0.9,
            data_preprocessor=dict(type='SRDataPreprocessor',
                                   gt_range=(-1, 1))))
        _run('batchnorm', bn, adam, rank, out_dir, iters=2)
    finally:
        dist.destroy_process_group()


def _spawn(out_dir, timeout=240):
    """Two forked workers; a hang (ranks that disagree) fails the test
    instead of blocking it."""
    import torch.multiprocessing as mp
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    ctx = mp.start_processes(_worker, args=(port, str(out_dir)), nprocs=2,
                             join=False, start_method='fork')
    deadline = time.time() + timeout
    while not ctx.join(timeout=1):
        if time.time() > deadline:
            for proc in ctx.processes:
                proc.kill()
            raise AssertionError('the ranks hung (they disagreed)')


def _load(out_dir, name):
    return [torch.load(osp.join(out_dir, f'{name}_rank{r}.pth'))
            for r in (0, 1)]


def test_ranks_agree_on_nonfinite_steps_and_batchnorm_statistics(tmp_path):
    _spawn(tmp_path)
    # NaN on rank 1 only: both ranks skip that step, and only it
    for name in ('skip', 'gan_skip'):
        rank0, rank1 = _load(tmp_path, name)
        assert rank0['skipped'] == rank1['skipped'] >= 1, name
        assert torch.isfinite(rank0['params']).all(), name
        assert torch.equal(rank0['params'], rank1['params']), name
    assert _load(tmp_path, 'skip')[0]['skipped'] == 1
    # SRResNet's BatchNorm after steps on different data: one set of
    # running statistics (generator and its EMA), and they did change
    rank0, rank1 = _load(tmp_path, 'batchnorm')
    assert torch.equal(rank0['params'], rank1['params'])
    assert torch.equal(rank0['buffers'], rank1['buffers'])
    assert torch.equal(rank0['ema_buffers'], rank1['ema_buffers'])
    assert not torch.equal(rank0['buffers'], rank0['before'])


def test_sync_batchnorm_only_for_cuda():
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    weight = net[1].weight
    assert sync_batchnorm_on_cuda(net, 'cpu') is net
    converted = sync_batchnorm_on_cuda(net, 'cuda')
    assert isinstance(converted[1], nn.SyncBatchNorm)
    assert converted[1].weight is weight  # the optimizer's parameter
    plain = nn.Sequential(nn.Conv2d(3, 4, 3))
    assert sync_batchnorm_on_cuda(plain, 'cuda') is plain
