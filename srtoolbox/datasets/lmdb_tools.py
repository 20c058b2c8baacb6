"""Build, cut and check the image LMDBs that :class:`LmdbStore` reads.

The ``tools/create_lmdb.py``, ``tools/extract_subimages.py`` and
``tools/inspect_lmdb.py`` command lines are thin wrappers over:

* :func:`create_lmdb` - one image folder into one LMDB;
* :func:`create_paired_lmdb` - a GT folder and its LQ folder into two LMDBs
  with the same keys, after checking that every GT image has an LQ partner
  of the right size;
* :func:`extract_subimages` - BasicSR-style overlapping crops of big images
  (``<stem>_s001.png``, ...), for GT folders or, divided by the scale, for
  their LQ folders so that pairs stay aligned;
* :func:`inspect_lmdb` - counts, key parity, scale consistency and a list of
  entries that do not decode.

The LMDB layout is BasicSR's: a folder holding ``data.mdb``, ``lock.mdb`` and
``meta_info.txt``; keys are the paths relative to the source folder without
extension, ``/``-separated (``0001``, ``sub/img.v2_s001``); each line of
``meta_info.txt`` reads ``<key>.png (h,w,c) <compress_level>``.

**Value rule**: every value is a lossless PNG (or, with ``codec='raw'``, the
uncompressed pixels: see below) re-encoded from the image as
:func:`srtoolbox.utils.imread` decodes it, i.e. 3-channel 8-bit (grayscale
replicated, alpha dropped, 16-bit scaled to 8, JPEG decoded once). So
everything in an LMDB made here is a 3-channel 8-bit PNG, ``meta_info.txt``
always says ``c = 3``, and reading an entry gives exactly what reading its
source file gives. PNG inputs are re-encoded too (one rule for all inputs,
and fast-decoding PNGs: see :func:`_png_params`).

**Raw values** (``codec='raw'``, ``--codec raw``): the pixels uncompressed
in srtoolbox's ``RAW_MAGIC`` format (:func:`srtoolbox.utils.raw_bytes`),
listed as ``<key>.raw (h,w,c) raw`` in ``meta_info.txt``. Reading one is a
copy instead of a PNG decode (docs/benchmarks.md), which is
what keeps a loader of whole photos fast; the LMDB is as large as one of
uncompressed PNGs. BasicSR cannot read these values: use PNG for LMDBs
shared with it.
"""
import dataclasses
import json
import multiprocessing
import os
import os.path as osp
import random
import shutil
import threading
import time
from collections import deque
from functools import partial

import cv2
import numpy as np

from ..utils.image_io import IMG_EXTENSIONS, ImageReadError, imfrombytes, \
    imread, imwrite, raw_bytes
from .image_store import FolderStore, open_lmdb_readonly, read_meta_info

__all__ = [
    'create_lmdb', 'create_paired_lmdb', 'extract_subimages', 'inspect_lmdb',
    'crop_positions', 'BuildResult', 'ExtractResult', 'LmdbReport'
]

TMP_SUFFIX = '.tmp-build'  # an unfinished LMDB lives in '<output>.tmp-build'
_MAX_KEY_BYTES = 511  # LMDB's default maximum key size
_COMMIT_EVERY = 1000  # entries per write transaction
_COMMIT_BYTES = 256 << 20  # ... or this many bytes ...
_COMMIT_SECONDS = 60  # ... or after this long: what an interruption loses
_MAX_LISTED = 20  # lines of a mismatch list shown in an error message


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
    lq_path: str = None


@dataclasses.dataclass
class ExtractResult:
    """What :func:`extract_subimages` wrote: ``num_crops`` PNG files."""
    output_dir: str
    num_images: int
    num_crops: int
    skipped: list = dataclasses.field(default_factory=list)
    too_small: list = dataclasses.field(default_factory=list)


# --------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------
def _check_on_error(on_error):
    if on_error not in ('stop', 'skip'):
        raise ValueError(
            f"on_error must be 'stop' or 'skip', got {on_error!r}")


def _default_workers():
    return max(1, min(8, os.cpu_count() or 1))


def _scan_images(root):
    """``{key: path}`` of the images under ``root`` (recursive, sorted)."""
    store = FolderStore(root)
    return {key: store.path(key) for key in store.keys()}


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
            _listing(bad))


