"""Degradations that make the LR image from the HR image."""
from typing import Any

from mmcv.transforms import BaseTransform

from ...registry import TRANSFORMS
from ...utils.matlab_imresize import imresize

__all__ = ['BicubicDownsample']


@TRANSFORMS.register_module()
class BicubicDownsample(BaseTransform):
    """``lq = imresize(gt, 1/scale)``: MATLAB bicubic with antialiasing.

    The result is rounded to 8 bits, as if the LR image had been saved as a
    PNG (the benchmarks' convention). ``gt`` must be a multiple of ``scale``
    (apply ``ModCrop`` or a crop first).

    ``on_device=True`` leaves the resize to the model's data preprocessor
    (``SRDataPreprocessor``, the same values made on the training device
    from the scale the packed batch carries, ``lq_scale``): the data
    workers only crop, flip and pack, and the packed ``inputs`` is empty.
    This one switch is all a config sets. Flips and rotations after this transform
    then apply to the HR crop before its LR is made, which gives the same
    LR (the kernel is symmetric).
    """

    def __init__(self, scale: int, on_device: bool = False) -> None:
        self.scale = scale
        self.on_device = bool(on_device)

    def transform(self, results: Any) -> Any:
        gt = results['gt']
        h, w = gt.shape[:2]
        if h % self.scale or w % self.scale:
            raise ValueError(
                f'{results.get("gt_path", "<gt>")}: size {w}x{h} is not a '
                f'multiple of scale {self.scale}; add ModCrop before '
                'BicubicDownsample')
        if self.on_device:
            results['lq_on_device'] = self.scale
            results.pop('lq', None)
        else:
            results['lq'] = imresize(gt, 1.0 / self.scale)
        return results

    def __repr__(self):
        return (f'{type(self).__name__}(scale={self.scale}, '
                f'on_device={self.on_device})')
