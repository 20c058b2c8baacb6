"""Moves a batch to the model's device and maps HR to the training range."""
from typing import Any, Dict, List, Optional, Sequence

import torch
from mmengine.structures import BaseDataElement
from mmengine.model import BaseDataPreprocessor

from ..registry import MODELS
from ..utils.imresize_torch import imresize_torch
from .batch_augments import MixtureOfAugments

__all__ = ['SRDataPreprocessor']


@MODELS.register_module()
class SRDataPreprocessor(BaseDataPreprocessor):
    """Batch preparation for SR models.

    The dataset gives LR ``inputs`` and HR ``data_samples['gt']`` as float in
    [0, 1]. The network sees LR in [0, 1] and learns HR in ``gt_range``
    (``(-1, 1)`` in SRGAN, ``(0, 1)`` for most PSNR-oriented models).

    Args:
        gt_range (tuple[float, float]): value range of HR targets and of the
            network's output. Default: (0, 1).
        channels_last (bool | None): put inputs in ``torch.channels_last``
            memory format (faster convolutions on CPUs with oneDNN and on
            GPUs). None (default): the model sets it from its own
            ``channels_last`` switch, so the two always agree; older configs
            may still set it here.
        lq_from_gt (int | None): the scale at which the LR inputs are made
            here, on the device, from the HR batch where the batch has none
            (an empty ``inputs``): MATLAB bicubic downsampling, rounded to 8
            bits (:func:`srtoolbox.utils.imresize_torch`, the same values as
            the pipeline's ``BicubicDownsample``). A pipeline with
            ``BicubicDownsample(scale, on_device=True)`` packs its scale in
            the batch (``data_samples['lq_scale']``), which is used when
            this is None (default); set, it must agree with the batch.
        non_blocking (bool): copy batches to a GPU without waiting (from
            pinned memory: ``train_dataloader.pin_memory``). Default: True.
        batch_augments (list[dict] | None): MixUp, CutMix, ResizeMix,
            CutBlur of training batches, each with its ``prob``
            (:mod:`.batch_augments`); None (default): none.
        batch_augments_debug (str | None): a folder where the first few
            augmented batches are written as images.
    """

    def __init__(self, gt_range: Sequence[float] = (0.0, 1.0),
                 channels_last: Optional[bool] = None,
                 lq_from_gt: Optional[int] = None, non_blocking: bool = True,
                 batch_augments: Optional[List[dict]] = None,
                 batch_augments_debug: Optional[str] = None):
        super().__init__(non_blocking=non_blocking)
        low, high = (float(v) for v in gt_range)
        if not high > low:
            raise ValueError(f'gt_range must be (low, high) with high > low, '
                             f'got {gt_range}')
        if lq_from_gt is not None and not (
                isinstance(lq_from_gt, int) and lq_from_gt >= 1):
            raise ValueError('model.data_preprocessor.lq_from_gt must be the '
                             f'integer scale (e.g. 4) or None, got '
                             f'{lq_from_gt!r}')
        self.gt_range = (low, high)
        self.channels_last = channels_last
        self.lq_from_gt = lq_from_gt
        self.batch_augments = None
        if batch_augments:
            self.batch_augments = MixtureOfAugments(
                batch_augments, debug_dir=batch_augments_debug)

    def gt_to_range(self, gt: torch.Tensor) -> torch.Tensor:
        """[0, 1] -> ``gt_range``."""
        low, high = self.gt_range
        if (low, high) == (0.0, 1.0):  # x * 1 + 0 is x: two kernels saved
            return gt
        return gt * (high - low) + low

    def cast_data(self, data: Any) -> Any:
        """The batch on the model's device: mmengine's ``cast_data`` with a
        short path for the usual batch (a dict of tensors and a dict of
        tensors and lists of names), which it walks element by element."""
        if isinstance(data, dict) and not isinstance(data, BaseDataElement):
            out: Dict[str, Any] = {}
            for key, value in data.items():
                if isinstance(value, torch.Tensor):
                    out[key] = value.to(self.device,
                                        non_blocking=self._non_blocking)
                elif isinstance(value, dict) and all(
                        isinstance(v, torch.Tensor) or (
                            isinstance(v, list) and not any(
                                isinstance(i, torch.Tensor) for i in v))
                        for v in value.values()):
                    out[key] = {k: v.to(self.device,
                                        non_blocking=self._non_blocking)
                                if isinstance(v, torch.Tensor) else v
                                for k, v in value.items()}
                else:
                    out[key] = super().cast_data(value)
            return out
        return super().cast_data(data)

    def _lq_scale(self, data: Dict[str, Any]) -> Optional[int]:
        """The scale ``BicubicDownsample(on_device=True)`` packed in the
        batch (removed from it), read on the host before the batch moves to
        the device, else ``lq_from_gt``."""
        samples = data.get('data_samples')
        if not (isinstance(samples, dict) and 'lq_scale' in samples):
            return self.lq_from_gt
        samples = dict(samples)
        scales = {int(v) for v in torch.as_tensor(samples.pop('lq_scale'))
                  .flatten().tolist()}
        data['data_samples'] = samples
        if len(scales) != 1:
            raise ValueError('the batch mixes samples whose pipelines left '
                             f'the LR to the device at scales {sorted(scales)}')
        scale = scales.pop()
        if self.lq_from_gt is not None and self.lq_from_gt != scale:
            raise ValueError(
                f'model.data_preprocessor.lq_from_gt={self.lq_from_gt} but '
                f'the pipeline\'s BicubicDownsample(scale={scale}, '
                'on_device=True) made the batch: set one scale')
        return scale

    def make_lq(self, gt: torch.Tensor, scale: int) -> torch.Tensor:
        """The LR batch from the HR one in [0, 1], MATLAB bicubic by
        ``1 / scale``."""
        h, w = gt.shape[-2:]
        if h % scale or w % scale:
            raise ValueError(f'LR made on the device at scale {scale}: '
                             f'HR batch {w}x{h} is not a multiple of it')
        return imresize_torch(gt, 1.0 / scale, quantize=True)

    def output_to_unit(self, out: torch.Tensor) -> torch.Tensor:
        """``gt_range`` -> [0, 1] (not clamped)."""
        low, high = self.gt_range
        return (out - low) / (high - low)

    def forward(self, data: Dict[str, Any],
                training: bool = False) -> Dict[str, Any]:
        data = dict(data)
        scale = self._lq_scale(data)
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack(inputs)
        samples: Any = data.get('data_samples')
        has_gt = isinstance(samples, dict) and 'gt' in samples
        if inputs.numel() == 0:  # the pipeline left the LR to the device
            if not (scale and has_gt):
                raise ValueError(
                    'the batch has no LR inputs and no scale to make them '
                    'from its HR: use BicubicDownsample(scale, '
                    'on_device=True) in the pipeline, or set '
                    'model.data_preprocessor.lq_from_gt to the scale')
            gt = samples['gt']
            inputs = self.make_lq(torch.stack(gt) if isinstance(
                gt, (list, tuple)) else gt, scale)
        if has_gt:
            samples = dict(samples)
            gt = samples['gt']
            if isinstance(gt, (list, tuple)):
                gt = torch.stack(gt)
            if training and self.batch_augments is not None:
                inputs, gt = self.batch_augments(inputs, gt)
            samples['gt_unit'] = gt
            samples['gt'] = self.gt_to_range(gt)
            data['data_samples'] = samples
        if self.channels_last and inputs.dim() == 4:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        data['inputs'] = inputs
        return data
