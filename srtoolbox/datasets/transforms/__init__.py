"""Data transforms (registered in ``TRANSFORMS``) on dicts of HWC uint8 RGB
arrays: ``results['gt']`` (HR) and ``results['lq']`` (LR)."""
from .crop import ModCrop, PairedRandomCrop
from .degradation import BicubicDownsample
from .augment import RandomFlipRotate
from .formatting import PackSRInputs

__all__ = ['ModCrop', 'PairedRandomCrop', 'BicubicDownsample',
           'RandomFlipRotate', 'PackSRInputs']
