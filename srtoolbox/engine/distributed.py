"""Distributed training that also works on CPU-only machines.

Three things stand between mmengine 0.10.7 and ``torchrun`` on a machine
without a GPU, and one between its default DDP wrapper and our models:

* its ``pytorch``/``slurm`` launchers call ``torch.cuda.set_device``:
  :func:`init_distributed` starts the process group itself (gloo) on CPU and
  leaves CUDA machines to mmengine (nccl);
* its default wrapper passes ``device_ids=[LOCAL_RANK]``, which DDP rejects
  for CPU modules: :class:`SRDistributedDataParallel` drops it on CPU;
* ``MMDistributedDataParallel.train_step`` re-implements a generic step
  instead of calling the model's, so ``SRModel``'s EMA update and NaN check
  would silently be skipped, and GANs (two networks, two optimizers) cannot
  train at all. :class:`SRDistributedDataParallel` wraps each trainable
  network (``generator``, ``discriminator``) in its own DDP and calls the
  model's own ``train_step``, as mmengine's
  ``MMSeparateDistributedDataParallel`` does, but keeps checkpoint keys
  unchanged (``generator.conv_first.weight``, no ``module.``), so a
  checkpoint written by 8 GPUs resumes on 1 CPU and vice versa.

BatchNorm generators (the paper's SRResNet) would let each process keep its
own running statistics, so validation and the checkpoint would depend on the
rank: on CUDA the generator's BatchNorm layers become ``SyncBatchNorm``
(statistics of the global batch, the same on every rank); elsewhere (gloo
has no SyncBatchNorm) rank 0's statistics are broadcast to every process
after each training step. Discriminators keep per-process BatchNorm (they
train on batch statistics and never use their running ones).
"""
import datetime
import inspect
import os
import subprocess
from contextlib import ExitStack, contextmanager

import torch
import torch.distributed as torch_dist
from mmengine.device import get_device
from mmengine.model import (MMDistributedDataParallel,
                            MMSeparateDistributedDataParallel)
from mmengine.registry import MODEL_WRAPPERS
from torch import nn
from torch.nn.parallel import DistributedDataParallel

__all__ = ['configure_distributed', 'init_distributed',
           'SRDistributedDataParallel', 'has_batchnorm',
           'sync_batchnorm_on_cuda', 'broadcast_buffers_from_rank0']


def _on_cpu():
    return not torch.cuda.is_available()


def configure_distributed(cfg):
    """Choose the backend and the DDP wrapper for ``cfg.launcher``.

    * gloo instead of nccl when CUDA is absent;
    * ``model_wrapper_cfg`` defaults to :class:`SRDistributedDataParallel`
      (needed by every srtoolbox model, see the module docstring);
    * a wrapper a config names itself gets ``device_ids=None`` on CPU.
    """
    env = cfg.setdefault('env_cfg', {})
    dist_cfg = env.setdefault('dist_cfg', {})
    if _on_cpu():
        dist_cfg['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg')
    if wrapper is None:
        cfg.model_wrapper_cfg = dict(type='SRDistributedDataParallel')
    elif _on_cpu() and wrapper.get('type') not in (
            None, 'SRDistributedDataParallel', SRDistributedDataParallel):
        # Runner.wrap_model adds device_ids=[LOCAL_RANK] unless it is given
        wrapper.setdefault('device_ids', None)
    return cfg


def _slurm_environment():
    """Set the torch.distributed variables from Slurm's, as mmengine does."""
    node_list = os.environ['SLURM_NODELIST']
    os.environ.setdefault('MASTER_PORT', '29500')
    if 'MASTER_ADDR' not in os.environ:
        os.environ['MASTER_ADDR'] = subprocess.getoutput(
            f'scontrol show hostname {node_list} | head -n1')
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['RANK'] = os.environ['SLURM_PROCID']
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')


def init_distributed(cfg):
    """Start the process group for ``cfg.launcher`` before the Runner does.

    With CUDA this does nothing: mmengine's ``init_dist`` (nccl, one GPU per
    process) runs inside the Runner. Without CUDA it initialises gloo from
    the ``torchrun`` (``pytorch``) or ``srun`` (``slurm``) environment, and
    the Runner, finding a process group, skips its own CUDA-only set-up.
    """
    launcher = cfg.get('launcher', 'none')
    if launcher == 'none' or not _on_cpu() or torch_dist.is_initialized():
        return
    if launcher == 'slurm':
        _slurm_environment()
    elif launcher != 'pytorch':
        raise ValueError(f"launcher must be 'none', 'pytorch' or 'slurm' on "
                         f'a CPU-only machine, got {launcher!r}')
    dist_cfg = dict(cfg.get('env_cfg', {}).get('dist_cfg', {}))
    dist_cfg.pop('backend', None)
    timeout = dist_cfg.pop('timeout', None)
    if timeout is not None:
        dist_cfg['timeout'] = datetime.timedelta(seconds=timeout)
    torch_dist.init_process_group(
        backend='gloo', rank=int(os.environ['RANK']),
        world_size=int(os.environ['WORLD_SIZE']), **dist_cfg)


def _buffer_sync(broadcast_buffers):
    """DDP's keyword for buffer broadcasting at every forward: torch >= 2.14
    renamed ``broadcast_buffers`` to ``forward_sync_buffers`` (both sync at
    construction)."""
    params = inspect.signature(DistributedDataParallel.__init__).parameters
    if 'forward_sync_buffers' in params:
        return dict(forward_sync_buffers=broadcast_buffers)
    return dict(broadcast_buffers=broadcast_buffers)


