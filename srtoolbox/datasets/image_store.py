"""Where training and test images come from: a folder or an LMDB.

One interface for both storages so that a dataset switches by config:

    backend_args=None                      # files in a folder (recursive)
    backend_args=dict(backend='lmdb')      # ``root`` is an LMDB folder

Keys are paths relative to the root without extension (``0001``,
``sub/img.v2_s001``: dots in names are kept), as BasicSR writes them in the
LMDB's ``meta_info.txt`` (``name.png (h,w,c) compression`` per line), so LMDBs
made by BasicSR and by ``tools/create_lmdb.py`` read the same way.

LMDB environments are opened read-only, with ``lock=False`` and
``readahead=False``, and shared: one per LMDB per process (see
:func:`open_lmdb_readonly`), because py-lmdb refuses to open an environment
twice in one process, and fork-safe: a DataLoader worker never uses its
parent's handle. Every opening checks the file against its own page count,
so a truncated ``data.mdb`` is a :class:`DamagedLmdbError` naming it, never
a bus error.
"""
import os
import os.path as osp
import threading
from typing import Any, Dict, Optional

import lmdb

from ..utils.image_io import (IMG_EXTENSIONS, ImageReadError, imfrombytes,
                              read_file_bytes)

__all__ = ['ImageStore', 'build_image_store', 'read_meta_info',
           'CorruptEntryError', 'DamagedLmdbError', 'open_lmdb_readonly',
           'lmdb_size_problem']

# This process's read-only environments, keyed by the identity of data.mdb
# (an LMDB replaced by a new one at the same path gets a new environment).
_ENVS: Dict[Any, Any] = {}
_ENVS_PID = os.getpid()
_ENVS_LOCK = threading.Lock()


def _after_fork_in_child():
    global _ENVS_LOCK
    _ENVS_LOCK = threading.Lock()  # the parent's may have been held


if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class DamagedLmdbError(OSError):
    """``data.mdb`` is not a whole LMDB (truncated copy, full disk, ...)."""


def _rebuild_hint(root):
    return (f'rebuild it with tools/create_lmdb.py (--output {root} '
            '--overwrite) or copy it again from a complete source')


def lmdb_size_problem(env: Any, root: str) -> Any:
    """Why ``root/data.mdb`` is shorter than its pages, or None.

    LMDB maps the file into memory: reading a page past the end of a
    truncated file kills the process with SIGBUS (a DataLoader worker
    reported as "out of shared memory", a bare "Bus error" elsewhere). The
    meta pages at the start of the file say how far the pages go
    (``last_pgno``); reading them touches nothing else.
    """
    path = osp.join(root, 'data.mdb')
    need = (env.info()['last_pgno'] + 1) * env.stat()['psize']
    size = osp.getsize(path)
    if size >= need:
        return None
    return (f'{path} is damaged: it holds {size:,} bytes but its pages '
            f'reach {need:,} bytes (a truncated copy or download, or a full '
            'disk while writing); reading it would crash with a bus error. '
            f'Fix: {_rebuild_hint(root)}')


def _page_problem(env: Any, root: str) -> Optional[str]:
    """Why the B-tree pages of ``root/data.mdb`` cannot be walked, or None.

    Walking every key (not the values) reads only the branch and leaf
    pages: milliseconds for 100k entries. A page overwritten by garbage is
    found here, where the dataset is built, not as ``MDB_CORRUPTED`` in a
    DataLoader worker hours into training. (A damaged value is a
    :class:`CorruptEntryError` of its key when decoded.)
    """
    try:
        with env.begin(write=False) as txn:
            for _ in txn.cursor().iternext(keys=True, values=False):
                pass
    except lmdb.Error as err:
        return (f'{osp.join(root, "data.mdb")} is damaged: its pages are '
                f'corrupt ({err}); {_rebuild_hint(root)}')
    return None


