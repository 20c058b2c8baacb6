"""Network interpolation (ESRGAN, Sec. 3.4): blend two trained generators.

``theta = (1 - alpha) * theta_A + alpha * theta_B`` for every floating-point
tensor, e.g. A a PSNR-oriented and B a GAN-trained model of the same
architecture: alpha trades fidelity for texture without retraining.
"""
import math
import os
import os.path as osp
from collections import OrderedDict

import torch

from ..models.weights import (GeneratorWeights, make_checkpoint,
                              read_generator_weights, state_dict_mismatches)
from ..utils.checkpoint_io import save_checkpoint_file
from ..utils.fileio import make_folder

__all__ = ['interpolate_state_dicts', 'interpolate_weights',
           'interpolate_checkpoints', 'interpolation_filename']


def _check_compatible(sd_a, sd_b):
    only_a, only_b, shapes = state_dict_mismatches(sd_a, sd_b)
    if only_a or only_b or shapes:
        lines = ['the two networks differ; interpolation needs the same '
                 'architecture:']
        if only_a:
            lines.append(f'  keys only in A ({len(only_a)}): '
                         f'{", ".join(only_a)}')
        if only_b:
            lines.append(f'  keys only in B ({len(only_b)}): '
                         f'{", ".join(only_b)}')
        if shapes:
            lines.append(f'  shape mismatches ({len(shapes)}): ' + '; '.join(
                f'{k}: {a} vs {b}' for k, a, b in shapes))
        raise ValueError('\n'.join(lines))


def _check_same_settings(weights_a, weights_b):
    if weights_a.settings != weights_b.settings:
        raise ValueError(
            f'{weights_a.source} and {weights_b.source} need different '
            f'generator settings ({weights_a.settings} vs '
            f'{weights_b.settings}): the same weights run through different '
            'networks, so their interpolation means nothing')


def interpolate_state_dicts(sd_a, sd_b, alpha):
    """``(1 - alpha) * A + alpha * B``, key by key.

    Floating-point tensors are blended (in float32 at least, then cast back
    to A's dtype); integer and bool tensors (BN ``num_batches_tracked``) and
    non-tensors are copied from A. ``alpha`` 0 returns A's values, 1 B's;
    values outside [0, 1] extrapolate.

    Raises:
        ValueError: keys or shapes differ; the message lists them.
    """
    alpha = float(alpha)
    if not math.isfinite(alpha):
        raise ValueError(f'alpha must be a finite number, got {alpha}')
    _check_compatible(sd_a, sd_b)
    out = OrderedDict()
    for key, a in sd_a.items():
        b = sd_b[key]
        if torch.is_tensor(a) and a.is_floating_point():
            dtype = torch.promote_types(a.dtype, torch.float32)
            mixed = (1 - alpha) * a.to(dtype) + alpha * b.to(dtype)
            out[key] = mixed.to(a.dtype)
        elif torch.is_tensor(a):
            out[key] = a.clone()
        else:
            out[key] = a
    return out


def interpolate_weights(weights_a, weights_b, alpha):
    """Blend two :class:`GeneratorWeights`; they must need the same settings.

    Returns the blend as ``GeneratorWeights`` whose source names both files
    and alpha.
    """
    _check_same_settings(weights_a, weights_b)
    return GeneratorWeights(
        interpolate_state_dicts(weights_a.state_dict, weights_b.state_dict,
                                alpha), weights_a.settings,
        f'{weights_a.source} (interpolated with {weights_b.source}, alpha '
        f'{alpha})')


def interpolation_filename(alpha):
    """``interp_alpha0.20.pth`` for 0.2."""
    return f'interp_alpha{float(alpha):.2f}.pth'


def interpolate_checkpoints(path_a, path_b, alphas, out_dir, overwrite=False,
                            prefer_ema=True):
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
    _check_compatible(weights_a.state_dict, weights_b.state_dict)
    _check_same_settings(weights_a, weights_b)
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


def interpolation_strip(config, checkpoints, hr_image, crop=None, zoom=2,
                        niqe=True):
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
    from .compare import compare_models
    models = [(f'a={alpha:g}', config, path) for alpha, path in checkpoints]
    return compare_models(models, hr_image, crop=crop, zoom=zoom,
                          niqe=niqe)[0]
