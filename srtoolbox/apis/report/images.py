"""The report's image comparison: bicubic | each run | HR, per test image.

Where the SR images come from: the report runs each run's checkpoint on
the test images itself (:class:`~srtoolbox.apis.inference.SRInferencer`),
with the benchmarks' LR (HR cropped to a multiple of the scale, MATLAB
bicubic, 8 bits). ``tools/test.py --save-dir`` images are not used: a
result file does not record where they went, training writes none of the
test sets, and inference on Set5 + Set14 costs seconds per run on a CPU,
so every run is shown from the same LR by the same code. ``max_images``
bounds that cost for large sets.

Every image is written once, as a crop of at most ``crop_size`` x
``crop_size`` HR pixels per panel: the user's (``crops``) or the window
where the panels differ most from one another (the largest per-pixel
standard deviation of luminance across panels, summed over the window).
"""
import os
import os.path as osp
import re
from dataclasses import dataclass, field
from typing import (Any, Callable, Dict, List, Mapping, Optional, Sequence,
                    Tuple, cast)

import numpy as np

from ...evaluation.functional import calculate_psnr, calculate_ssim
from ...utils import imread, imresize, imwrite
from ...utils.image_io import list_images
from ..inference import SRInferencer
from .runs import Run

__all__ = ['ComparedImage', 'largest_difference_crop', 'parse_crop',
           'compare_test_images', 'write_panels']


@dataclass
class ComparedImage:
    """One test image: its panels' files and per-panel metrics."""
    dataset: str
    key: str
    crop: Tuple[int, int, int, int]  # top, left, height, width (HR pixels)
    size: Tuple[int, int]  # HR height, width
    panels: List[str] = field(default_factory=list)  # labels
    files: List[str] = field(default_factory=list)  # relative to --out
    # {label: {'PSNR': v, 'SSIM': v}}; HR has none
    metrics: Dict[str, Dict[str, float]] = field(default_factory=dict)


def parse_crop(text: str) -> Tuple[str, Tuple[int, int, int, int]]:
    """``'Set5/baby:10,20,128,128'`` or ``'baby:10,20,128,128'`` ->
    ``('Set5/baby', (10, 20, 128, 128))``: top, left, height, width."""
    match = re.fullmatch(r'([^:]+):(\d+),(\d+),(\d+),(\d+)', text.strip())
    if not match:
        raise ValueError(f'--crop {text!r}: write KEY:TOP,LEFT,HEIGHT,WIDTH '
                         '(KEY an image name, or SET/NAME), e.g. '
                         'Set5/baby:100,80,128,128')
    box = cast(Tuple[int, int, int, int],
               tuple(int(v) for v in match.groups()[1:]))
    if box[2] <= 0 or box[3] <= 0:
        raise ValueError(f'--crop {text!r}: height and width must be > 0')
    return match.group(1), box


def _luma(img):
    return img.astype(np.float32) @ np.array([0.299, 0.587, 0.114],
                                             np.float32)