def open_lmdb_readonly(root: str, **lmdb_kwargs: Any) -> Any:
    """This process's read-only ``lmdb.Environment`` for the LMDB ``root``.

    py-lmdb (>= 1.5) raises "already open in this process" when the same
    LMDB is opened twice, so every reader in a process (several stores on
    one LMDB, ``inspect_lmdb``) shares one environment; the ``lmdb_kwargs``
    of the first opening win. After a fork (DataLoader workers) the child
    closes its copies of the parent's environments and opens its own.

    Each opening checks that ``data.mdb`` holds all its pages and raises
    :class:`DamagedLmdbError` naming the file and the fix if not.
    """
    global _ENVS_PID
    data = osp.join(root, 'data.mdb')
    try:
        stat = os.stat(data)
    except OSError as err:
        raise FileNotFoundError(f'{root}: not an LMDB (no data.mdb)') \
            from err
    ident = (stat.st_dev, stat.st_ino)
    with _ENVS_LOCK:
        if _ENVS_PID != os.getpid():
            # forked: the inherited handles belong to the parent
            for env in _ENVS.values():
                try:
                    env.close()
                except lmdb.Error:
                    pass
            _ENVS.clear()
            _ENVS_PID = os.getpid()
        env = _ENVS.get(ident)
        if env is None:
            kwargs: Dict[str, Any] = dict(
                readonly=True, lock=False, readahead=False, meminit=False,
                max_readers=512)
            kwargs.update(lmdb_kwargs)
            if stat.st_size == 0:  # lmdb says only "Bad file descriptor"
                raise DamagedLmdbError(
                    f'{data} is damaged: it is empty (0 bytes: an '
                    'interrupted copy or a full disk); '
                    f'{_rebuild_hint(root)}')
            try:
                env = lmdb.open(str(root), **kwargs)
            except lmdb.Error as err:
                raise DamagedLmdbError(
                    f'{data} is damaged ({err}); {_rebuild_hint(root)}') \
                    from err
            problem = lmdb_size_problem(env, root) or _page_problem(env, root)
            if problem is not None:
                env.close()
                raise DamagedLmdbError(problem)
            _ENVS[ident] = env
        return env


class CorruptEntryError(ImageReadError):
    """An entry of a store exists but cannot be decoded."""


