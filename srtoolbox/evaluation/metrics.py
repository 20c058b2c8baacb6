"""mmengine metrics around :mod:`.functional`, grouped by dataset.

Each prediction carries the name of its dataset, so one evaluator over a
concatenation of Set5, Set14 and BSD68 reports ``Set5/PSNR``,
``Set14/PSNR``, ... . Per-image values stay available in ``per_image``
after ``compute_metrics`` (``tools/test.py`` writes them to JSON/CSV).
"""
from collections import OrderedDict
from typing import Any, Optional

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from ..registry import METRICS
from .dists import DISTSNet, calculate_dists, dists_unavailable_reason
from .functional import calculate_psnr, calculate_ssim
from .niqe import calculate_niqe
from .lpips import LPIPSNet, calculate_lpips, lpips_unavailable_reason

__all__ = ['PSNR', 'SSIM', 'NIQE', 'LPIPS', 'DISTS']


class _ImageMetric(BaseMetric):
    metric_name = ''
    # keys are already '<dataset>/<metric>'; '' (not None) means "no
    # prefix" without mmengine's warning about an unset one
    default_prefix = ''

    def __init__(self, crop_border=0, test_y_channel=True,
                 collect_device='cpu', prefix=None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.crop_border = crop_border
        self.test_y_channel = test_y_channel
        self.per_image = []

    def compute_one(self, pred, gt):
        raise NotImplementedError

    def process(self, data_batch, data_samples):
        for sample in data_samples:
            if 'gt' not in sample:
                raise KeyError(f'{self.metric_name}: the prediction for '
                               f'{sample.get("key")} carries no HR image')
            self.results.append(dict(
                dataset=sample.get('dataset', 'val'),
                key=sample.get('key', str(len(self.results))),
                value=self.compute_one(sample['pred'], sample['gt'])))

    def compute_metrics(self, results):
        self.per_image = list(results)
        groups = OrderedDict()
        for res in results:
            groups.setdefault(res['dataset'], []).append(res['value'])
        return OrderedDict(
            (f'{name}/{self.metric_name}', float(np.mean(values)))
            for name, values in groups.items())


@METRICS.register_module()
class PSNR(_ImageMetric):
    """PSNR (dB) on uint8 predictions; Y channel and ``crop_border`` as in
    the SR literature (see :func:`calculate_psnr`)."""
    metric_name = 'PSNR'

    def compute_one(self, pred: Any, gt: Any) -> Any:
        return calculate_psnr(pred, gt, self.crop_border, self.test_y_channel)


@METRICS.register_module()
class SSIM(_ImageMetric):
    """SSIM on uint8 predictions (see :func:`calculate_ssim`)."""
    metric_name = 'SSIM'

    def compute_one(self, pred: Any, gt: Any) -> Any:
        return calculate_ssim(pred, gt, self.crop_border, self.test_y_channel)


@METRICS.register_module()
class NIQE(_ImageMetric):
    """NIQE of uint8 predictions, no reference needed (lower is better; see
    :func:`~srtoolbox.evaluation.niqe.calculate_niqe`: always on Y, so
    ``test_y_channel`` is accepted for a uniform config and ignored).

    A prediction smaller than two 96x96 blocks after ``crop_border`` raises
    a ``ValueError`` naming its dataset and key.
    """
    metric_name = 'NIQE'

    def process(self, data_batch: Any, data_samples: Any) -> None:
        for sample in data_samples:
            key = sample.get('key', str(len(self.results)))
            dataset = sample.get('dataset', 'val')
            try:
                value = calculate_niqe(sample['pred'], self.crop_border)
            except ValueError as err:
                raise ValueError(f'NIQE of {dataset}/{key}: {err}') from err
            self.results.append(dict(dataset=dataset, key=key, value=value))


@METRICS.register_module()
class LPIPS(_ImageMetric):
    """LPIPS (Zhang et al. 2018) of uint8 predictions against their HR
    images, in RGB (lower is closer; see
    :func:`~srtoolbox.evaluation.lpips.calculate_lpips`).

    Args:
        net (str): ``'alex'`` (the paper's metric) or ``'vgg'``.
        pretrained (str | None): backbone weights, as
            :class:`~srtoolbox.evaluation.lpips.LPIPSNet`.
        missing_weights (str): when a weight file is absent, ``'skip'``
            logs one line saying which and reports nothing; ``'error'``
            raises ``FileNotFoundError``. Default: ``'skip'``.
        device (str): where the network runs. Default: ``'cpu'``.
        crop_border (int): as for PSNR. ``test_y_channel`` is accepted for
            a uniform config and ignored (LPIPS sees RGB).
    """
    metric_name = 'LPIPS'

    def __init__(self, net: str = 'alex', pretrained: Optional[str] = 'torchvision',
                 missing_weights: str = 'skip', device: str = 'cpu',
                 crop_border: int = 0, test_y_channel: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[Any] = None) -> None:
        super().__init__(crop_border=crop_border,
                         test_y_channel=test_y_channel,
                         collect_device=collect_device, prefix=prefix)
        if missing_weights not in ('skip', 'error'):
            raise ValueError(f"{self.metric_name}: missing_weights must be "
                             f"'skip' or 'error', got {missing_weights!r}")
        self.net, self.pretrained, self.device = net, pretrained, device
        self.skip_reason = self.unavailable_reason()
        if self.skip_reason is not None:
            if missing_weights == 'error':
                raise FileNotFoundError(self.skip_reason)
            print_log(self.skip_reason, logger='current', level=30)
        self._model: Any = None

    def unavailable_reason(self) -> Optional[str]:
        """None, or one line saying which weight file is missing."""
        return lpips_unavailable_reason(self.net, self.pretrained)

    def compute_one(self, pred: Any, gt: Any) -> Any:
        if self._model is None:
            self._model = LPIPSNet(self.net, self.pretrained).to(self.device)
        return calculate_lpips(pred, gt, self.crop_border, model=self._model)

    def process(self, data_batch: Any, data_samples: Any) -> Any:
        if self.skip_reason is None:
            return super().process(data_batch, data_samples)
        # placeholders keep mmengine from warning about empty results
        self.results.extend(dict(dataset='', key='', value=None)
                            for _ in data_samples)

    def compute_metrics(self, results: Any) -> Any:
        if self.skip_reason is not None:
            self.per_image = []
            return OrderedDict()
        return super().compute_metrics(results)


@METRICS.register_module()
class DISTS(LPIPS):
    """DISTS (Ding et al. 2020) of uint8 predictions against their HR
    images, in RGB (lower is closer; see
    :func:`~srtoolbox.evaluation.dists.calculate_dists`).

    Args:
        pretrained (str | None): the VGG16 weights, as
            :class:`~srtoolbox.evaluation.dists.DISTSNet` (None: a random
            backbone, for tests only).
        missing_weights, device, crop_border: as :class:`LPIPS`.
    """
    metric_name = 'DISTS'

    def __init__(self, pretrained: Optional[str] = 'torchvision',
                 missing_weights: str = 'skip', device: str = 'cpu',
                 crop_border: int = 0, test_y_channel: bool = True,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__('vgg', pretrained, missing_weights, device,
                         crop_border, test_y_channel, collect_device, prefix)

    def unavailable_reason(self) -> Optional[str]:
        return dists_unavailable_reason(self.pretrained)

    def compute_one(self, pred: Any, gt: Any) -> Any:
        if self._model is None:
            self._model = DISTSNet(self.pretrained).to(self.device)
        return calculate_dists(pred, gt, self.crop_border, model=self._model)