def _listing(lines, limit=_MAX_LISTED):
    lines = [str(line) for line in lines]
    text = '\n  ' + '\n  '.join(lines[:limit])
    if len(lines) > limit:
        text += f'\n  ... and {len(lines) - limit} more'
    return text


def _png_params(compress_level):
    params = [cv2.IMWRITE_PNG_COMPRESSION, int(compress_level)]
    if hasattr(cv2, 'IMWRITE_PNG_FILTER'):  # OpenCV >= 4.11
        # With an explicit compression level OpenCV tries every PNG filter
        # per row (Paeth included); the Up filter alone gives files ~1%
        # larger that encode ~30% and decode ~25% faster (1024x800 photos).
        params += [cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP]
    return params


def _png_bytes(img, compress_level):
    """RGB uint8 (H, W, 3) -> PNG bytes of its BGR layout (OpenCV's)."""
    ok, buf = cv2.imencode('.png', np.ascontiguousarray(img[:, :, ::-1]),
                           _png_params(compress_level))
    if not ok:
        raise RuntimeError('OpenCV could not encode a PNG')
    return buf.tobytes()


CODECS = ('png', 'raw')


@dataclasses.dataclass(frozen=True)
class _ValueFormat:
    """How the values of an LMDB are encoded (picklable, for workers)."""
    codec: str = 'png'
    compress_level: int = 1

    @classmethod
    def checked(cls, codec, compress_level):
        if codec not in CODECS:
            raise ValueError(f"codec must be one of {CODECS}, got {codec!r}")
        if not 0 <= int(compress_level) <= 9:
            raise ValueError(
                f'compress_level must be 0-9, got {compress_level}')
        return cls(codec, int(compress_level))

    def encode(self, img):
        if self.codec == 'raw':
            return raw_bytes(img)
        return _png_bytes(img, self.compress_level)

    def meta_line(self, key, shape):
        """The ``meta_info.txt`` line of an entry."""
        shape = ','.join(map(str, shape))
        if self.codec == 'raw':
            return f'{key}.raw ({shape}) raw\n'
        return f'{key}.png ({shape}) {self.compress_level}\n'


def _exit_with_parent(parent_pid):
    """Worker initializer: exit when the parent dies (e.g. killed with -9),
    instead of waiting forever on its task queue."""

    def watch():
        while os.getppid() == parent_pid:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _run_ordered(func, items, workers, desc, progress, unit='img'):
    """Yield ``func(item)`` for every item, in order, with a progress bar.

    ``workers > 1`` runs ``func`` in that many processes; at most a few
    items per worker are in flight, so memory stays flat on any dataset size.
    """
    from tqdm import tqdm
    bar = tqdm(total=len(items), desc=desc, unit=unit, disable=not progress,
               dynamic_ncols=True)
    try:
        if workers <= 1 or len(items) <= 1:
            for item in items:
                result = func(item)
                bar.update()
                yield result
            return
        from concurrent.futures import ProcessPoolExecutor
        pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context(),
            initializer=_exit_with_parent, initargs=(os.getpid(),))
        try:
            todo = iter(items)
            pending = deque()
            for item in todo:
                pending.append(pool.submit(func, item))
                if len(pending) >= 4 * workers:
                    break
            while pending:
                result = pending.popleft().result()
                for item in todo:  # refill by one
                    pending.append(pool.submit(func, item))
                    break
                bar.update()
                yield result
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    finally:
        bar.close()


# --------------------------------------------------------------------------
# building
# --------------------------------------------------------------------------
def _encode_one(path, value_format):
    """Worker: ``((value, shape), None)`` or ``(None, reason)``."""
    try:
        img = imread(path)
    except ImageReadError as err:
        return None, str(err)
    return (value_format.encode(img), img.shape), None


def _encode_pair(paths, scale, value_format):
    """Worker: decode, check the scale and encode one GT/LQ pair."""
    gt_path, lq_path = paths
    try:
        gt = imread(gt_path)
        lq = imread(lq_path)
    except ImageReadError as err:
        return None, str(err)
    if gt.shape[:2] != (lq.shape[0] * scale, lq.shape[1] * scale):
        return None, _scale_message(gt_path, gt.shape[:2], lq_path,
                                    lq.shape[:2], scale)
    return ((value_format.encode(gt), gt.shape),
            (value_format.encode(lq), lq.shape)), None


