"""PSNR/SSIM of a folder of restored images against their ground truth.

    rows, summary = evaluate_folder('data/Set5/GTmod12', 'results/Set5',
                                    crop_border=4, test_y_channel=True,
                                    suffix='_x4')
    write_results(rows, summary, 'results/set5_eval')   # .json + .csv

A restored image is found by name: ground truth ``baby.png`` pairs with
``<restored_dir>/baby<suffix>.<any image extension>``. Both are read with
srtoolbox's rule (:func:`srtoolbox.utils.imread`: RGB uint8; gray
replicated, alpha dropped, 16-bit / 257) and measured by
:func:`~srtoolbox.evaluation.calculate_psnr` / ``calculate_ssim``.
"""
import math
import os
import os.path as osp

__all__ = ['evaluate_folder', 'pair_images', 'write_results',
           'format_table']


def _images_by_stem(folder):
    from ..utils import IMG_EXTENSIONS
    if not osp.isdir(folder):
        raise FileNotFoundError(f'folder not found: {folder}')
    found = {}
    for name in sorted(os.listdir(folder)):
        stem, ext = osp.splitext(name)
        if ext.lower() in IMG_EXTENSIONS and osp.isfile(osp.join(folder,
                                                                 name)):
            found.setdefault(stem, []).append(osp.join(folder, name))
    return found


def pair_images(gt_dir, restored_dir, suffix=''):
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


def evaluate_folder(gt_dir, restored_dir, crop_border=0,
                    test_y_channel=False, suffix=''):
    """PSNR and SSIM of every pair, and their means.

    Args:
        gt_dir (str): ground-truth images.
        restored_dir (str): restored images named ``<gt stem><suffix>.*``.
        crop_border (int): pixels cut from each side (the scale, for SR).
        test_y_channel (bool): measure on Y of YCbCr (BT.601).
        suffix (str): e.g. ``'_x4'``.

    Returns:
        tuple[list[dict], dict]: rows ``{key, PSNR, SSIM, gt, restored}``
        (PSNR in dB, ``inf`` for identical images) and a summary with the
        mean ``PSNR``/``SSIM``, ``num_images`` and the settings.

    Raises:
        FileNotFoundError, ValueError: see :func:`pair_images`; a
            ``ValueError`` naming both files when sizes differ.
    """
    from ..evaluation.functional import calculate_psnr, calculate_ssim
    from ..utils import imread
    rows = []
    for stem, gt_path, sr_path in pair_images(gt_dir, restored_dir, suffix):
        gt, sr = imread(gt_path), imread(sr_path)
        if gt.shape != sr.shape:
            raise ValueError(
                f'size mismatch: {sr_path} is {sr.shape[1]}x{sr.shape[0]} '
                f'but its ground truth {gt_path} is '
                f'{gt.shape[1]}x{gt.shape[0]}')
        rows.append(dict(
            key=stem,
            PSNR=calculate_psnr(sr, gt, crop_border, test_y_channel),
            SSIM=calculate_ssim(sr, gt, crop_border, test_y_channel),
            gt=gt_path, restored=sr_path))
    summary = dict(
        PSNR=sum(r['PSNR'] for r in rows) / len(rows),
        SSIM=sum(r['SSIM'] for r in rows) / len(rows),
        num_images=len(rows), crop_border=crop_border,
        test_y_channel=bool(test_y_channel), suffix=suffix,
        gt_dir=os.fspath(gt_dir), restored_dir=os.fspath(restored_dir))
    return rows, summary


def write_results(rows, summary, out_prefix, meta=None, overwrite=False):
    """Write ``<out_prefix>.json`` and ``.csv`` atomically; see
    :func:`srtoolbox.engine.results.write_results` (shared with
    ``tools/test.py``). Returns ``(json_path, csv_path)``."""
    from ..engine.results import write_results as _write
    return _write(rows, summary, os.fspath(out_prefix), meta=meta,
                  overwrite=overwrite)


def _fmt(value, digits):
    if isinstance(value, float):
        return 'inf' if math.isinf(value) else f'{value:.{digits}f}'
    return str(value)


def format_table(rows, summary):
    """A plain-text table: one line per image and the mean."""
    width = max([len('mean')] + [len(r['key']) for r in rows])
    lines = [f'{"image":<{width}}  {"PSNR":>8}  {"SSIM":>6}']
    for r in rows:
        lines.append(f'{r["key"]:<{width}}  {_fmt(r["PSNR"], 2):>8}  '
                     f'{_fmt(r["SSIM"], 4):>6}')
    lines.append(f'{"mean":<{width}}  {_fmt(summary["PSNR"], 2):>8}  '
                 f'{_fmt(summary["SSIM"], 4):>6}')
    return '\n'.join(lines)
