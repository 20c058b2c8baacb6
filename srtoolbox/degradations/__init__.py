"""Real-ESRGAN's synthetic degradation model, piece by piece.

A low-level package: it imports only ``srtoolbox.utils`` and
``srtoolbox.registry``. Kernels are drawn per sample in the dataset
(``kernels``); everything else runs batched on the training device inside
the model's data step (``pipeline.SecondOrderDegradation``).
"""
from .errors import DegradationConfigError
from .filtering import USMSharp, filter2d
from .jpeg import jpeg_compress, quality_to_factor
from .kernels import (KERNEL_TYPES, BlurKernelSampler, FinalSincSampler,
                      bivariate_gaussian, bivariate_generalized_gaussian,
                      bivariate_plateau, circular_lowpass_kernel,
                      random_mixed_kernel)
from .noise import add_gaussian_noise, add_poisson_noise, random_add_noise
from .pipeline import (SecondOrderDegradation, TrainingPairPool,
                       paired_random_crop)
from .resize import RandomResize

__all__ = [
    'DegradationConfigError', 'USMSharp', 'filter2d', 'jpeg_compress',
    'quality_to_factor', 'KERNEL_TYPES', 'BlurKernelSampler',
    'FinalSincSampler', 'bivariate_gaussian',
    'bivariate_generalized_gaussian', 'bivariate_plateau',
    'circular_lowpass_kernel', 'random_mixed_kernel', 'add_gaussian_noise',
    'add_poisson_noise', 'random_add_noise', 'SecondOrderDegradation',
    'TrainingPairPool', 'paired_random_crop', 'RandomResize'
]
