"""Loss configs of the training wrappers: one loss (``model.pixel_loss``),
named losses (``model.losses``) and the target each one names."""
from typing import Any, Dict, Optional, Sequence, Tuple, cast

from torch import nn

from ..registry import LOSSES

__all__ = ['pop_target', 'build_pixel_loss', 'build_named_losses']


def pop_target(cfg: Any, key: str,
               targets: Sequence[str]) -> Tuple[Any, Optional[str]]:
    """``(cfg without 'target', target)``; the target must be one of
    ``targets`` (the batches the model makes, e.g. ``gt``, ``gt_usm``)."""
    if not isinstance(cfg, dict) or 'target' not in cfg:
        return cfg, None  # not named: 'gt', or the model's released choice
    cfg = dict(cfg)
    target = cfg.pop('target')
    if target not in targets:
        raise ValueError(f'{key}.target={target!r}: this model makes the '
                         f'targets {", ".join(targets)}')
    return cfg, target


def build_pixel_loss(cfg: Optional[Dict[str, Any]],
                     key: str = 'model.pixel_loss') -> Optional[nn.Module]:
    """The loss of one config dict, None for None; a list is refused."""
    if cfg is None:
        return None
    if isinstance(cfg, (list, tuple)):
        raise TypeError(
            f'{key} takes one loss config, got a list of {len(cfg)}. For '
            'several losses, each with its weight and its own log name, use '
            "model.losses=dict(l1=dict(type='L1Loss', loss_weight=1.0), "
            "fft=dict(type='FFTLoss', loss_weight=0.05)) (logged as loss_l1 "
            f'and loss_fft) and set {key}=None')
    return LOSSES.build(cfg)


def build_named_losses(cfgs: Optional[Dict[str, Any]],
                       reserved: Sequence[str] = ()) -> nn.ModuleDict:
    """``nn.ModuleDict`` of ``name -> loss`` from ``model.losses``.

    Names become log keys (``loss_<name>``): identifiers, not one of
    ``reserved`` (the names the model's fixed slots log).
    """
    losses = nn.ModuleDict()
    if cfgs is None:
        return losses
    if not isinstance(cfgs, dict):
        raise TypeError(
            'model.losses must be a dict of name -> loss config, e.g. '
            "dict(l1=dict(type='L1Loss'), fft=dict(type='FFTLoss', "
            f"loss_weight=0.05)), got {type(cfgs).__name__}")
    for name, cfg in cfgs.items():
        if not (isinstance(name, str) and name.isidentifier()):
            raise ValueError(f'model.losses: {name!r} is not a valid name '
                             '(it is logged as loss_<name>: letters, digits '
                             'and _)')
        if name in reserved:
            raise ValueError(f'model.losses.{name}: loss_{name} is the log '
                             f'name of a fixed slot ({", ".join(reserved)}'
                             '); choose another name')
        if not isinstance(cfg, dict) or 'type' not in cfg:
            raise TypeError(f'model.losses.{name} must be a loss config '
                            f'with a type, got {cfg!r}')
        if hasattr(nn.ModuleDict, name):
            raise ValueError(f'model.losses: {name!r} is reserved by torch '
                             '(nn.ModuleDict); choose another name')
        # a config with a type, so a loss (not None)
        losses[name] = cast(nn.Module, build_pixel_loss(
            cfg, f'model.losses.{name}'))
    return losses
