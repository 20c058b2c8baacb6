"""Pack image folders into LMDBs (:func:`create_lmdb`, a GT/LQ pair).

The LMDB layout is BasicSR's: a folder holding ``data.mdb``, ``lock.mdb`` and
``meta_info.txt``; keys are the paths relative to the source folder without
extension, ``/``-separated (``0001``, ``sub/img.v2_s001``); each line of
``meta_info.txt`` reads ``<key>.png (h,w,c) <compress_level>``; ``data.mdb``
also holds the record of the source files (:mod:`.sources`). Values follow
the rule of :mod:`srtoolbox.datasets.lmdb.values`; the writing (batches,
resuming, the final rename) is :class:`~.writer.LmdbWriter`'s.
"""
import dataclasses
import os.path as osp
from functools import partial
from typing import Any, Optional

from ...utils.image_io import ImageReadError, imread
from ..image_store import FolderStore
from ..parallel import check_on_error, default_workers, listing, run_ordered
from .sources import file_stamp, source_stamp
from .values import ValueFormat
from .writer import LmdbWriter

__all__ = ['create_lmdb', 'create_paired_lmdb', 'BuildResult']

_MAX_KEY_BYTES = 511  # LMDB's default maximum key size


@dataclasses.dataclass
class BuildResult:
    """What :func:`create_lmdb` / :func:`create_paired_lmdb` wrote.

    ``skipped`` lists ``(source file, reason)`` for every image left out with
    ``on_error='skip'``; ``resumed`` counts the entries kept from an
    interrupted earlier run.
    """
    path: str
    num_images: int
    skipped: list = dataclasses.field(default_factory=list)
    resumed: int = 0
    lq_path: Optional[str] = None


def _check_keys(keys, root):
    """Keys must fit in LMDB and in a ``meta_info.txt`` line."""
    bad = [k for k in keys
           if len(k.encode('utf-8')) > _MAX_KEY_BYTES or
           any(ch.isspace() for ch in k)]
    if bad:
        raise ValueError(
            f'{root}: {len(bad)} image name(s) cannot be LMDB keys (a key '
            f'holds no whitespace, as meta_info.txt separates fields with '
            f'spaces, and is at most {_MAX_KEY_BYTES} bytes); rename: ' +
            listing(bad))


def _encode_one(path, value_format):
    """Worker: ``((value, shape), None)`` or ``(None, reason)``."""
    try:
        stamp = file_stamp(path)
        img = imread(path)
    except (ImageReadError, FileNotFoundError) as err:
        return None, str(err)
    return (value_format.encode(img), img.shape, stamp), None


def _encode_pair(paths, scale, value_format):
    """Worker: decode, check the scale and encode one GT/LQ pair."""
    gt_path, lq_path = paths
    try:
        gt_stamp, lq_stamp = file_stamp(gt_path), file_stamp(lq_path)
        gt = imread(gt_path)
        lq = imread(lq_path)
    except (ImageReadError, FileNotFoundError) as err:
        return None, str(err)
    if gt.shape[:2] != (lq.shape[0] * scale, lq.shape[1] * scale):
        return None, _scale_message(gt_path, gt.shape[:2], lq_path,
                                    lq.shape[:2], scale)
    return ((value_format.encode(gt), gt.shape, gt_stamp),
            (value_format.encode(lq), lq.shape, lq_stamp)), None


def _scale_message(gt_path, gt_hw, lq_path, lq_hw, scale):
    return (f'{gt_path} is {gt_hw[0]}x{gt_hw[1]} (h x w) but its LQ partner '
            f'{lq_path} is {lq_hw[0]}x{lq_hw[1]}; for x{scale} the LQ must '
            f'be {gt_hw[0] / scale:g}x{gt_hw[1] / scale:g}')


def _stale_keys(build, sources, root):
    """Committed keys whose source is gone or is not the file encoded."""
    stale = []
    for key, recorded in build.sources.items():
        path = sources.get(key)
        try:
            if path is None or recorded != source_stamp(path, root):
                stale.append(key)
        except FileNotFoundError:
            stale.append(key)
    return stale


