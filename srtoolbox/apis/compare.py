"""Side-by-side comparisons: ``bicubic | model 1 | ... | model n | HR``.

:func:`compare_models` upscales the bicubic x``scale`` LR of one HR image
with every model, measures each result against the HR image (PSNR/SSIM on
the Y channel, ``scale`` border pixels cropped: the zoo's conventions) and
lays out the same crop of each, enlarged by nearest neighbour, under a
label with its figures. ``tools/compare_models.py`` and
``tools/model_zoo.py --strips`` write these figures;
:func:`srtoolbox.apis.interpolation.interpolation_strip` uses the same
layout for an interpolation sweep.
"""
import os
from dataclasses import dataclass
from typing import Any, Optional, Union

import numpy as np

from ..evaluation.functional import calculate_psnr, calculate_ssim
from ..evaluation.niqe import calculate_niqe
from ..utils import imread, imresize
from ..utils.visualization import default_crop, labelled_strip, zoom_nearest
from .inference import SRInferencer

__all__ = ['ComparedModel', 'compare_models', 'labelled_strip',
           'default_crop']


@dataclass
class ComparedModel:
    """A model to compare: a label, its config and its checkpoint."""
    label: str
    config: str
    checkpoint: str


def compare_models(models: Any, hr_image: Union[str, np.ndarray],
                   crop: Optional[tuple] = None, zoom: int = 2,
                   device: Optional[str] = None, tile: Optional[int] = None,
                   niqe: bool = False) -> tuple:
    """Upscale one image with several models and lay the results side by side.

    Args:
        models (list[ComparedModel | tuple]): ``(label, config,
            checkpoint)`` each; all must have the same scale.
        hr_image (str | np.ndarray): the HR image (path or RGB uint8). It is
            cropped to a multiple of the scale; its LR is the MATLAB-style
            bicubic downscale, rounded to 8 bits (as the benchmarks make it).
        crop (tuple[int, int, int, int] | None): ``(top, left, height,
            width)`` of the HR image to show; default the central quarter.
        zoom (int): nearest-neighbour enlargement of the shown crops.
        device (str | None): e.g. ``'cuda'``; default: CUDA if available.
        tile (int | None): tile size for large images.
        niqe (bool): also label each panel (HR included) with its NIQE
            (no reference; Y, crop = scale; lower is more natural).

    Returns:
        tuple[np.ndarray, list[dict]]: the figure (HWC uint8 RGB) and, per
        panel, ``dict(label, psnr, ssim)`` on the whole image (Y channel,
        crop = scale; ``None`` for the HR panel), and ``niqe`` if asked
        (``None`` where the image is too small for it).
    """
    models = [m if isinstance(m, ComparedModel) else ComparedModel(*m)
              for m in models]
    if not models:
        raise ValueError('compare_models needs at least one model')
    hr = imread(os.fspath(hr_image)) if not isinstance(
        hr_image, np.ndarray) else hr_image
    outputs, scale = [], None
    for model in models:
        inferencer = SRInferencer(config=model.config,
                                  checkpoint=model.checkpoint,
                                  device=device, tile=tile, progress=False)
        if scale is None:
            scale = inferencer.scale
            h, w = hr.shape[:2]
            hr = hr[:h - h % scale, :w - w % scale]
            lr = imresize(hr, 1 / scale)
        elif inferencer.scale != scale:
            raise ValueError(
                f'{model.label} ({model.config}) is x{inferencer.scale}, '
                f'{models[0].label} x{scale}: compare models of one scale')
        outputs.append((model.label, inferencer(lr)))
    assert scale is not None  # set by the first of at least one model
    outputs.insert(0, ('bicubic', imresize(lr, scale)))
    top, left, ch, cw = crop or default_crop(hr.shape)
    if not (0 <= top and 0 <= left and top + ch <= hr.shape[0]
            and left + cw <= hr.shape[1] and ch > 0 and cw > 0):
        raise ValueError(f'crop {(top, left, ch, cw)} (top, left, height, '
                         f'width) does not fit the {hr.shape[0]}x'
                         f'{hr.shape[1]} HR image')
    rows, panels, labels = [], [], []
    for label, img in outputs + [('HR', hr)]:
        if label == 'HR':
            psnr = ssim = None
            labels.append('HR')
        else:
            psnr = calculate_psnr(img, hr, scale, test_y_channel=True)
            ssim = calculate_ssim(img, hr, scale, test_y_channel=True)
            labels.append(f'{label} {psnr:.2f}/{ssim:.3f}')
        rows.append(dict(label=label, psnr=psnr, ssim=ssim))
        if niqe:
            try:
                rows[-1]['niqe'] = calculate_niqe(img, scale)
                labels[-1] += f' NIQE {rows[-1]["niqe"]:.2f}'
            except ValueError:  # smaller than two NIQE blocks
                rows[-1]['niqe'] = None
        panel = img[top:top + ch, left:left + cw]
        panels.append(zoom_nearest(panel, zoom))
    return labelled_strip(panels, labels), rows
