"""DISTS as a training loss (Ding et al., TPAMI 2020).

The network is :class:`srtoolbox.evaluation.dists.DISTSNet` (the metric
and the loss share one implementation), kept outside the module's children
as LPIPSLoss keeps its network: never optimised, never in a checkpoint, one
cached copy per device. Nothing is downloaded: without the VGG16 file the
build raises ``FileNotFoundError`` naming it and where it goes.
"""
from typing import Any, Dict, Optional, Tuple

import torch

from ...evaluation.dists import DISTSNet
from ...registry import LOSSES
from .lpips_loss import LPIPSLoss

__all__ = ['DISTSLoss']


@LOSSES.register_module()
class DISTSLoss(LPIPSLoss):
    """``loss_weight * mean_n DISTS(pred_n, target_n)``.

    Args:
        loss_weight (float): factor on the loss. Default: 1.0.
        input_range (tuple): ``(0, 1)`` or ``(-1, 1)``. Default: ``(0, 1)``.
        pretrained (str | os.PathLike | None): the VGG16 weights:
            ``'torchvision'`` (torchvision's file in torch's hub cache), a
            path, or None for a random backbone (tests only).

    ``forward(pred, target)``: ``(N, 3, H, W)`` each, in ``input_range``;
    a scalar. Gradients flow to ``pred`` only.
    """

    def __init__(self, *, loss_weight: float = 1.0,
                 input_range: Tuple[float, float] = (0, 1),
                 pretrained: Optional[str] = 'torchvision') -> None:
        torch.nn.Module.__init__(self)
        self.loss_weight = loss_weight
        net = DISTSNet(pretrained, input_range=input_range)
        self.input_range = net.input_range
        self._net_by_device: Dict[torch.device, Any] = {
            torch.device('cpu'): net}

    def extra_repr(self) -> str:
        return (f'input_range={self.input_range}, '
                f'loss_weight={self.loss_weight}')
