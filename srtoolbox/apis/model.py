"""One call from a config to a ready network: :func:`init_model`.

    from srtoolbox.apis import init_model
    net = init_model('configs/srresnet/msrresnet_x4_demo.py',
                     'work_dirs/msrresnet_x4_demo/iter_360.pth')
    sr = net(lr)          # (N, 3, H, W) in [0, 1] -> (N, 3, 4H, 4W)

The registry scope is set here, so nothing else (``init_default_scope``,
imports of srtoolbox's sub-packages) is needed first, and a misspelt
``type`` fails with the registry's contents and the closest name.
"""
from __future__ import annotations

import os
from typing import Any, Literal, Mapping, Optional, Union

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from torch import nn

import srtoolbox.models  # noqa: F401 (registration)

from ..models.builder import build_generator
from ..models.weights import load_pretrained_generator
from ..registry import MODELS
from ..engine.launch import load_config

__all__ = ['init_model']

ConfigLike = Union[str, os.PathLike, Config, Mapping[str, Any]]


def _to_config(config: ConfigLike,
               cfg_options: Optional[Mapping[str, Any]]) -> Config:
    if isinstance(config, (str, os.PathLike)):
        return load_config(os.fspath(config),
                           dict(cfg_options) if cfg_options else None)
    if isinstance(config, Config):
        cfg = config
    elif isinstance(config, Mapping):
        cfg = Config(dict(config))
    else:
        raise TypeError('init_model: config must be a config file path, an '
                        'mmengine Config or a dict, not '
                        f'{type(config).__name__}')
    if cfg_options:
        cfg.merge_from_dict(dict(cfg_options))
    return cfg


def init_model(config: ConfigLike, checkpoint: Optional[str] = None,
               device: Union[str, torch.device, None] = None, *,
               part: Literal['generator', 'model'] = 'generator',
               cfg_options: Optional[Mapping[str, Any]] = None,
               prefer_ema: bool = True) -> nn.Module:
    """Build a generator (or the whole training model) from a config.

    Args:
        config: a ``.py``/``.yaml`` config file, an mmengine ``Config``, a
            config dict with a ``model`` key, or a generator dict
            (``dict(type='RRDBNet', upscale=4)``).
        checkpoint: weights to load (a file of any layout srtoolbox reads:
            srtoolbox, BasicSR, MMagic, ESRGAN; or a work dir), always with
            ``torch.load(weights_only=True)``; EMA weights first when the
            file has them (``prefer_ema``). None keeps the initial weights.
        device: where the network goes (default: CUDA when available, else
            the CPU).
        part: ``'generator'`` returns the network alone (image tensors
            ``(N, C, H, W)`` in the config's range, usually [0, 1]);
            ``'model'`` the training wrapper of ``cfg.model`` (``SRModel``,
            ``SRGAN``, ...) with its data preprocessor and losses.
        cfg_options: ``{'model.generator.num_feat': 32}``-style overrides.

    Returns:
        nn.Module in eval mode on ``device``.

    Raises:
        KeyError: a ``type`` is not registered (names the registry, what it
            holds and the closest match).
        WeightsMismatchError: the checkpoint does not fit the network.
    """
    if part not in ('generator', 'model'):
        raise ValueError(f"init_model: part must be 'generator' or 'model', "
                         f'not {part!r}')
    cfg = _to_config(config, cfg_options)
    source = getattr(cfg, 'filename', None) or '<config>'
    if 'model' in cfg:
        model_cfg = cfg.model
    elif 'type' in cfg:  # a generator dict given directly
        model_cfg = None
        if part == 'model':
            raise ValueError('init_model: part="model" needs a config with a '
                             '"model" key, got a generator dict')
    else:
        raise KeyError(f'{source}: no "model" key (nor a generator "type")')
    if part == 'generator':
        gen_cfg = cfg.to_dict() if model_cfg is None else \
            model_cfg.get('generator')
        if gen_cfg is None:
            raise KeyError(f'{source}: model has no "generator" key')
        net = build_generator(dict(gen_cfg))
    else:
        with DefaultScope.overwrite_default_scope('srtoolbox'):
            net = MODELS.build(model_cfg)
    if checkpoint is not None:
        load_pretrained_generator(net, checkpoint, prefer_ema=prefer_ema)
    if device is None:
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
    return net.to(device).eval()
