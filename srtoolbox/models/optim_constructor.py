"""One optimizer wrapper per named sub-network (GANs): the constructor
mmengine 0.10 needs to build an ``OptimWrapperDict`` from a config."""
import copy
from typing import Any, Mapping, Optional

from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS
from torch import nn

from ..utils.module_utils import unwrap_model

__all__ = ['MultiOptimWrapperConstructor']


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MultiOptimWrapperConstructor:
    """One optimizer wrapper per named sub-network (GANs).

    mmengine 0.10 builds a dict of optimizer wrappers only from a
    constructor; this one reads every key of ``optim_wrapper`` other than
    ``constructor`` as the name of a sub-network of the model and builds its
    wrapper with mmengine's default constructor::

        optim_wrapper = dict(
            constructor='MultiOptimWrapperConstructor',
            generator=dict(type='OptimWrapper',
                           optimizer=dict(type='Adam', lr=1e-4)),
            discriminator=dict(type='OptimWrapper',
                               optimizer=dict(type='Adam', lr=1e-4)))

    A wrapper may carry its own ``paramwise_cfg``. Returns an
    ``OptimWrapperDict``; parameter schedulers given as a list apply to
    every wrapper.
    """

    def __init__(self, optim_wrapper_cfg: Mapping[str, Any],
                 paramwise_cfg: Optional[dict] = None):
        if paramwise_cfg is not None:
            raise ValueError('MultiOptimWrapperConstructor: put paramwise_cfg '
                             'inside each network\'s wrapper config')
        if not optim_wrapper_cfg:
            raise ValueError('MultiOptimWrapperConstructor: no wrappers '
                             'configured')
        self.optim_wrapper_cfg = copy.deepcopy(dict(optim_wrapper_cfg))

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        model = unwrap_model(model)
        wrappers = {}
        for name, cfg in self.optim_wrapper_cfg.items():
            network = getattr(model, name, None)
            if not isinstance(network, nn.Module):
                children = ', '.join(n for n, m in model.named_children()
                                     if any(True for _ in m.parameters()))
                raise ValueError(
                    f'optim_wrapper.{name}: {type(model).__name__} has no '
                    f'sub-network {name!r}; its trainable ones are: '
                    f'{children}')
            cfg = dict(cfg)
            paramwise = cfg.pop('paramwise_cfg', None)
            wrappers[name] = DefaultOptimWrapperConstructor(
                cfg, paramwise)(network)
        return OptimWrapperDict(**wrappers)
