"""PSNR/SSIM (and NIQE, LPIPS) of a folder of restored images against
their ground truth.

    rows, summary = evaluate_folder('data/Set5/GTmod12', 'results/Set5',
                                    crop_border=4, test_y_channel=True,
                                    suffix='_x4',
                                    metrics=('PSNR', 'SSIM', 'NIQE'))
    write_results(rows, summary, 'results/set5_eval')   # .json + .csv

A restored image is found by name: ground truth ``baby.png`` pairs with
``<restored_dir>/baby<suffix>.<any image extension>``. Both are read with
srtoolbox's rule (:func:`srtoolbox.utils.imread`: RGB uint8; gray
replicated, alpha dropped, 16-bit / 257) and measured by
:func:`~srtoolbox.evaluation.calculate_psnr` / ``calculate_ssim`` /
``calculate_niqe`` (of the restored image alone) / ``calculate_lpips``
(AlexNet; skipped with one line in the summary's ``skipped`` when its
weights are absent).
"""
import math
import os
import os.path as osp
from typing import Any, Optional, Sequence

from ..engine.results import write_results as _write
from ..utils import IMG_EXTENSIONS, imread
from ..evaluation.scorers import metric_functions

__all__ = ['evaluate_folder', 'pair_images', 'write_results',
           'format_table', 'FOLDER_METRICS']

FOLDER_METRICS = ('PSNR', 'SSIM', 'NIQE', 'LPIPS')  # = IMAGE_METRICS
# columns: width and decimals of each metric in tables
_FORMATS = dict(PSNR=(8, 2), SSIM=(6, 4), NIQE=(6, 4), LPIPS=(6, 4))


def _images_by_stem(folder):
    if not osp.isdir(folder):
        raise FileNotFoundError(f'folder not found: {folder}')
    found = {}
    for name in sorted(os.listdir(folder)):
        stem, ext = osp.splitext(name)
        if ext.lower() in IMG_EXTENSIONS and osp.isfile(osp.join(folder,
                                                                 name)):
            found.setdefault(stem, []).append(osp.join(folder, name))
    return found


def pair_images(gt_dir: str, restored_dir: str, suffix: str = '') -> Any:
    """``[(stem, gt_path, restored_path)]`` sorted by stem.

    Raises:
        FileNotFoundError: a folder is missing, it holds no images, or some
            ground-truth images have no restored partner (all listed).
        ValueError: a stem matches several files (``a.png`` and ``a.jpg``).
    """
    gts = _images_by_stem(gt_dir)
    if not gts:
        raise FileNotFoundError(f'no images in {gt_dir}')
    restored = _images_by_stem(restored_dir)
    pairs, missing, ambiguous = [], [], []
    for stem, gt_paths in gts.items():
        candidates = restored.get(stem + suffix, [])
        if len(gt_paths) > 1:
            ambiguous.append(', '.join(gt_paths))
        if len(candidates) > 1:
            ambiguous.append(', '.join(candidates))
        if not candidates:
            missing.append(f'{osp.basename(gt_paths[0])} -> '
                           f'{stem}{suffix}.*')
            continue
        pairs.append((stem, gt_paths[0], candidates[0]))
    if ambiguous:
        raise ValueError('several images share a name, so pairs are '
                         'ambiguous: ' + '; '.join(ambiguous))
    if missing:
        raise FileNotFoundError(
            f'{len(missing)} of {len(gts)} ground-truth images in {gt_dir} '
            f'have no restored image in {restored_dir} (suffix '
            f'{suffix!r}): ' + ', '.join(missing))
    return pairs


def evaluate_folder(gt_dir: str, restored_dir: str, crop_border: int = 0,
                    test_y_channel: bool = False, suffix: str = '',
                    metrics: Sequence[Any] = ('PSNR', 'SSIM')) -> tuple:
    """Metrics of every pair, and their means.

    Args:
        gt_dir (str): ground-truth images.
        restored_dir (str): restored images named ``<gt stem><suffix>.*``.
        crop_border (int): pixels cut from each side (the scale, for SR).
        test_y_channel (bool): PSNR/SSIM on Y of YCbCr (BT.601); NIQE is
            always on Y, LPIPS always on RGB.
        suffix (str): e.g. ``'_x4'``.
        metrics (sequence[str]): any of ``FOLDER_METRICS``. LPIPS without
            its weight files is left out and named in ``skipped``.

    Returns:
        tuple[list[dict], dict]: rows ``{key, <metric>..., gt, restored}``
        (PSNR in dB, ``inf`` for identical images) and a summary with the
        mean of each metric, ``num_images``, the settings and ``skipped``
        (``{metric: reason}``, only when something was skipped).

    Raises:
        FileNotFoundError, ValueError: see :func:`pair_images`; a
            ``ValueError`` naming both files when sizes differ, or naming
            the file NIQE cannot measure (too small).
    """
    funcs, skipped = metric_functions(metrics, crop_border, test_y_channel)
    rows = []
    for stem, gt_path, sr_path in pair_images(gt_dir, restored_dir, suffix):
        gt, sr = imread(gt_path), imread(sr_path)
        if gt.shape != sr.shape:
            raise ValueError(
                f'size mismatch: {sr_path} is {sr.shape[1]}x{sr.shape[0]} '
                f'but its ground truth {gt_path} is '
                f'{gt.shape[1]}x{gt.shape[0]}')
        row = dict(key=stem)
        for name, func in funcs.items():
            try:
                row[name] = func(sr, gt)
            except ValueError as err:
                raise ValueError(f'{name} of {sr_path}: {err}') from err
        rows.append(dict(row, gt=gt_path, restored=sr_path))
    summary = {name: sum(r[name] for r in rows) / len(rows)
               for name in funcs}
    summary.update(
        num_images=len(rows), crop_border=crop_border,
        test_y_channel=bool(test_y_channel), suffix=suffix,
        gt_dir=os.fspath(gt_dir), restored_dir=os.fspath(restored_dir))
    if skipped:
        summary['skipped'] = skipped
    return rows, summary


def write_results(rows: Any, summary: Any, out_prefix: Any,
                  meta: Optional[Any] = None, overwrite: bool = False) -> Any:
    """Write ``<out_prefix>.json`` and ``.csv`` atomically; see
    :func:`srtoolbox.engine.results.write_results` (shared with
    ``tools/test.py``). Returns ``(json_path, csv_path)``."""
    return _write(rows, summary, os.fspath(out_prefix), meta=meta,
                  overwrite=overwrite)


def _fmt(value, digits):
    if isinstance(value, float):
        return 'inf' if math.isinf(value) else f'{value:.{digits}f}'
    return str(value)


def format_table(rows: Any, summary: Any) -> Any:
    """A plain-text table: one line per image and the mean, a column per
    metric measured (then one line per skipped metric)."""
    names = [m for m in FOLDER_METRICS if m in summary]
    width = max([len('mean')] + [len(r['key']) for r in rows])
    lines = [f'{"image":<{width}}' + ''.join(
        f'  {m:>{_FORMATS[m][0]}}' for m in names)]
    for r in rows + [dict(summary, key='mean')]:
        lines.append(f'{r["key"]:<{width}}' + ''.join(
            f'  {_fmt(r[m], _FORMATS[m][1]):>{_FORMATS[m][0]}}'
            for m in names))
    lines += list(summary.get('skipped', {}).values())
    return '\n'.join(lines)