def largest_difference_crop(images: Sequence[np.ndarray],
                            size: int) -> Tuple[int, int, int, int]:
    """``(top, left, h, w)`` of the ``size`` x ``size`` window (clipped to
    the image) where ``images`` (HWC, same shape) differ most: the
    largest sum of the per-pixel standard deviation of luminance."""
    h, w = images[0].shape[:2]
    ch, cw = min(size, h), min(size, w)
    if len(images) < 2:
        return ((h - ch) // 2, (w - cw) // 2, ch, cw)
    spread = np.std(np.stack([_luma(i) for i in images]), axis=0)
    table = np.zeros((h + 1, w + 1), np.float64)
    table[1:, 1:] = spread.cumsum(0).cumsum(1)
    sums = (table[ch:, cw:] - table[:-ch, cw:] - table[ch:, :-cw]
            + table[:-ch, :-cw])
    top, left = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return (int(top), int(left), ch, cw)


def _safe(name):
    return re.sub(r'[^A-Za-z0-9._-]+', '_', name)


def write_panels(image: ComparedImage, arrays: Sequence[np.ndarray],
                 out_dir: str) -> None:
    """Write the crop of each panel array as PNG under ``out_dir``;
    fills ``image.files`` with paths relative to ``out_dir``."""
    top, left, ch, cw = image.crop
    folder = osp.join('images', _safe(image.dataset), _safe(image.key))
    for i, array in enumerate(arrays):
        rel = osp.join(folder, f'{i}.png')
        imwrite(array[top:top + ch, left:left + cw], osp.join(out_dir, rel))
        image.files.append(rel.replace(os.sep, '/'))


def _test_images(data_root, test_sets, max_images, problems):
    for name in test_sets:
        folder = osp.join(data_root, name)
        if not osp.isdir(folder):
            problems.append(f'test set {name}: {folder} is not a folder '
                            '(see --data-root / --test-sets)')
            continue
        files = list_images(folder)
        if max_images is not None:
            files = files[:max_images]
        for path in files:
            yield name, osp.splitext(osp.basename(path))[0], path


def compare_test_images(
        runs: Sequence[Run], out_dir: str, data_root: str = 'data/demo',
        test_sets: Sequence[str] = ('Set5', 'Set14'), crop_size: int = 192,
        crops: Optional[Mapping[str, Tuple[int, int, int, int]]] = None,
        max_images: Optional[int] = None, device: str = 'cpu',
        problems: Optional[List[str]] = None,
        log: Callable[[str], None] = print
) -> Tuple[List[str], List[ComparedImage]]:
    """Upscale every test image with every run that has a checkpoint and a
    config; write the panels; return ``(labels, [ComparedImage])``.

    Runs that cannot be run (no checkpoint, no config, a network that does
    not load, another scale than the first run's) are left out with a line
    in ``problems`` naming the run and why.
    """
    problems = [] if problems is None else problems
    crops = dict(crops or {})
    models, scale = [], None
    for run in runs:
        if run.kind in ('missing', 'empty', 'unreadable'):
            continue
        if not run.checkpoint or not run.config_path:
            missing = 'checkpoint' if not run.checkpoint else 'config'
            problems.append(f'{run.name}: no images (no {missing} found '
                            f'in {run.path})')
            continue
        try:
            inferencer = SRInferencer(config=run.config_path,
                                      checkpoint=run.checkpoint,
                                      device=device, progress=False)
        except Exception as err:  # noqa: B902 (any load failure is named)
            problems.append(f'{run.name}: no images ({run.checkpoint} does '
                            f'not load with {run.config_path}: {err})')
            continue
        if scale is None:
            scale = inferencer.scale
        elif inferencer.scale != scale:
            problems.append(f'{run.name}: no images (x{inferencer.scale}; '
                            f'the first run with images is x{scale})')
            continue
        models.append((run.name, inferencer))
    if not models:
        return [], []
    # None only until the first run loads, and one has: models is not empty
    assert scale is not None
    labels = ['bicubic'] + [name for name, _ in models] + ['HR']
    compared = []
    for dataset, key, path in _test_images(data_root, test_sets, max_images,
                                           problems):
        hr = imread(path)
        h, w = hr.shape[:2]
        hr = hr[:h - h % scale, :w - w % scale]
        lr = imresize(hr, 1 / scale)
        arrays, shown = [imresize(lr, scale)], ['bicubic']
        for name, inferencer in models:
            sr = inferencer(lr)
            if sr.shape != hr.shape:
                problems.append(
                    f'{name}: {dataset}/{key} comes out {sr.shape[1]}x'
                    f'{sr.shape[0]}, the HR image is {hr.shape[1]}x'
                    f'{hr.shape[0]}: panel left out')
                continue
            arrays.append(sr)
            shown.append(name)
        item = ComparedImage(dataset, key, (0, 0, 0, 0), hr.shape[:2],
                             panels=shown + ['HR'])
        for label, array in zip(shown, arrays):
            item.metrics[label] = dict(
                PSNR=calculate_psnr(array, hr, scale, test_y_channel=True),
                SSIM=calculate_ssim(array, hr, scale, test_y_channel=True))
        box = crops.get(f'{dataset}/{key}', crops.get(key))
        if box is not None:
            t, l, ch, cw = box
            if t + ch > hr.shape[0] or l + cw > hr.shape[1]:
                problems.append(f'--crop {dataset}/{key}:{t},{l},{ch},{cw} '
                                f'does not fit its {hr.shape[1]}x'
                                f'{hr.shape[0]} HR image; the largest '
                                'difference is shown instead')
                box = None
        item.crop = box or largest_difference_crop(arrays, crop_size)
        write_panels(item, arrays + [hr], out_dir)
        compared.append(item)
        log(f'images: {dataset}/{key} ({len(arrays) - 1} runs)')
    return labels, compared


def image_rows(compared: Sequence[ComparedImage],
               labels: Sequence[str]) -> List[Dict[str, Any]]:
    """JSON-ready records for the page's image viewer."""
    return [dict(dataset=c.dataset, key=c.key, crop=list(c.crop),
                 size=list(c.size), panels=c.panels, files=c.files,
                 metrics=c.metrics) for c in compared]
