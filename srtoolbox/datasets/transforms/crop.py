"""Crops that keep the HR image and its LR partner aligned."""
import random
from typing import Any

import numpy as np
from mmcv.transforms import BaseTransform

from ...registry import TRANSFORMS

__all__ = ['ModCrop', 'PairedRandomCrop', 'SmallImageError']


class SmallImageError(ValueError):
    """An image is smaller than the crop asked for."""


def _name(results, key):
    return results.get(f'{key}_path', results.get('key', '<unknown>'))


@TRANSFORMS.register_module()
class ModCrop(BaseTransform):
    """Crop ``gt`` bottom/right so its size is a multiple of ``scale``.

    The SR-benchmark convention: HR is cropped to a multiple of the scale
    before the LR image is made from it.
    """

    def __init__(self, scale: int, key: str = 'gt') -> None:
        self.scale = scale
        self.key = key

    def transform(self, results: Any) -> Any:
        img = results[self.key]
        h, w = img.shape[:2]
        results[self.key] = img[:h - h % self.scale, :w - w % self.scale]
        return results

    def __repr__(self):
        return f'{type(self).__name__}(scale={self.scale})'


@TRANSFORMS.register_module()
class PairedRandomCrop(BaseTransform):
    """A random ``gt_size`` HR crop and, if present, the aligned LR crop.

    Args:
        gt_size (int): HR patch size (96 in SRGAN).
        scale (int): SR scale; the LR patch is ``gt_size // scale``.
        small_image (str): what to do with an image smaller than the crop:
            ``'error'`` (raise, naming the file), ``'pad'`` (reflect-pad it up
            to the crop) or ``'skip'`` (return None, so mmengine's dataset
            draws another sample; the count is kept in ``self.num_skipped``).
    """

    def __init__(self, gt_size: int, scale: int,
                 small_image: str = 'error') -> None:
        if gt_size % scale:
            raise ValueError(f'PairedRandomCrop: gt_size {gt_size} is not a '
                             f'multiple of scale {scale}')
        if small_image not in ('error', 'pad', 'skip'):
            raise ValueError("PairedRandomCrop: small_image must be 'error', "
                             f"'pad' or 'skip', got {small_image!r}")
        self.gt_size = gt_size
        self.scale = scale
        self.small_image = small_image
        self.num_skipped = 0

    def _pad(self, img, size_h, size_w):
        h, w = img.shape[:2]
        return np.pad(img, ((0, max(0, size_h - h)), (0, max(0, size_w - w)),
                            (0, 0)), mode='reflect')

    def transform(self, results: Any) -> Any:
        gt = results['gt']
        lq = results.get('lq')
        s, size = self.scale, self.gt_size
        h, w = gt.shape[:2]
        if lq is not None and (lq.shape[0] * s != h or lq.shape[1] * s != w):
            raise ValueError(
                f'{_name(results, "lq")}: LR size {lq.shape[1]}x{lq.shape[0]} '
                f'times scale {s} does not match HR {_name(results, "gt")} '
                f'size {w}x{h}')
        if h < size or w < size:
            if self.small_image == 'skip':
                self.num_skipped += 1
                return None
            if self.small_image == 'error':
                raise SmallImageError(
                    f'{_name(results, "gt")}: HR image of {w}x{h} is smaller '
                    f'than gt_size={size}; remove it or set '
                    "small_image='pad' or 'skip'")
            pad_h = max(size, h + (-h) % s)
            pad_w = max(size, w + (-w) % s)
            gt = self._pad(gt, pad_h, pad_w)
            if lq is not None:
                lq = self._pad(lq, pad_h // s, pad_w // s)
            h, w = gt.shape[:2]
        lq_size = size // s
        top = random.randint(0, (h - size) // s) * s
        left = random.randint(0, (w - size) // s) * s
        results['gt'] = gt[top:top + size, left:left + size]
        if lq is not None:
            results['lq'] = lq[top // s:top // s + lq_size,
                               left // s:left // s + lq_size]
        return results

    def __repr__(self):
        return (f'{type(self).__name__}(gt_size={self.gt_size}, '
                f'scale={self.scale}, small_image={self.small_image!r})')
