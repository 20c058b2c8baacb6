"""What each entry of an LMDB was packed from, to tell stale entries.

:func:`~.create.create_lmdb` records, for every entry, its source file
(relative to the input folder), size and modification time in ns
(:func:`source_stamp`), so that

* a rerun after an interruption encodes again the entries whose source
  changed and drops those whose source is gone;
* ``inspect_lmdb(..., check_sources=True)`` (``create_lmdb.py --verify``,
  ``inspect_lmdb.py --sources``) lists the entries out of date with their
  sources (:func:`stale_entries`).

The record is one JSON value in ``data.mdb`` under :data:`SOURCES_KEY`, a
key no image can have (keys hold no whitespace), so the LMDB keeps
BasicSR's three files; readers listing keys from ``meta_info.txt``
(``LmdbStore``, BasicSR) never see it. Size and time are what ``make`` and
``rsync`` trust: a rewrite keeping both the size and the nanosecond time
goes unseen.
"""
import json
import os
import os.path as osp
import time
from typing import Any, Iterable, Optional

from ..image_store import FolderStore

__all__ = ['SOURCES_KEY', 'file_stamp', 'source_stamp',
           'encode_sources_record', 'read_sources_record', 'stale_entries']

SOURCES_KEY = b'srtoolbox sources'


def file_stamp(path: str) -> Any:
    """``[size in bytes, mtime in ns]`` of a file.

    Taken before the file is read: a change while it is being encoded then
    shows as stale (safe), never as up to date.
    """
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns]


def source_stamp(path: str, root: str, stamp: Optional[Any] = None) -> Any:
    """``[path relative to root, size, mtime_ns]``: what the record keeps
    per entry (``stamp``: a :func:`file_stamp` taken earlier)."""
    rel = osp.relpath(path, root).replace(os.sep, '/')
    return [rel] + list(stamp if stamp is not None else file_stamp(path))


def encode_sources_record(root: str, sources: Any, skipped: Iterable[str] = (),
                          lq_suffix: str = '') -> Any:
    """The JSON bytes stored under :data:`SOURCES_KEY`.

    ``sources``: ``{key: source_stamp}``; ``skipped``: keys of sources left
    out as unreadable (not reported as missing from the LMDB later).
    """
    return json.dumps(dict(format=1, input=osp.abspath(root),
                           lq_suffix=lq_suffix, sources=sources,
                           skipped=sorted(skipped))).encode('utf-8')


def read_sources_record(txn: Any) -> Any:
    """The record of an LMDB (a dict), or None when it has none."""
    value = txn.get(SOURCES_KEY)
    if value is None:
        return None
    return json.loads(bytes(value).decode('utf-8'))


def _when(ns):
    return time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(ns / 1e9))


def stale_entries(record: Any, keys: Any) -> Any:
    """``[(key, reason), ...]`` of ``keys`` out of date with their sources,
    then sources of the input folder that are in no entry."""
    root = record['input']
    sources = record['sources']
    stale = []
    for key in keys:
        if key not in sources:
            stale.append((key, 'no source recorded for it'))
            continue
        rel, size, mtime_ns = sources[key]
        path = osp.join(root, rel)
        try:
            now_size, now_mtime_ns = file_stamp(path)
        except FileNotFoundError:
            stale.append((key, f'its source {path} was deleted'))
            continue
        if [now_size, now_mtime_ns] != [size, mtime_ns]:
            stale.append((key, f'its source {path} changed since it was '
                          f'packed ({size} -> {now_size} bytes, modified '
                          f'{_when(mtime_ns)} -> {_when(now_mtime_ns)})'))
    try:
        current = FolderStore(root).paths() if osp.isdir(root) else {}
    except (FileNotFoundError, ValueError):
        current = {}
    known = set(sources) | set(record.get('skipped', ()))
    suffix = record.get('lq_suffix', '')
    for key, path in current.items():
        if suffix and key.endswith(suffix):
            key = key[:-len(suffix)]
        if key not in known:
            stale.append((key, f'{path} is not in the LMDB'))
    return stale
