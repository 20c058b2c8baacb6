"""Helpers specific to super-resolution: MATLAB resize, colour, image io."""
from .color import bgr2ycbcr, rgb2ycbcr, to_y_channel
from .image_io import (IMG_EXTENSIONS, ImageReadError, imfrombytes, imread,
                       imwrite, to_3channel_uint8)
from .matlab_imresize import imresize

__all__ = [
    'imresize', 'rgb2ycbcr', 'bgr2ycbcr', 'to_y_channel', 'imread', 'imwrite',
    'imfrombytes', 'to_3channel_uint8', 'ImageReadError', 'IMG_EXTENSIONS'
]
