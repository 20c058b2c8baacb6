"""Small helpers about ``nn.Module`` objects shared by every layer."""
from mmengine.model import is_model_wrapper
from torch import nn

__all__ = ['unwrap_model']


def unwrap_model(module):
    """The network inside DDP / mmengine model wrappers (or the network).

    Peels every wrapper level: ``DistributedDataParallel``, mmengine's
    ``MMDistributedDataParallel`` / ``MMSeparateDistributedDataParallel`` and
    srtoolbox's ``SRDistributedDataParallel`` all keep the network in
    ``.module``.
    """
    while is_model_wrapper(module) or isinstance(
            module, nn.parallel.DistributedDataParallel):
        module = module.module
    return module