def _check_output(output, overwrite):
    output = osp.abspath(str(output).rstrip('/\\') or str(output))
    if osp.lexists(output) and not overwrite:
        raise FileExistsError(
            f'{output} already exists; pass overwrite=True (--overwrite) to '
            'replace it')
    return output


def _initial_map_size(paths, map_size):
    if map_size is not None:
        return int(map_size)
    # PNG of a decoded JPEG is several times the JPEG; the map grows anyway.
    total = sum(osp.getsize(p) for p in paths)
    return max(64 << 20, 4 * total)


def create_lmdb(input_dir: str, output: str, *, workers: Optional[int] = None,
                compress_level: int = 1, codec: str = 'png',
                overwrite: bool = False, on_error: str = 'stop',
                resume: bool = True, map_size: Optional[int] = None,
                progress: bool = True) -> Any:
    """Pack every image under ``input_dir`` into the LMDB ``output``.

    Images (png, jpg, jpeg, bmp, webp, tif, tiff) are found recursively; the
    key of ``input_dir/sub/a.b.png`` is ``sub/a.b``. Every value is a
    **3-channel 8-bit PNG** re-encoded from the image as
    :func:`srtoolbox.utils.imread` reads it (see the module docstring), so
    ``build_image_store(output, dict(backend='lmdb')).get(key)`` equals
    ``imread(source)`` pixel for pixel.

    Args:
        input_dir (str): folder of images.
        output (str): the LMDB folder to create (``X.lmdb``).
        workers (int | None): processes decoding and encoding images;
            default ``min(8, cpu_count)``; 0 or 1 work in this process.
        compress_level (int): PNG compression 0-9 (1: fast, as BasicSR).
        codec (str): ``'png'`` (BasicSR's layout) or ``'raw'`` (uncompressed
            pixels, fastest to read; see the module docstring).
        overwrite (bool): replace an existing ``output`` (only once the new
            LMDB is complete). Without it an existing ``output`` raises
            ``FileExistsError``.
        on_error (str): an unreadable image: ``'stop'`` raises
            :class:`ImageReadError` naming it and removes the unfinished
            LMDB; ``'skip'`` leaves it out and lists it in the result.
        resume (bool): an interrupted earlier run of the same build leaves
            ``<output>.tmp-build``; go on from what it committed (True) or
            start afresh (False). Resuming encodes again the entries whose
            source changed since (size or modification time, see
            :mod:`.sources`) and drops those whose source is gone. A
            leftover of another build (other input or settings) or a
            damaged one is always cleared.
        map_size (int | None): initial LMDB map size in bytes (default from
            the source sizes); doubled whenever it is full.
        progress (bool): show a tqdm progress bar.

    Returns:
        BuildResult
    """
    check_on_error(on_error)
    value_format = ValueFormat.checked(codec, compress_level)
    workers = default_workers() if workers is None else int(workers)
    output = _check_output(output, overwrite)
    sources = FolderStore(input_dir).paths()
    _check_keys(sources, input_dir)
    build_info = dict(kind='single', input=osp.abspath(input_dir),
                      sources_record=1, **dataclasses.asdict(value_format))
    build = LmdbWriter(output, build_info, value_format,
                       _initial_map_size(sources.values(), map_size),
                       overwrite, resume, input_dir)
    skipped, skipped_keys = [], []
    job = partial(_encode_one, value_format=value_format)
    try:
        # entries of sources gone or changed since an interrupted run
        build.drop(_stale_keys(build, sources, input_dir))
        resumed = len(build.done)
        todo = [key for key in sources if key not in build.done]
        results = run_ordered(job, [sources[k] for k in todo], workers,
                              f'LMDB {osp.basename(output)}', progress)
        for key, (value, reason) in zip(todo, results):
            if value is None:
                if on_error == 'stop':
                    results.close()
                    build.discard()
                    raise ImageReadError(
                        f'{reason}; stopped, nothing was written (pass '
                        "on_error='skip' / --skip-bad to leave such images "
                        'out)')
                skipped.append((sources[key], reason))
                skipped_keys.append(key)
                continue
            img_value, shape, stamp = value
            build.add(key, img_value, shape,
                      source_stamp(sources[key], input_dir, stamp))
            if build.full:
                build.commit()
        build.commit()
        if build.count == 0:
            build.discard()
            raise ImageReadError(f'{input_dir}: none of the {len(sources)} '
                                 'images could be read:' +
                                 listing(f'{p}: {r}' for p, r in skipped))
        build.check_destination()
        build.finish(skipped_keys)
    finally:
        build.close()
    return BuildResult(output, len(build.done), skipped, resumed)