def read_meta_info(lmdb_path: str) -> Any:
    """Parse ``meta_info.txt`` of an LMDB: ``[(key, (h, w, c)), ...]``.

    Lines look like ``0001.png (480,480,3) 1`` (BasicSR; ``0001.raw
    (480,480,3) raw`` for srtoolbox's raw values) and the key is the name
    without its extension. Shapes are optional.
    """
    meta = osp.join(lmdb_path, 'meta_info.txt')
    if not osp.isfile(meta):
        raise FileNotFoundError(
            f'{lmdb_path}: missing meta_info.txt; srtoolbox and BasicSR list '
            'the keys of an LMDB there. Rebuild it with tools/create_lmdb.py '
            'or write one line per image: "name.png (h,w,c) compression"')
    entries = []
    with open(meta, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            name, _, rest = line.partition(' ')
            key = osp.splitext(name)[0] if osp.splitext(name)[1].lower() \
                in IMG_EXTENSIONS + ('.raw', ) else name
            shape = None
            if rest.startswith('('):
                try:
                    shape = tuple(int(v) for v in
                                  rest[1:rest.index(')')].split(','))
                except ValueError as err:
                    raise ValueError(f'{meta}:{lineno}: cannot parse shape '
                                     f'in {line!r}') from err
            entries.append((key, shape))
    if not entries:
        raise ValueError(f'{meta}: lists no image')
    return entries


class ImageStore:
    """Base class: ``keys()`` and ``get(key) -> RGB uint8 (H, W, 3)``."""

    def keys(self) -> Any:
        raise NotImplementedError

    def get_bytes(self, key: str) -> Any:
        raise NotImplementedError

    def describe(self, key: str) -> Any:
        """A human-readable location of ``key`` for error messages."""
        raise NotImplementedError

    def get(self, key: str) -> Any:
        return imfrombytes(self.get_bytes(key), self.describe(key))


class FolderStore(ImageStore):
    """Images in a folder, found recursively by extension."""

    def __init__(self, root: str) -> None:
        if not osp.isdir(root):
            raise FileNotFoundError(f'image folder {root} does not exist')
        self.root = root
        self._paths = None

    def _scan(self):
        if self._paths is None:
            paths = {}
            for dirpath, _, files in os.walk(self.root, followlinks=True):
                for name in files:
                    stem, ext = osp.splitext(name)
                    if ext.lower() not in IMG_EXTENSIONS or stem.startswith('.'):
                        continue
                    full = osp.join(dirpath, name)
                    key = osp.splitext(osp.relpath(full, self.root))[0]
                    key = key.replace(os.sep, '/')
                    if key in paths:
                        raise ValueError(
                            f'{self.root}: two images share the key {key!r}: '
                            f'{paths[key]} and {full}')
                    paths[key] = full
            if not paths:
                raise FileNotFoundError(
                    f'{self.root}: no images found (looked for '
                    f'{", ".join(IMG_EXTENSIONS)}, recursively)')
            self._paths = paths
        return self._paths

    def keys(self) -> Any:
        return sorted(self._scan())

    def paths(self) -> Any:
        """``{key: file path}`` of every image, in key order."""
        return {key: self._scan()[key] for key in self.keys()}

    def path(self, key: str) -> Any:
        try:
            return self._scan()[key]
        except KeyError:
            raise KeyError(f'{self.root}: no image with key {key!r}') from None

    def describe(self, key: str) -> Any:
        return self.path(key)

    def get_bytes(self, key: str) -> Any:
        return read_file_bytes(self.path(key))


class LmdbStore(ImageStore):
    """Images (PNG/JPEG or raw pixels) in an LMDB, keys in meta_info.txt."""

    def __init__(self, root: str, **lmdb_kwargs: Any) -> None:
        if osp.isfile(root):
            raise NotADirectoryError(
                f'{root} is a file; an LMDB is a folder holding data.mdb '
                '(pass the folder)')
        if not osp.isfile(osp.join(root, 'data.mdb')):
            raise FileNotFoundError(f'{root}: not an LMDB (no data.mdb)')
        self.root = root
        self.lmdb_kwargs = lmdb_kwargs
        self._meta = read_meta_info(root)
        # opened (and checked: DamagedLmdbError) now, where a dataset is
        # built, rather than first in a DataLoader worker
        self._env = open_lmdb_readonly(root, **lmdb_kwargs)
        self._pid = os.getpid()

    def __getstate__(self):  # never pickle an open environment
        state = self.__dict__.copy()
        state['_env'] = None
        state['_pid'] = None
        return state

    def _txn_env(self):
        if self._env is None or self._pid != os.getpid():
            self._env = open_lmdb_readonly(self.root, **self.lmdb_kwargs)
            self._pid = os.getpid()
        return self._env

    def keys(self) -> Any:
        return [key for key, _ in self._meta]

    def shapes(self) -> Any:
        return dict(self._meta)

    def describe(self, key: str) -> Any:
        return f'{self.root}[{key}]'

    def get_bytes(self, key: str) -> Any:
        try:
            with self._txn_env().begin(write=False) as txn:
                value = txn.get(key.encode('utf-8'))
                value = None if value is None else bytes(value)
        except lmdb.Error as err:  # damaged since it was opened
            raise DamagedLmdbError(
                f'{osp.join(self.root, "data.mdb")} is damaged (reading '
                f'{key!r}: {err}); {_rebuild_hint(self.root)}') from err
        if value is None:
            raise KeyError(f'{self.root}: no entry with key {key!r}')
        return bytes(value)

    def get(self, key: str) -> Any:
        try:
            return super().get(key)
        except ImageReadError as err:
            raise CorruptEntryError(str(err)) from err


def build_image_store(root: str, backend_args: Optional[Any] = None) -> Any:
    """``FolderStore`` or ``LmdbStore`` for ``root``.

    ``backend_args=None`` (the default) detects the storage: a folder
    holding ``data.mdb`` is an LMDB, anything else a folder of images. So a
    config switches between the two by one option, the folder's path
    (``--cfg-options train_dataloader.dataset.gt_folder=train_hr.lmdb``).
    ``dict(backend='lmdb', **lmdb_open_kwargs)`` or
    ``dict(backend='local')`` forces one.
    """
    args = dict(backend_args or {})
    backend = args.pop('backend', None)
    if backend is None:
        backend = 'lmdb' if osp.isfile(osp.join(root, 'data.mdb')) \
            else 'local'
    if backend in ('local', 'disk', 'folder'):
        if args:
            raise ValueError(f'backend_args {args} are not used by the '
                             'folder backend')
        return FolderStore(root)
    if backend == 'lmdb':
        args.pop('db_path', None)
        return LmdbStore(root, **args)
    raise ValueError(f"backend_args.backend must be 'local' or 'lmdb', got "
                     f'{backend!r}')
