"""Moves a batch to the model's device and maps HR to the training range."""
import torch
from mmengine.model import BaseDataPreprocessor

from ..registry import MODELS

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
        batch_augments (list[dict] | None): MixUp, CutMix, ResizeMix,
            CutBlur of training batches, each with its ``prob``
            (:mod:`.batch_augments`); None (default): none.
        batch_augments_debug (str | None): a folder where the first few
            augmented batches are written as images.
    """

    def __init__(self, gt_range=(0.0, 1.0), channels_last=None,
                 batch_augments=None, batch_augments_debug=None):
        super().__init__()
        low, high = (float(v) for v in gt_range)
        if not high > low:
            raise ValueError(f'gt_range must be (low, high) with high > low, '
                             f'got {gt_range}')
        self.gt_range = (low, high)
        self.channels_last = channels_last
        self.batch_augments = None
        if batch_augments:
            from .batch_augments import MixtureOfAugments
            self.batch_augments = MixtureOfAugments(
                batch_augments, debug_dir=batch_augments_debug)

    def gt_to_range(self, gt):
        """[0, 1] -> ``gt_range``."""
        low, high = self.gt_range
        return gt * (high - low) + low

    def output_to_unit(self, out):
        """``gt_range`` -> [0, 1] (not clamped)."""
        low, high = self.gt_range
        return (out - low) / (high - low)

    def forward(self, data, training=False):
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack(inputs)
        samples = data.get('data_samples')
        if isinstance(samples, dict) and 'gt' in samples:
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