def _lq_key_map(lq_sources, lq_suffix, lq_dir):
    """LQ keys with ``lq_suffix`` stripped (``0001x4`` -> ``0001``)."""
    mapped = {}
    for key, path in lq_sources.items():
        base = key[:-len(lq_suffix)] if lq_suffix and key.endswith(
            lq_suffix) else key
        if base in mapped:
            raise ValueError(
                f'{lq_dir}: {mapped[base]} and {path} both match the key '
                f'{base!r} once the suffix {lq_suffix!r} is removed')
        mapped[base] = path
    return mapped


def _image_hw(path):
    """Worker: ``((h, w), None)`` from the file header, or ``(None, reason)``.

    PIL reads only the header; anything PIL cannot open is decoded fully.
    """
    try:
        from PIL import Image  # optional (no requirement): else OpenCV
        with Image.open(path) as im:
            width, height = im.size
        return (height, width), None
    except Exception:  # noqa: BLE001 - any PIL failure: decode with OpenCV
        pass
    try:
        return imread(path).shape[:2], None
    except ImageReadError as err:
        return None, str(err)


def create_paired_lmdb(gt_dir: str, lq_dir: str, gt_output: Any,
                       lq_output: Any, scale: int, *, lq_suffix: str = '',
                       workers: Optional[Any] = None, compress_level: int = 1,
                       codec: str = 'png', overwrite: bool = False,
                       on_error: str = 'stop', resume: bool = True,
                       map_size: Optional[Any] = None,
                       progress: bool = True) -> Any:
    """Pack a GT folder and its LQ folder into two LMDBs with the same keys.

    Before writing anything, it checks that every GT key has an LQ partner
    and the reverse (an LQ name may carry ``lq_suffix``, e.g. ``'x4'`` for
    ``0001x4.png``: the LQ entry is stored under the GT key ``0001``), and
    that every LQ image is exactly ``scale`` times smaller than its GT
    (``h_gt == scale * h_lq``, same for ``w``); any mismatch raises a
    ``ValueError`` listing them all. Values follow the rule of
    :func:`create_lmdb` (3-channel 8-bit PNG or raw); the other arguments
    are those of :func:`create_lmdb`. An unreadable image with
    ``on_error='skip'`` leaves out the whole pair. Both LMDBs appear
    together at the end.

    Returns:
        BuildResult: ``path`` is the GT LMDB, ``lq_path`` the LQ one.
    """
    check_on_error(on_error)
    scale = int(scale)
    if scale < 1:
        raise ValueError(f'scale must be a positive integer, got {scale}')
    value_format = ValueFormat.checked(codec, compress_level)
    workers = default_workers() if workers is None else int(workers)
    gt_output = _check_output(gt_output, overwrite)
    lq_output = _check_output(lq_output, overwrite)
    if gt_output == lq_output:
        raise ValueError(f'GT and LQ outputs are the same path {gt_output}')
    gt_sources = FolderStore(gt_dir).paths()
    _check_keys(gt_sources, gt_dir)
    lq_sources = _lq_key_map(FolderStore(lq_dir).paths(), lq_suffix, lq_dir)

    gt_only = [f'{key!r} ({gt_sources[key]}): no LQ image '
               f'{osp.join(lq_dir, key + lq_suffix)}.*'
               for key in gt_sources if key not in lq_sources]
    lq_only = [f'{key!r} ({lq_sources[key]}): no GT image '
               f'{osp.join(gt_dir, key)}.*'
               for key in sorted(lq_sources) if key not in gt_sources]
    if gt_only or lq_only:
        raise ValueError(
            f'{gt_dir} and {lq_dir} do not pair up (LQ suffix '
            f'{lq_suffix!r}): {len(gt_only)} GT image(s) without LQ, '
            f'{len(lq_only)} LQ image(s) without GT:' +
            listing(gt_only + lq_only))

    keys = list(gt_sources)
    skipped = []
    unreadable = set()
    paths = [p for key in keys for p in (gt_sources[key], lq_sources[key])]
    sizes = list(run_ordered(_image_hw, paths, workers, 'check sizes',
                             progress))
    mismatches = []
    for i, key in enumerate(keys):
        (gt_hw, gt_err), (lq_hw, lq_err) = sizes[2 * i], sizes[2 * i + 1]
        if gt_err or lq_err:
            if on_error == 'stop':
                raise ImageReadError(f'{gt_err or lq_err}; stopped before '
                                     'writing anything')
            skipped.append((gt_sources[key] if gt_err else lq_sources[key],
                            gt_err or lq_err))
            unreadable.add(key)
        elif tuple(gt_hw) != (lq_hw[0] * scale, lq_hw[1] * scale):
            mismatches.append(_scale_message(gt_sources[key], gt_hw,
                                             lq_sources[key], lq_hw, scale))
    if mismatches:
        raise ValueError(f'{len(mismatches)} pair(s) are not x{scale}:' +
                         listing(mismatches))
    keys = [key for key in keys if key not in unreadable]

    common = dict(input=osp.abspath(gt_dir), lq_input=osp.abspath(lq_dir),
                  lq_suffix=lq_suffix, scale=scale, sources_record=1,
                  **dataclasses.asdict(value_format))
    roles = (('gt', gt_output, gt_sources, gt_dir, ''),
             ('lq', lq_output, lq_sources, lq_dir, lq_suffix))
    builds = []
    try:
        for role, output, sources, root, suffix in roles:
            builds.append(LmdbWriter(
                output, dict(common, kind='paired', role=role),
                value_format,
                _initial_map_size([sources[k] for k in keys], map_size),
                overwrite, resume, root, suffix))
        gt_build, lq_build = builds
        # entries of vanished, changed or now unreadable sources go;
        # entries only one side committed are written again
        wanted = set(keys)
        for build, (_, _, sources, root, _) in zip(builds, roles):
            build.drop([key for key in build.done if key not in wanted] +
                       _stale_keys(build, sources, root))
        done = set(gt_build.done) & set(lq_build.done)
        todo = [key for key in keys if key not in done]
        job = partial(_encode_pair, scale=scale, value_format=value_format)
        results = run_ordered(
            job, [(gt_sources[k], lq_sources[k]) for k in todo], workers,
            f'LMDBs {osp.basename(gt_output)} + {osp.basename(lq_output)}',
            progress, unit='pair')
        for key, (value, reason) in zip(todo, results):
            if value is None:
                if on_error == 'stop':
                    results.close()
                    for build in builds:
                        build.discard()
                    raise ImageReadError(
                        f'{reason}; stopped, nothing was written (pass '
                        "on_error='skip' / --skip-bad to leave such pairs "
                        'out)')
                skipped.append((gt_sources[key], reason))
                unreadable.add(key)
                continue
            for build, (img_value, shape, stamp), (_, _, sources, root, _) \
                    in zip(builds, value, roles):
                build.add(key, img_value, shape,
                          source_stamp(sources[key], root, stamp))
            if gt_build.full or lq_build.full:  # commit both in step
                gt_build.commit()
                lq_build.commit()
        gt_build.commit()
        lq_build.commit()
        paired = set(gt_build.done) & set(lq_build.done)
        for build in builds:  # a pair only half written earlier, now skipped
            build.drop([key for key in build.done if key not in paired])
        if gt_build.count == 0:
            for build in builds:
                build.discard()
            raise ImageReadError('no pair could be read:' + listing(
                f'{p}: {r}' for p, r in skipped))
        for build in builds:
            build.check_destination()
        for build in builds:
            build.finish(unreadable)
    finally:
        for build in builds:
            build.close()
    return BuildResult(gt_output, len(gt_build.done), skipped,
                       resumed=len(done), lq_path=lq_output)
