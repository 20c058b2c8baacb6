"""Convert another toolbox's checkpoint into a srtoolbox checkpoint.

The layouts are :mod:`srtoolbox.models.weights.layouts`; reading is
``weights_only`` and writing atomic (:mod:`srtoolbox.utils.checkpoint_io`).
"""
import os
import os.path as osp

from ..models.weights import SOURCES, extract_weights, make_checkpoint
from ..models.weights.loading import check_finite_weights
from ..models.weights.detect import unwrap_state_dict
from ..models.weights.edsr_pytorch import convert_edsr_pytorch
from ..utils.checkpoint_io import load_checkpoint_file, save_checkpoint_file

__all__ = ['convert_checkpoint', 'SOURCES', 'CHOICES']

# --from choices: the layouts of models.weights.SOURCES and the authors'
# EDSR/RCAN/MSRN releases (EDSR-PyTorch layout)
CHOICES = tuple(sorted(SOURCES)) + ('edsr-pytorch', )


def convert_checkpoint(in_path, out_path, source, overwrite=False,
                       prefer_ema=True):
    """Convert another toolbox's checkpoint into a srtoolbox one.

    Args:
        in_path (str): checkpoint to read (``weights_only``).
        out_path (str): where to write; written atomically.
        source (str): ``'basicsr'``, ``'esrgan-legacy'`` (the ESRGAN
            repository, old ``model.N`` or later ``RRDB_trunk`` names) or
            ``'mmagic'``, or ``'edsr-pytorch'`` (the authors' EDSR, RCAN
            and MSRN releases; the output records the generator config in
            ``meta['generator_cfg']``). The file must have that layout.
        overwrite (bool): replace an existing ``out_path``. Default: False.
        prefer_ema (bool): take EMA weights when present. Default: True.

    Returns:
        str: ``out_path``.
    """
    if source not in SOURCES and source != 'edsr-pytorch':
        raise ValueError(f'source must be one of {sorted(CHOICES)}, got '
                         f'{source!r}')
    out_path = os.fspath(out_path)
    if osp.exists(out_path) and not overwrite:  # fail before reading
        raise FileExistsError(
            f'{out_path} exists; pass overwrite=True (--overwrite) to '
            'replace it')
    ckpt = load_checkpoint_file(in_path)
    if source == 'edsr-pytorch':
        return _convert_edsr_pytorch(ckpt, in_path, out_path, overwrite,
                                     prefer_ema)
    sd, layout, origin, settings = extract_weights(ckpt, prefer_ema)
    if layout not in SOURCES[source]:
        raise ValueError(
            f'{in_path} does not look like a {source} checkpoint '
            f'(detected layout: {layout})')
    check_finite_weights(sd, os.fspath(in_path))  # never write NaN weights
    meta = {
        'converted_from': osp.abspath(os.fspath(in_path)),
        'source': source,
        'weights': origin,
    }
    return save_checkpoint_file(make_checkpoint(sd, meta, settings),
                                out_path, overwrite=overwrite)


def _convert_edsr_pytorch(ckpt, in_path, out_path, overwrite, prefer_ema):
    sd, origin = unwrap_state_dict(ckpt, prefer_ema)
    check_finite_weights(sd, os.fspath(in_path))  # never write NaN weights
    sd, generator_cfg = convert_edsr_pytorch(sd)
    meta = {
        'converted_from': osp.abspath(os.fspath(in_path)),
        'source': 'edsr-pytorch',
        'weights': origin,
        'generator_cfg': generator_cfg,
        'gt_range': [0.0, 1.0],
    }
    return save_checkpoint_file(make_checkpoint(sd, meta), out_path,
                                overwrite=overwrite)