def _scale_message(gt_path, gt_hw, lq_path, lq_hw, scale):
    return (f'{gt_path} is {gt_hw[0]}x{gt_hw[1]} (h x w) but its LQ partner '
            f'{lq_path} is {lq_hw[0]}x{lq_hw[1]}; for x{scale} the LQ must '
            f'be {gt_hw[0] / scale:g}x{gt_hw[1] / scale:g}')


def _check_output(output, overwrite):
    output = osp.abspath(str(output).rstrip('/\\') or str(output))
    if osp.lexists(output) and not overwrite:
        raise FileExistsError(
            f'{output} already exists; pass overwrite=True (--overwrite) to '
            'replace it')
    return output


class _LmdbBuild:
    """One LMDB being written into ``<output>.tmp-build``.

    The folder holds the LMDB files plus ``build_info.json`` (what is being
    built, to tell whether a leftover folder can be resumed), ``progress.txt``
    (the ``meta_info.txt`` lines of the entries committed so far, appended
    after every commit) and ``build.lock`` (refuses a second concurrent run).
    Only :meth:`finish` renames it to ``output``, after writing
    ``meta_info.txt`` and removing the bookkeeping files, so a leftover
    temporary folder never passes for a finished LMDB.
    """

    def __init__(self, output, build_info, value_format, map_size,
                 overwrite, resume):
        import lmdb
        self._lmdb = lmdb
        self.output = output
        self.tmp = output + TMP_SUFFIX
        self.overwrite = overwrite
        self.value_format = value_format
        if osp.lexists(self.tmp) and not osp.isdir(self.tmp):
            os.remove(self.tmp)
        os.makedirs(self.tmp, exist_ok=True)
        self._lock_file = self._lock()
        info_path = osp.join(self.tmp, 'build_info.json')
        progress_path = osp.join(self.tmp, 'progress.txt')
        previous = None
        if resume and osp.isfile(info_path):
            try:
                with open(info_path, encoding='utf-8') as f:
                    previous = json.load(f)
            except ValueError:
                previous = None
        self.done = {}  # key -> shape of the entries already committed
        if (previous == build_info and osp.isfile(progress_path) and
                osp.isfile(osp.join(self.tmp, 'data.mdb'))):
            self.done = self._read_progress(progress_path)
            self._rewrite_progress()  # without a line torn by a crash
        else:  # nothing to resume: start from an empty folder
            for name in os.listdir(self.tmp):
                if name != 'build.lock':
                    full = osp.join(self.tmp, name)
                    if osp.isdir(full) and not osp.islink(full):
                        shutil.rmtree(full)
                    else:
                        os.remove(full)
            with open(info_path, 'w', encoding='utf-8') as f:
                json.dump(build_info, f, indent=1)
            open(progress_path, 'w').close()
        self._progress = open(progress_path, 'a', encoding='utf-8')
        try:
            self.env = lmdb.open(self.tmp, map_size=int(map_size),
                                 subdir=True, readonly=False, meminit=False)
        except BaseException:
            self._progress.close()
            self._lock_file.close()
            raise
        self._batch = []
        self._batch_bytes = 0
        self._batch_shapes = []
        self._last_commit = time.monotonic()

    def _lock(self):
        path = osp.join(self.tmp, 'build.lock')
        handle = open(path, 'a')
        try:
            import fcntl
        except ImportError:  # not POSIX: no protection against two runs
            return handle
        try:
            # a POSIX record lock: released when this process dies, and not
            # inherited by the worker processes it forks (flock would be)
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise RuntimeError(
                f'{self.tmp} is being written by another running build of '
                f'{self.output}; wait for it or stop it first') from None
        return handle

    @staticmethod
    def _read_progress(path):
        done = {}
        with open(path, encoding='utf-8') as f:
            for line in f:
                if not line.endswith('\n'):  # torn by a crash: redo it
                    break
                name, _, rest = line.strip().partition(' ')
                try:
                    shape = tuple(int(v) for v in
                                  rest[1:rest.index(')')].split(','))
                except ValueError:
                    break
                done[name[:-len('.png')]] = shape
        return done

    @property
    def count(self):
        return len(self.done) + len(self._batch)

    def add(self, key, value, shape):
        """Queue an entry; the caller commits once :attr:`full`."""
        self._batch.append((key.encode('utf-8'), value))
        self._batch_shapes.append((key, tuple(shape)))
        self._batch_bytes += len(value)

    @property
    def full(self):
        return (len(self._batch) >= _COMMIT_EVERY or
                self._batch_bytes >= _COMMIT_BYTES or
                time.monotonic() - self._last_commit >= _COMMIT_SECONDS)

    def drop(self, keys):
        """Delete committed entries (sources gone since an interrupted run)."""
        keys = [key for key in keys if key in self.done]
        if not keys:
            return
        with self.env.begin(write=True) as txn:
            for key in keys:
                txn.delete(key.encode('utf-8'))
        for key in keys:
            del self.done[key]
        self._progress.close()
        self._rewrite_progress()
        self._progress = open(osp.join(self.tmp, 'progress.txt'), 'a',
                              encoding='utf-8')

    def _rewrite_progress(self):
        """Write progress.txt afresh from ``self.done`` (while closed)."""
        path = osp.join(self.tmp, 'progress.txt')
        with open(path + '.new', 'w', encoding='utf-8') as f:
            for key, shape in self.done.items():
                f.write(self._meta_line(key, shape))
        os.replace(path + '.new', path)

    def write(self):
        """Write the pending batch, doubling the map size until it fits."""
        if not self._batch:
            return
        lmdb = self._lmdb
        while True:
            txn = self.env.begin(write=True)
            try:
                for key, value in self._batch:
                    txn.put(key, value)
                txn.commit()
                break
            except lmdb.MapFullError:
                try:
                    txn.abort()
                except lmdb.Error:
                    pass
                self.env.set_mapsize(self.env.info()['map_size'] * 2)
            except BaseException:
                try:
                    txn.abort()
                except lmdb.Error:
                    pass
                raise

    def record(self):
        """Log the written batch as done (after :meth:`write` committed)."""
        for key, shape in self._batch_shapes:
            self.done[key] = shape
            self._progress.write(self._meta_line(key, shape))
        self._progress.flush()
        os.fsync(self._progress.fileno())
        self._batch, self._batch_shapes, self._batch_bytes = [], [], 0
        self._last_commit = time.monotonic()

    def commit(self):
        self.write()
        self.record()

    def _meta_line(self, key, shape):
        return self.value_format.meta_line(key, shape)

    def close(self):
        """Release the files, keeping the folder to resume from."""
        if self.env is not None:
            self.env.close()
            self.env = None
        if not self._progress.closed:
            self._progress.close()
        if not self._lock_file.closed:
            self._lock_file.close()

    def discard(self):
        """Remove everything written: the temporary folder goes."""
        self.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def check_destination(self):
        if osp.lexists(self.output) and not self.overwrite:
            raise FileExistsError(
                f'{self.output} appeared while building; the new LMDB stays '
                f'in {self.tmp}')

    def finish(self):
        """Write meta_info.txt and move the LMDB to its final path."""
        self.commit()
        self.env.sync(True)
        with open(osp.join(self.tmp, 'meta_info.txt'), 'w',
                  encoding='utf-8') as f:
            for key in sorted(self.done):
                f.write(self._meta_line(key, self.done[key]))
        self.close()
        for name in ('build_info.json', 'progress.txt', 'build.lock'):
            os.remove(osp.join(self.tmp, name))
        old = None
        if osp.lexists(self.output):  # overwrite=True, checked before
            old = f'{self.output}.old-{os.getpid()}'
            os.rename(self.output, old)
        os.rename(self.tmp, self.output)
        if old is not None:
            if osp.isdir(old) and not osp.islink(old):
                shutil.rmtree(old)
            else:
                os.remove(old)


