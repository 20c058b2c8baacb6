"""Write one LMDB resumably: ``<output>.tmp-build`` until it is complete.

:class:`LmdbWriter` commits entries in batches (every ``_COMMIT_EVERY``
entries, ``_COMMIT_BYTES`` bytes or ``_COMMIT_SECONDS`` seconds: what an
interruption can lose), logs each committed entry in ``progress.txt`` so a
rerun of the same build goes on from there, and renames the folder to its
final path only once ``meta_info.txt`` is written: a leftover temporary
folder never passes for a finished LMDB.
"""
import json
import os
import os.path as osp
import shutil
import time
from typing import Any, Iterable

import lmdb

from ..image_store import lmdb_size_problem
from .sources import SOURCES_KEY, encode_sources_record

try:
    import fcntl
except ImportError:  # not POSIX: a build is not locked against a second run
    fcntl = None  # type: ignore[assignment]

__all__ = ['LmdbWriter', 'TMP_SUFFIX']

TMP_SUFFIX = '.tmp-build'  # an unfinished LMDB lives in '<output>.tmp-build'
_COMMIT_EVERY = 1000  # entries per write transaction
_COMMIT_BYTES = 256 << 20  # ... or this many bytes ...
_COMMIT_SECONDS = 60  # ... or after this long: what an interruption loses


def _progress_line(key, shape, source):
    return json.dumps([key, list(shape), source]) + '\n'


def _is_whole(folder):
    """Whether ``folder/data.mdb`` is an LMDB holding all its pages (a
    truncated leftover is started afresh rather than crash a resume)."""
    if not osp.isfile(osp.join(folder, 'data.mdb')):
        return False
    try:
        env = lmdb.open(folder, readonly=True, lock=False)
    except lmdb.Error:
        return False
    try:
        return lmdb_size_problem(env, folder) is None
    finally:
        env.close()


class LmdbWriter:
    """One LMDB being written into ``<output>.tmp-build``.

    The folder holds the LMDB files plus ``build_info.json`` (what is being
    built, to tell whether a leftover folder can be resumed), ``progress.txt``
    (one JSON line ``[key, shape, source]`` per entry committed so far,
    appended after every commit; ``source`` is the
    :func:`~.sources.source_stamp` the entry was encoded from) and
    ``build.lock`` (refuses a second concurrent run). Only :meth:`finish`
    renames it to ``output``, after writing ``meta_info.txt`` and the
    sources record (:mod:`.sources`) and removing the bookkeeping files, so
    a leftover temporary folder never passes for a finished LMDB.

    ``source_root`` is the folder the sources are relative to;
    ``lq_suffix`` goes into the sources record of an LQ LMDB.
    """

    def __init__(self, output: Any, build_info: Any, value_format: Any,
                 map_size: int, overwrite: Any, resume: Any, source_root: str,
                 lq_suffix: str = '') -> None:
        self.output = output
        self.tmp = output + TMP_SUFFIX
        self.overwrite = overwrite
        self.value_format = value_format
        self.source_root = source_root
        self.lq_suffix = lq_suffix
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
        self.done: dict = {}  # key -> shape of the entries already committed
        self.sources: dict = {}  # key -> source stamp of the same entries
        if (previous == build_info and osp.isfile(progress_path) and
                _is_whole(self.tmp)):
            self._read_progress(progress_path)
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
            self.env: Any = lmdb.open(
                self.tmp, map_size=int(map_size), subdir=True,
                readonly=False, meminit=False)
        except BaseException:
            self._progress.close()
            self._lock_file.close()
            raise
        self._batch: list = []
        self._batch_bytes = 0
        self._batch_info: list = []
        self._last_commit = time.monotonic()

    def _lock(self):
        path = osp.join(self.tmp, 'build.lock')
        handle = open(path, 'a')
        if fcntl is None:  # not POSIX: no protection against two runs
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

    def _read_progress(self, path):
        with open(path, encoding='utf-8') as f:
            for line in f:
                if not line.endswith('\n'):  # torn by a crash: redo it
                    break
                try:
                    key, shape, source = json.loads(line)
                except ValueError:
                    break
                self.done[key] = tuple(shape)
                self.sources[key] = source

    @property
    def count(self) -> Any:
        return len(self.done) + len(self._batch)

    def add(self, key: str, value: Any, shape: Any, source: Any) -> None:
        """Queue an entry encoded from ``source`` (its
        :func:`~.sources.source_stamp`); the caller commits once
        :attr:`full`."""
        self._batch.append((key.encode('utf-8'), value))
        self._batch_info.append((key, tuple(shape), source))
        self._batch_bytes += len(value)

    @property
    def full(self) -> Any:
        return (len(self._batch) >= _COMMIT_EVERY or
                self._batch_bytes >= _COMMIT_BYTES or
                time.monotonic() - self._last_commit >= _COMMIT_SECONDS)

    def drop(self, keys: Any) -> None:
        """Delete committed entries (sources changed or gone since an
        interrupted run)."""
        keys = [key for key in dict.fromkeys(keys) if key in self.done]
        if not keys:
            return
        with self.env.begin(write=True) as txn:
            for key in keys:
                txn.delete(key.encode('utf-8'))
        for key in keys:
            del self.done[key]
            del self.sources[key]
        self._progress.close()
        self._rewrite_progress()
        self._progress = open(osp.join(self.tmp, 'progress.txt'), 'a',
                              encoding='utf-8')

    def _rewrite_progress(self):
        """Write progress.txt afresh from ``self.done`` (while closed)."""
        path = osp.join(self.tmp, 'progress.txt')
        with open(path + '.new', 'w', encoding='utf-8') as f:
            for key, shape in self.done.items():
                f.write(_progress_line(key, shape, self.sources[key]))
        os.replace(path + '.new', path)

    def write(self) -> None:
        """Write the pending batch, doubling the map size until it fits."""
        if not self._batch:
            return
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

    def record(self) -> None:
        """Log the written batch as done (after :meth:`write` committed)."""
        for key, shape, source in self._batch_info:
            self.done[key] = shape
            self.sources[key] = source
            self._progress.write(_progress_line(key, shape, source))
        self._progress.flush()
        os.fsync(self._progress.fileno())
        self._batch, self._batch_info, self._batch_bytes = [], [], 0
        self._last_commit = time.monotonic()

    def commit(self) -> None:
        self.write()
        self.record()

    def _meta_line(self, key, shape):
        return self.value_format.meta_line(key, shape)

    def close(self) -> None:
        """Release the files, keeping the folder to resume from."""
        if self.env is not None:
            self.env.close()
            self.env = None
        if not self._progress.closed:
            self._progress.close()
        if not self._lock_file.closed:
            self._lock_file.close()

    def discard(self) -> None:
        """Remove everything written: the temporary folder goes."""
        self.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def check_destination(self) -> None:
        if osp.lexists(self.output) and not self.overwrite:
            raise FileExistsError(
                f'{self.output} appeared while building; the new LMDB stays '
                f'in {self.tmp}')

    def finish(self, skipped: Iterable[str] = ()) -> None:
        """Write meta_info.txt and the sources record (``skipped``: keys of
        unreadable sources left out) and move the LMDB to its final path."""
        self.commit()
        self._batch = [(SOURCES_KEY, encode_sources_record(
            self.source_root, self.sources, skipped, self.lq_suffix))]
        self.write()  # growing the map if need be
        self._batch = []
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
