"""Geometric augmentation applied identically to HR and LR."""
import random
from typing import Any, Tuple

import numpy as np
from mmcv.transforms import BaseTransform

from ...registry import TRANSFORMS

__all__ = ['RandomFlipRotate']


@TRANSFORMS.register_module()
class RandomFlipRotate(BaseTransform):
    """Random horizontal flip, vertical flip and 90-degree rotation.

    Each is applied with probability 0.5 to every key in ``keys`` alike (the
    8 dihedral transforms, as EDSR/RCAN/ESRGAN augment).
    """

    def __init__(self, hflip: bool = True, vflip: bool = True,
                 rot90: bool = True,
                 keys: Tuple[str, ...] = ('gt', 'lq')) -> None:
        self.hflip, self.vflip, self.rot90 = hflip, vflip, rot90
        self.keys = keys

    def transform(self, results: Any) -> Any:
        hflip = self.hflip and random.random() < 0.5
        vflip = self.vflip and random.random() < 0.5
        rot90 = self.rot90 and random.random() < 0.5
        for key in self.keys:
            if key not in results:
                continue
            img = results[key]
            if hflip:
                img = img[:, ::-1]
            if vflip:
                img = img[::-1]
            if rot90:
                img = img.transpose(1, 0, 2)
            results[key] = np.ascontiguousarray(img)
        return results

    def __repr__(self):
        return (f'{type(self).__name__}(hflip={self.hflip}, '
                f'vflip={self.vflip}, rot90={self.rot90})')
