"""Turning arrays into the tensors the model gets."""
from typing import Any

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from ...registry import TRANSFORMS

__all__ = ['PackSRInputs', 'img2tensor']


def img2tensor(img: Any) -> Any:
    """HWC uint8 RGB -> CHW float32 tensor in [0, 1]."""
    return torch.from_numpy(
        np.ascontiguousarray(img.transpose(2, 0, 1))).float().div_(255.0)


@TRANSFORMS.register_module()
class PackSRInputs(BaseTransform):
    """Pack ``lq`` as ``inputs`` and ``gt`` with metadata as ``data_samples``.

    Output: ``dict(inputs=(3, h, w) float in [0, 1], data_samples=dict(
    gt=(3, H, W) float in [0, 1], key=str, dataset=str, gt_path=str))``;
    ``inputs`` is an empty tensor when ``BicubicDownsample(on_device=True)``
    left the LR to the model's data preprocessor; ``data_samples`` then
    carries the scale as ``lq_scale``.
    The HR range the network learns (e.g. [-1, 1]) is applied later by the
    model's data preprocessor, which also undoes it for evaluation.
    """

    meta_keys = ('key', 'dataset', 'gt_path', 'lq_path')

    def transform(self, results: Any) -> Any:
        sample = {k: results[k] for k in self.meta_keys if k in results}
        if 'gt' in results:
            sample['gt'] = img2tensor(results['gt'])
        if results.get('lq_on_device') and 'lq' not in results:
            # BicubicDownsample(on_device=True): the data preprocessor makes
            # the LR on the training device, at the scale the batch carries
            sample['lq_scale'] = int(results['lq_on_device'])
            return dict(inputs=torch.empty(0), data_samples=sample)
        return dict(inputs=img2tensor(results['lq']), data_samples=sample)

    def __repr__(self):
        return f'{type(self).__name__}()'
