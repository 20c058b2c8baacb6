"""Networks, losses and the training wrappers that combine them."""
from . import discriminators, generators, losses  # noqa: F401 (registration)
from .data_preprocessor import SRDataPreprocessor
from .gan_model import ESRGAN, SRGAN, MultiOptimWrapperConstructor
from .realesrgan_model import RealESRGAN, RealESRNet  # noqa: F401
from .sr_model import SRModel

__all__ = ['SRModel', 'SRGAN', 'ESRGAN', 'SRDataPreprocessor',
           'MultiOptimWrapperConstructor']