def has_batchnorm(module):
    """Whether ``module`` holds a BatchNorm layer (with running stats)."""
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm)
               and m.track_running_stats for m in module.modules())


def sync_batchnorm_on_cuda(network, device):
    """``network`` with ``SyncBatchNorm`` layers when ``device`` is CUDA
    (NCCL computes the global batch's statistics), unchanged elsewhere:
    gloo has no SyncBatchNorm. Parameters stay the same objects."""
    if str(device).startswith('cuda') and has_batchnorm(network):
        return nn.SyncBatchNorm.convert_sync_batchnorm(network)
    return network


def broadcast_buffers_from_rank0(modules):
    """Copy rank 0's floating-point buffers (BatchNorm running statistics)
    into every process: one broadcast per dtype and device."""
    groups = {}
    for module in modules:
        for buf in module.buffers():
            if buf.is_floating_point():
                groups.setdefault((buf.dtype, buf.device), []).append(buf)
    for bufs in groups.values():
        flat = torch.cat([b.reshape(-1) for b in bufs])
        torch_dist.broadcast(flat, src=0)
        offset = 0
        for buf in bufs:
            buf.copy_(flat[offset:offset + buf.numel()].view_as(buf))
            offset += buf.numel()


class _NetworkDDP(MMDistributedDataParallel):
    """DDP around one network that looks like the network from outside.

    Its state dict has the network's own keys (no ``module.``), it loads
    those keys, and attributes it lacks (``upscale``, ...) come from the
    network, so model code needs no ``.module`` anywhere.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._register_load_state_dict_pre_hook(self._add_module_prefix)

    def state_dict(self, *args, destination=None, prefix='',
                   keep_vars=False):
        return self.module.state_dict(destination=destination, prefix=prefix,
                                      keep_vars=keep_vars)

    @staticmethod
    def _add_module_prefix(state_dict, prefix, *args):
        for key in [k for k in state_dict if k.startswith(prefix)
                    and not k.startswith(prefix + 'module.')]:
            state_dict[prefix + 'module.' + key[len(prefix):]] = \
                state_dict.pop(key)

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            if name == 'module':
                raise
            return getattr(self.module, name)


@MODEL_WRAPPERS.register_module()
class SRDistributedDataParallel(MMSeparateDistributedDataParallel):
    """One DDP per trainable network; the model's own ``train_step`` runs.

    Children of the model with parameters that require gradients (the
    generator, the discriminator) are wrapped in DDP; frozen ones (the EMA
    generator, a VGG perceptual loss) and parameter-free ones (the data
    preprocessor) are only moved to the device. Each network's gradients
    are averaged across processes when its own loss is backpropagated, so a
    GAN's two optimizer steps per iteration work, with ``requires_grad``
    switched off for the discriminator during the generator's step.

    ``broadcast_buffers`` is False: BatchNorm running statistics of a
    discriminator stay per process (they are unused in training; the
    checkpoint holds rank 0's), which avoids DDP's in-place buffer broadcast
    between the several discriminator passes of one iteration. A BatchNorm
    *generator* gets ``SyncBatchNorm`` on CUDA and rank 0's statistics after
    every step elsewhere (see the module docstring), so every rank
    validates and saves the same network.

    Args:
        module (nn.Module): an srtoolbox model (``SRModel``, ``SRGAN``, ...).
        broadcast_buffers (bool): Default: False.
        find_unused_parameters (bool): Default: False.
        **kwargs: passed to each DDP; ``device_ids``/``output_device`` are
            dropped on CPU.
    """

    def __init__(self, module, broadcast_buffers=False,
                 find_unused_parameters=False, **kwargs):
        # MMSeparateDistributedDataParallel does not call DDP's __init__
        # either: this wrapper has no parameters of its own
        nn.Module.__init__(self)
        self.module = module
        device = get_device()
        if device == 'cpu':
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
        generator = module._modules.get('generator')
        # networks whose running statistics rank 0 broadcasts after a step
        self._bn_broadcast = []
        if generator is not None and has_batchnorm(generator):
            if str(device).startswith('cuda'):
                module._modules['generator'] = sync_batchnorm_on_cuda(
                    generator, device)
            else:
                self._bn_broadcast = [
                    name for name in ('generator', 'generator_ema')
                    if module._modules.get(name) is not None]
        for name, child in list(module._modules.items()):
            if child is None:
                continue
            child = child.to(device)
            if any(p.requires_grad for p in child.parameters()):
                child = _NetworkDDP(
                    module=child,
                    find_unused_parameters=find_unused_parameters,
                    **_buffer_sync(broadcast_buffers), **kwargs)
            module._modules[name] = child

    def train_step(self, data, optim_wrapper):
        """The model's own ``train_step``; then rank 0's BatchNorm statistics
        for a BatchNorm generator off CUDA."""
        log_vars = self.module.train_step(data, optim_wrapper)
        if self._bn_broadcast:
            with torch.no_grad():
                broadcast_buffers_from_rank0(
                    [getattr(self.module, name).module
                     if isinstance(getattr(self.module, name), _NetworkDDP)
                     else getattr(self.module, name)
                     for name in self._bn_broadcast])
        return log_vars

    @contextmanager
    def no_sync(self):
        """Skip gradient averaging in every wrapped network (accumulation).

        (mmengine's version yields once per network, which a context
        manager may not do.)
        """
        with ExitStack() as stack:
            for child in self.module._modules.values():
                if isinstance(child, _NetworkDDP):
                    stack.enter_context(child.no_sync())
            yield
