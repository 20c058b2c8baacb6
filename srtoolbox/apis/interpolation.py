"""Network interpolation (ESRGAN, Sec. 3.4) as files and figures: one
blended checkpoint per alpha, and the ``bicubic | alpha_0 | ... | HR`` strip
of a sweep. The weight maths is :mod:`srtoolbox.models.weights.interpolation`
(re-exported here).
"""
import os
import os.path as osp
from typing import Any, Optional, Sequence

import numpy as np

from ..models.weights import make_checkpoint, read_generator_weights
from ..models.weights.interpolation import (check_interpolable,
                                            interpolate_state_dicts,
                                            interpolate_weights)
from ..utils.checkpoint_io import save_checkpoint_file
from ..utils.fileio import make_folder
from .compare import compare_models

__all__ = ['interpolate_state_dicts', 'interpolate_weights',
           'interpolate_checkpoints', 'interpolation_filename']


def interpolation_filename(alpha: float) -> Any:
    """``interp_alpha0.20.pth`` for 0.2."""
    return f'interp_alpha{float(alpha):.2f}.pth'


def interpolate_checkpoints(path_a: str, path_b: str, alphas: Sequence[Any],
                            out_dir: str, overwrite: bool = False,
                            prefer_ema: bool = True) -> list:
    """Write one srtoolbox checkpoint per alpha, blending two checkpoints.

    Args:
        path_a, path_b (str): checkpoints of the same architecture, in any
            layout :func:`extract_generator_state_dict` reads (srtoolbox,
            mmengine, MMagic, BasicSR params/params_ema, bare).
        alphas (sequence[float]): 0 gives A, 1 gives B.
        out_dir (str): folder for ``interp_alpha{alpha:.2f}.pth`` files.
        overwrite (bool): replace existing outputs. Default: False; then no
            file is written if any output exists.
        prefer_ema (bool): take EMA weights when present. Default: True.

    Returns:
        list[str]: the written paths, in the order of ``alphas``.
    """
    alphas = [float(a) for a in alphas]
    if not alphas:
        raise ValueError('give at least one alpha')
    paths = [osp.join(out_dir, interpolation_filename(a)) for a in alphas]
    if len(set(paths)) != len(paths):
        raise ValueError(
            f'alphas {alphas} repeat at two decimals (file names clash)')
    existing = [p for p in paths if osp.exists(p)]
    if existing and not overwrite:
        raise FileExistsError(
            f'{", ".join(existing)} exist; pass overwrite=True '
            '(--overwrite) to replace them')
    weights_a = read_generator_weights(path_a, prefer_ema)
    weights_b = read_generator_weights(path_b, prefer_ema)
    # both checked before anything is written
    check_interpolable(weights_a, weights_b)
    make_folder(out_dir)
    for alpha, path in zip(alphas, paths):
        meta = {
            'interpolated_from': {
                'a': osp.abspath(os.fspath(path_a)),
                'b': osp.abspath(os.fspath(path_b)),
            },
            'weights': {'a': weights_a.origin, 'b': weights_b.origin},
            'alpha': alpha,
            'formula': '(1 - alpha) * a + alpha * b',
        }
        sd = interpolate_state_dicts(weights_a.state_dict,
                                     weights_b.state_dict, alpha)
        save_checkpoint_file(make_checkpoint(sd, meta, weights_a.settings),
                             path, overwrite=overwrite)
    return paths


def interpolation_strip(config: str, checkpoints: list, hr_image: str,
                        crop: Optional[tuple] = None, zoom: int = 2,
                        niqe: bool = True) -> np.ndarray:
    """``bicubic | alpha_0 | ... | alpha_n | HR`` crops of one image.

    The layout of :func:`srtoolbox.apis.compare.compare_models`: each panel
    is labelled with its PSNR/SSIM on the whole image (Y, crop = scale) and,
    with ``niqe`` (the default), its NIQE: the perception-distortion
    trade-off the sweep is for, in numbers.

    Args:
        config (str): config whose ``model.generator`` fits the checkpoints.
        checkpoints (list[tuple[float, str]]): ``(alpha, path)`` pairs, e.g.
            from :func:`interpolate_checkpoints`.
        hr_image (str): an HR image; its LR input is the MATLAB bicubic
            downscale of it (cropped to a multiple of the scale).
        crop (tuple[int, int, int, int] | None): ``(top, left, height,
            width)`` in HR pixels; default: the central quarter.
        zoom (int): nearest-neighbour enlargement of the crops.

    Returns:
        np.ndarray: the strip, HWC uint8 RGB.
    """
    models = [(f'a={alpha:g}', config, path) for alpha, path in checkpoints]
    return compare_models(models, hr_image, crop=crop, zoom=zoom,
                          niqe=niqe)[0]
