"""The metric GAN configs keep their best checkpoint by: perceptual, lower
is better.

PSNR ranks a GAN's sharpest checkpoints last, so a GAN run that keeps its
best PSNR checkpoint keeps its least perceptual one. ``PerceptualBest``
measures LPIPS (Zhang et al. 2018) where its weights are present, else
NIQE (no download, no reference image), says which in the log, and reports
``<dataset>/LPIPS`` (or ``/NIQE``) plus ``perceptual``, the mean over the
datasets, the key of ``save_best='perceptual', rule='less'``.
"""
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from ..registry import METRICS
from .lpips import lpips_unavailable_reason
from .metrics import LPIPS, NIQE

__all__ = ['PerceptualBest']


@METRICS.register_module()
class PerceptualBest(BaseMetric):
    """LPIPS where its weights are present, else NIQE; key ``perceptual``.

    Args:
        crop_border (int): as for PSNR.
        net (str), pretrained (str | None): LPIPS's backbone, as
            :class:`~.metrics.LPIPS`.
    """
    default_prefix = ''

    def __init__(self, crop_border: int = 0, net: str = 'alex',
                 pretrained: Optional[str] = 'torchvision',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        reason = lpips_unavailable_reason(net, pretrained)
        if reason is None:
            self.inner = LPIPS(net=net, pretrained=pretrained,
                               missing_weights='error',
                               crop_border=crop_border)
            why = f'LPIPS ({net}) weights found'
        else:
            self.inner = NIQE(crop_border=crop_border)
            why = reason
        self.metric_name = self.inner.metric_name
        self.inner.results = self.results  # one list: mmengine clears it
        print_log(f'best checkpoint by {self.metric_name} (perceptual, '
                  f'lower is better; {why})', logger='current')

    def process(self, data_batch: Any,
                data_samples: Sequence[Dict[str, Any]]) -> None:
        self.inner.process(data_batch, data_samples)

    def compute_metrics(self, results: List[Any]) -> Dict[str, float]:
        out = OrderedDict(self.inner.compute_metrics(results))
        out['perceptual'] = float(np.mean(list(out.values())))
        return out
