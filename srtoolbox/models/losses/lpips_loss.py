"""LPIPS as a training loss (Zhang et al., CVPR 2018).

The distance network is :class:`srtoolbox.evaluation.lpips.LPIPSNet` (the
metric and the loss share one implementation). As the VGG of
:class:`~.perceptual.PerceptualLoss`, it is a fixed instrument kept outside
the module's registered children: not in ``parameters()`` (never optimised,
nothing for DDP), not in ``state_dict()`` (never in a checkpoint); it follows
the input's device, one cached copy per device. Nothing is downloaded.
"""
import copy
import os
from typing import Any, Optional, Sequence, Union

import torch
from torch import Tensor, nn

from ...evaluation.lpips import LPIPSNet
from ...registry import LOSSES

__all__ = ['LPIPSLoss']


@LOSSES.register_module()
class LPIPSLoss(nn.Module):
    """``loss_weight * mean_n LPIPS(pred_n, target_n)``.

    Args:
        net (str): ``'alex'`` or ``'vgg'``. Default: ``'vgg'`` (the usual
            choice for training; ``'alex'`` is the paper's metric).
        loss_weight (float): factor on the loss. Default: 1.0.
        input_range (tuple): ``(0, 1)`` or ``(-1, 1)``. Default: ``(0, 1)``.
        pretrained (str | os.PathLike | None): the backbone weights:
            ``'torchvision'`` (torchvision's file in torch's hub cache), a
            path, or None for a random backbone (tests only). A missing file
            raises ``FileNotFoundError`` naming it and where it goes.
        linear_weights (str | os.PathLike): ``'lpips'`` (the calibrated
            layers inside the ``lpips`` package) or a path.

    ``forward(pred, target)``: ``(N, 3, H, W)`` each, same shape, in
    ``input_range``; a scalar. Gradients flow to ``pred`` only.
    """

    def __init__(self, *, net: str = 'vgg', loss_weight: float = 1.0,
                 input_range: Sequence[float] = (0, 1),
                 pretrained: Optional[Union[str, os.PathLike]] = 'torchvision',
                 linear_weights: Union[str, os.PathLike] = 'lpips') -> None:
        super().__init__()
        self.loss_weight = loss_weight
        lpips_net = LPIPSNet(net, pretrained, linear_weights, input_range)
        # a dict is not a Module: the network stays unregistered
        self._net_by_device = {torch.device('cpu'): lpips_net}

    def lpips_net(self, device: Any = torch.device('cpu')) -> Any:
        """The frozen :class:`LPIPSNet` on ``device``."""
        device = torch.device(device)
        net = self._net_by_device.get(device)
        if net is None:
            net = copy.deepcopy(next(iter(self._net_by_device.values())))
            net = net.to(device)
            self._net_by_device[device] = net
        return net

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        return self.loss_weight * self.lpips_net(pred.device)(
            pred, target.detach()).mean()

    def extra_repr(self) -> Any:
        net = next(iter(self._net_by_device.values()))
        return (f'net={net.net!r}, input_range={net.input_range}, '
                f'loss_weight={self.loss_weight}')
