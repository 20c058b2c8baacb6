"""Cut big images into overlapping square crops (BasicSR's extract_subimages).

``tools/extract_subimages.py`` is a thin command line over
:func:`extract_subimages`; :func:`crop_positions` is the rule for where
crops start along one axis.
"""
import dataclasses
import os
import os.path as osp
from functools import partial
from typing import Any, Optional

from ..utils.image_io import IMG_EXTENSIONS, ImageReadError, imread, imwrite
from .image_store import FolderStore
from .parallel import check_on_error, default_workers, run_ordered

__all__ = ['extract_subimages', 'crop_positions', 'ExtractResult']


@dataclasses.dataclass
class ExtractResult:
    """What :func:`extract_subimages` wrote: ``num_crops`` PNG files."""
    output_dir: str
    num_images: int
    num_crops: int
    skipped: list = dataclasses.field(default_factory=list)
    too_small: list = dataclasses.field(default_factory=list)


def crop_positions(length: Any, crop_size: int, step: Any,
                   thresh_size: int = 0) -> Any:
    """Top-left offsets of the crops along one axis (BasicSR's rule).

    Crops start every ``step`` pixels; if the part left after the last one
    is longer than ``thresh_size``, one more crop ends flush with the border.
    An axis shorter than ``crop_size`` gives no crop.
    """
    if length < crop_size:
        return []
    positions = list(range(0, length - crop_size + 1, step))
    if length - (positions[-1] + crop_size) > thresh_size:
        positions.append(length - crop_size)
    return positions


def _crop_one(job, crop_size, step, thresh_size):
    """Worker: write the crops of one image; ``(count, reason)``."""
    path, out_base = job
    try:
        img = imread(path)
    except ImageReadError as err:
        return None, str(err)
    index = 0
    for top in crop_positions(img.shape[0], crop_size, step, thresh_size):
        for left in crop_positions(img.shape[1], crop_size, step,
                                   thresh_size):
            index += 1
            imwrite(img[top:top + crop_size, left:left + crop_size],
                    f'{out_base}_s{index:03d}.png')
    return index, None


def extract_subimages(input_dir: str, output_dir: str, *, crop_size: int = 480,
                      step: int = 240, thresh_size: int = 0, scale: int = 1,
                      lq_suffix: str = '', workers: Optional[Any] = None,
                      overwrite: bool = False, on_error: str = 'stop',
                      progress: bool = True) -> Any:
    """Cut every image under ``input_dir`` into overlapping square crops.

    Crops of ``crop_size`` start every ``step`` pixels in both directions
    (see :func:`crop_positions`); ``input_dir/sub/a.png`` gives
    ``output_dir/sub/a_s001.png``, ``a_s002.png``, ... row by row, as
    BasicSR's ``extract_subimages.py`` names them, saved as PNG whatever the
    input format (3-channel 8-bit, the rule of :func:`srtoolbox.utils.imread`).

    For the LQ folder of a pair, pass the GT ``crop_size``, ``step`` and
    ``thresh_size`` with ``scale``: they are divided by it, so LQ crop
    ``a_s007`` covers exactly GT crop ``a_s007``; ``lq_suffix`` (e.g.
    ``'x4'``) is removed from LQ names so the crops share the GT names.
    Images smaller than a crop give none and are listed in ``too_small``.

    ``output_dir`` must hold no image yet unless ``overwrite=True`` (then
    crops of the same names are replaced; other files stay). Files are
    written atomically: an interrupted run leaves no half-written PNG.

    Returns:
        ExtractResult
    """
    check_on_error(on_error)
    scale = int(scale)
    if scale < 1 or crop_size % scale or step % scale:
        raise ValueError(
            f'crop_size ({crop_size}) and step ({step}) must be multiples of '
            f'the scale ({scale}) so that LQ crops align with GT crops')
    crop, stride = crop_size // scale, step // scale
    thresh = thresh_size / scale
    if crop < 1 or stride < 1:
        raise ValueError(f'crop_size ({crop_size}) and step ({step}) must be '
                         'positive')
    workers = default_workers() if workers is None else int(workers)
    in_abs, out_abs = osp.abspath(input_dir), osp.abspath(output_dir)
    if out_abs == in_abs or out_abs.startswith(in_abs + os.sep):
        raise ValueError(f'{output_dir} is inside {input_dir}: the crops '
                         'would be read back as inputs on the next run')
    if osp.isdir(output_dir) and not overwrite:
        for _, _, files in os.walk(output_dir):
            if any(osp.splitext(f)[1].lower() in IMG_EXTENSIONS and
                   not f.startswith('.') for f in files):
                raise FileExistsError(
                    f'{output_dir} already holds images; pass overwrite=True '
                    '(--overwrite) to write over them, or choose an empty '
                    'folder')
    sources = FolderStore(input_dir).paths()
    jobs: list = []
    names: dict = {}
    for key, path in sources.items():
        name = key[:-len(lq_suffix)] if lq_suffix and key.endswith(
            lq_suffix) else key
        if name in names:
            raise ValueError(f'{names[name]} and {path} would write the same '
                             f'crops {name}_s*.png')
        names[name] = path
        jobs.append((path, osp.join(output_dir, *name.split('/'))))
    os.makedirs(output_dir, exist_ok=True)
    job = partial(_crop_one, crop_size=crop, step=stride, thresh_size=thresh)
    result = ExtractResult(output_dir, 0, 0)
    results = run_ordered(job, jobs, workers,
                          f'crops of {osp.basename(in_abs)}', progress)
    for (path, _), (count, reason) in zip(jobs, results):
        if count is None:
            if on_error == 'stop':
                results.close()
                raise ImageReadError(f'{reason}; stopped (crops already '
                                     f'written stay in {output_dir})')
            result.skipped.append((path, reason))
            continue
        result.num_images += 1
        result.num_crops += count
        if count == 0:
            result.too_small.append(path)
    return result