def _initial_map_size(paths, map_size):
    if map_size is not None:
        return int(map_size)
    # PNG of a decoded JPEG is several times the JPEG; the map grows anyway.
    total = sum(osp.getsize(p) for p in paths)
    return max(64 << 20, 4 * total)


def create_lmdb(input_dir, output, *, workers=None, compress_level=1,
                codec='png', overwrite=False, on_error='stop', resume=True,
                map_size=None, progress=True):
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
            start afresh (False). A leftover of another build (other input or
            settings) is always cleared.
        map_size (int | None): initial LMDB map size in bytes (default from
            the source sizes); doubled whenever it is full.
        progress (bool): show a tqdm progress bar.

    Returns:
        BuildResult
    """
    _check_on_error(on_error)
    value_format = _ValueFormat.checked(codec, compress_level)
    workers = _default_workers() if workers is None else int(workers)
    output = _check_output(output, overwrite)
    sources = _scan_images(input_dir)
    _check_keys(sources, input_dir)
    build_info = dict(kind='single', input=osp.abspath(input_dir),
                      **dataclasses.asdict(value_format))
    build = _LmdbBuild(output, build_info, value_format,
                       _initial_map_size(sources.values(), map_size),
                       overwrite, resume)
    skipped = []
    job = partial(_encode_one, value_format=value_format)
    try:
        build.drop([key for key in build.done if key not in sources])
        resumed = len(build.done)
        todo = [key for key in sources if key not in build.done]
        results = _run_ordered(job, [sources[k] for k in todo], workers,
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
                continue
            build.add(key, *value)
            if build.full:
                build.commit()
        build.commit()
        if build.count == 0:
            build.discard()
            raise ImageReadError(f'{input_dir}: none of the {len(sources)} '
                                 'images could be read:' +
                                 _listing(f'{p}: {r}' for p, r in skipped))
        build.check_destination()
        build.finish()
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
        from PIL import Image
        with Image.open(path) as im:
            width, height = im.size
        return (height, width), None
    except Exception:  # noqa: BLE001 - any PIL failure: decode with OpenCV
        pass
    try:
        return imread(path).shape[:2], None
    except ImageReadError as err:
        return None, str(err)


def create_paired_lmdb(gt_dir, lq_dir, gt_output, lq_output, scale, *,
                       lq_suffix='', workers=None, compress_level=1,
                       codec='png', overwrite=False, on_error='stop',
                       resume=True, map_size=None, progress=True):
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
    _check_on_error(on_error)
    scale = int(scale)
    if scale < 1:
        raise ValueError(f'scale must be a positive integer, got {scale}')
    value_format = _ValueFormat.checked(codec, compress_level)
    workers = _default_workers() if workers is None else int(workers)
    gt_output = _check_output(gt_output, overwrite)
    lq_output = _check_output(lq_output, overwrite)
    if gt_output == lq_output:
        raise ValueError(f'GT and LQ outputs are the same path {gt_output}')
    gt_sources = _scan_images(gt_dir)
    _check_keys(gt_sources, gt_dir)
    lq_sources = _lq_key_map(_scan_images(lq_dir), lq_suffix, lq_dir)

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
            _listing(gt_only + lq_only))

    keys = list(gt_sources)
    skipped = []
    unreadable = set()
    paths = [p for key in keys for p in (gt_sources[key], lq_sources[key])]
    sizes = list(_run_ordered(_image_hw, paths, workers, 'check sizes',
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
                         _listing(mismatches))
    keys = [key for key in keys if key not in unreadable]

    common = dict(input=osp.abspath(gt_dir), lq_input=osp.abspath(lq_dir),
                  lq_suffix=lq_suffix, scale=scale,
                  **dataclasses.asdict(value_format))
    builds = []
    try:
        for role, output, sources in (('gt', gt_output, gt_sources),
                                      ('lq', lq_output, lq_sources)):
            builds.append(_LmdbBuild(
                output, dict(common, kind='paired', role=role),
                value_format,
                _initial_map_size([sources[k] for k in keys], map_size),
                overwrite, resume))
        gt_build, lq_build = builds
        # entries of vanished sources go; entries only one side committed
        # are written again
        wanted = set(keys)
        done = set(gt_build.done) & set(lq_build.done) & wanted
        for build in builds:
            build.drop([key for key in build.done if key not in wanted])
        todo = [key for key in keys if key not in done]
        job = partial(_encode_pair, scale=scale, value_format=value_format)
        results = _run_ordered(
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
                continue
            gt_build.add(key, *value[0])
            lq_build.add(key, *value[1])
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
            raise ImageReadError('no pair could be read:' + _listing(
                f'{p}: {r}' for p, r in skipped))
        for build in builds:
            build.check_destination()
        for build in builds:
            build.finish()
    finally:
        for build in builds:
            build.close()
    return BuildResult(gt_output, len(gt_build.done), skipped,
                       resumed=len(done), lq_path=lq_output)


# --------------------------------------------------------------------------
# sub-images
# --------------------------------------------------------------------------
def crop_positions(length, crop_size, step, thresh_size=0):
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


def extract_subimages(input_dir, output_dir, *, crop_size=480, step=240,
                      thresh_size=0, scale=1, lq_suffix='', workers=None,
                      overwrite=False, on_error='stop', progress=True):
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
    _check_on_error(on_error)
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
    workers = _default_workers() if workers is None else int(workers)
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
    sources = _scan_images(input_dir)
    jobs, names = [], {}
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
    results = _run_ordered(job, jobs, workers,
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


# --------------------------------------------------------------------------
# inspection
# --------------------------------------------------------------------------
@dataclasses.dataclass
class LmdbReport:
    """What :func:`inspect_lmdb` found; ``ok`` is False on any problem.

    Attributes:
        path: the LMDB.
        num_keys: keys listed in ``meta_info.txt`` (or in the database when
            that file is missing).
        num_entries: entries in ``data.mdb``.
        checked: entries decoded (all, or a sample).
        problems: structural problems, one sentence each.
        missing: keys listed in meta_info.txt but absent from the database.
        unlisted: database keys that meta_info.txt does not list.
        corrupt: ``(key, reason)`` of entries that do not decode.
        shape_mismatches: ``(key, meta_info shape, decoded shape)``.
        lq: the report of the LQ LMDB of a pair, or None; then
        scale: the scale checked (given or inferred);
        gt_only / lq_only: keys without a partner;
        scale_mismatches: ``(key, GT shape, LQ shape)``.
    """
    path: str
    num_keys: int = 0
    num_entries: int = 0
    checked: int = 0
    problems: list = dataclasses.field(default_factory=list)
    missing: list = dataclasses.field(default_factory=list)
    unlisted: list = dataclasses.field(default_factory=list)
    corrupt: list = dataclasses.field(default_factory=list)
    shape_mismatches: list = dataclasses.field(default_factory=list)
    lq: 'LmdbReport' = None
    scale: int = None
    gt_only: list = dataclasses.field(default_factory=list)
    lq_only: list = dataclasses.field(default_factory=list)
    scale_mismatches: list = dataclasses.field(default_factory=list)

    @property
    def ok(self):
        own = not (self.problems or self.missing or self.unlisted or
                   self.corrupt or self.shape_mismatches or self.gt_only or
                   self.lq_only or self.scale_mismatches)
        return own and (self.lq is None or self.lq.ok)

    @property
    def corrupt_keys(self):
        keys = [key for key, _ in self.corrupt]
        if self.lq is not None:
            keys += [key for key, _ in self.lq.corrupt]
        return keys

    def summary(self):
        """A human-readable multi-line report."""
        lines = []
        for report in (self, self.lq):
            if report is None:
                continue
            lines.append(f'{report.path}: {report.num_keys} keys in '
                         f'meta_info.txt, {report.num_entries} entries, '
                         f'{report.checked} decoded')
            lines += [f'  problem: {p}' for p in report.problems]
            for title, items in (
                    ('listed but absent', report.missing),
                    ('in the database but not listed', report.unlisted),
                    ('corrupt', [f'{k}: {r}' for k, r in report.corrupt]),
                    ('shape differs from meta_info.txt',
                     [f'{k}: {m} vs decoded {d}'
                      for k, m, d in report.shape_mismatches])):
                if items:
                    lines.append(f'  {len(items)} {title}:' +
                                 _listing(items).replace('\n', '\n  '))
        if self.lq is not None:
            lines.append(f'pair: scale x{self.scale}, '
                         f'{len(self.gt_only)} GT-only keys, '
                         f'{len(self.lq_only)} LQ-only keys, '
                         f'{len(self.scale_mismatches)} scale mismatches')
            for title, items in (
                    ('GT keys without LQ', self.gt_only),
                    ('LQ keys without GT', self.lq_only),
                    (f'pairs not x{self.scale}',
                     [f'{k}: GT {g} vs LQ {q}'
                      for k, g, q in self.scale_mismatches])):
                if items:
                    lines.append(f'  {len(items)} {title}:' +
                                 _listing(items).replace('\n', '\n  '))
        lines.append('OK' if self.ok else 'PROBLEMS FOUND')
        return '\n'.join(lines)


def _decode_chunk(job):
    """Worker: ``[(key, shape or None, reason or None), ...]``."""
    path, keys = job
    out = []
    with open_lmdb_readonly(path).begin(write=False) as txn:
        for key in keys:
            value = txn.get(key.encode('utf-8'))
            if value is None:
                out.append((key, None, 'absent from the database'))
                continue
            try:
                out.append((key, imfrombytes(bytes(value),
                                             f'{path}[{key}]').shape, None))
            except ImageReadError as err:
                out.append((key, None, str(err)))
    return out


def _inspect_one(path, sample_keys, workers, progress):
    """Report on one LMDB; decodes ``sample_keys`` (None: every key)."""
    path = str(path)
    if osp.isfile(path):
        raise NotADirectoryError(f'{path} is a file; an LMDB is a folder '
                                 'holding data.mdb (pass the folder)')
    if not osp.isfile(osp.join(path, 'data.mdb')):
        raise FileNotFoundError(f'{path}: not an LMDB (no data.mdb)')
    report = LmdbReport(path)
    env = open_lmdb_readonly(path)
    report.num_entries = env.stat()['entries']
    with env.begin(write=False) as txn:
        db_keys = [k.decode('utf-8', 'replace') for k in
                   txn.cursor().iternext(keys=True, values=False)]
    try:
        meta = dict(read_meta_info(path))
    except (FileNotFoundError, ValueError) as err:
        report.problems.append(str(err))
        meta = {key: None for key in db_keys}
    report.num_keys = len(meta)
    db_set = set(db_keys)
    report.missing = [key for key in meta if key not in db_set]
    report.unlisted = sorted(db_set.difference(meta))
    decoded = {}
    keys = [k for k in (meta if sample_keys is None else sample_keys)
            if k in db_set]
    chunks = [(path, keys[i:i + 64]) for i in range(0, len(keys), 64)]
    for chunk in _run_ordered(_decode_chunk, chunks, workers,
                              f'check {osp.basename(path.rstrip("/"))}',
                              progress, unit='chunk'):
        for key, shape, reason in chunk:
            report.checked += 1
            if reason is not None:
                report.corrupt.append((key, reason))
                continue
            decoded[key] = shape
            if meta.get(key) is not None and tuple(meta[key]) != shape:
                report.shape_mismatches.append((key, tuple(meta[key]), shape))
    return report, meta, decoded


def inspect_lmdb(path, lq_path=None, scale=None, sample=None, *, seed=0,
                 workers=None, progress=False):
    """Check an LMDB (or a GT/LQ pair of LMDBs) without raising on bad data.

    Counts keys and entries, compares ``meta_info.txt`` with the database,
    decodes every entry (or ``sample`` random ones, chosen with ``seed``) and
    lists those that do not decode or whose shape differs from
    ``meta_info.txt``. With ``lq_path`` it also checks that both LMDBs have
    the same keys and that every GT shape is ``scale`` times its LQ shape,
    from meta_info.txt for all keys and from the decoded shapes of the
    decoded ones; ``scale=None`` infers it from the first pair.

    Raises only when ``path`` (or ``lq_path``) is not an LMDB at all.

    Returns:
        LmdbReport: ``report.ok``, ``report.corrupt_keys``,
        ``print(report.summary())``.
    """
    workers = 1 if workers is None else int(workers)
    sample_keys = None
    if sample is not None:
        try:
            all_keys = [key for key, _ in read_meta_info(str(path))]
        except (FileNotFoundError, ValueError):
            all_keys = None  # reported by _inspect_one; then decode all
        if all_keys is not None and int(sample) < len(all_keys):
            sample_keys = sorted(random.Random(seed).sample(all_keys,
                                                            int(sample)))
    report, meta, decoded = _inspect_one(path, sample_keys, workers, progress)
    if lq_path is None:
        return report
    lq_report, lq_meta, lq_decoded = _inspect_one(lq_path, sample_keys,
                                                  workers, progress)
    report.lq = lq_report
    report.gt_only = [key for key in meta if key not in lq_meta]
    report.lq_only = [key for key in lq_meta if key not in meta]
    if scale is None:
        for key, shape in meta.items():
            lq_shape = lq_meta.get(key) or lq_decoded.get(key)
            shape = shape or decoded.get(key)
            if shape and lq_shape and lq_shape[0]:
                scale = max(1, round(shape[0] / lq_shape[0]))
                break
    report.scale = scale
    if scale is None:
        report.problems.append('cannot infer the scale: no pair with known '
                               'shapes')
        return report
    for key in meta:
        if key not in lq_meta:
            continue
        for gt_shape, lq_shape in ((meta[key], lq_meta[key]),
                                   (decoded.get(key), lq_decoded.get(key))):
            if gt_shape is None or lq_shape is None:
                continue
            if (gt_shape[0] != lq_shape[0] * scale or
                    gt_shape[1] != lq_shape[1] * scale):
                report.scale_mismatches.append(
                    (key, tuple(gt_shape), tuple(lq_shape)))
                break
    return report
