"""Check an LMDB (or a GT/LQ pair of LMDBs): :func:`inspect_lmdb`.

Counts keys and entries, compares ``meta_info.txt`` with the database,
decodes the entries and checks the scale of a pair, collecting every problem
in an :class:`LmdbReport` instead of raising on the first.
"""
import dataclasses
import os.path as osp
import random
from typing import Any, Optional

from ...utils.image_io import ImageReadError, imfrombytes
from ..image_store import DamagedLmdbError, open_lmdb_readonly, read_meta_info
from ..parallel import listing, run_ordered
from .sources import SOURCES_KEY, read_sources_record, stale_entries

__all__ = ['inspect_lmdb', 'LmdbReport']


@dataclasses.dataclass
class LmdbReport:
    """What :func:`inspect_lmdb` found; ``ok`` is False on any problem.

    Attributes:
        path: the LMDB.
        num_keys: keys listed in ``meta_info.txt`` (or in the database when
            that file is missing).
        num_entries: entries in ``data.mdb`` (images: the record of the
            sources, :mod:`.sources`, is not counted).
        checked: entries decoded (all, or a sample).
        problems: structural problems, one sentence each.
        missing: keys listed in meta_info.txt but absent from the database.
        unlisted: database keys that meta_info.txt does not list.
        corrupt: ``(key, reason)`` of entries that do not decode.
        shape_mismatches: ``(key, meta_info shape, decoded shape)``.
        stale: with ``check_sources``, ``(key, reason)`` of entries out of
            date with their source files (changed, deleted) and of sources
            in no entry.
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
    stale: list = dataclasses.field(default_factory=list)
    lq: Optional['LmdbReport'] = None
    scale: Optional[int] = None
    gt_only: list = dataclasses.field(default_factory=list)
    lq_only: list = dataclasses.field(default_factory=list)
    scale_mismatches: list = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> Any:
        own = not (self.problems or self.missing or self.unlisted or
                   self.corrupt or self.shape_mismatches or self.stale or
                   self.gt_only or
                   self.lq_only or self.scale_mismatches)
        return own and (self.lq is None or self.lq.ok)

    @property
    def corrupt_keys(self) -> Any:
        keys = [key for key, _ in self.corrupt]
        if self.lq is not None:
            keys += [key for key, _ in self.lq.corrupt]
        return keys

    def summary(self) -> Any:
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
                      for k, m, d in report.shape_mismatches]),
                    ('out of date with the sources (rebuild to update)',
                     [f'{k}: {r}' for k, r in report.stale])):
                if items:
                    lines.append(f'  {len(items)} {title}:' +
                                 listing(items).replace('\n', '\n  '))
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
                                 listing(items).replace('\n', '\n  '))
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


def _inspect_one(path, sample_keys, workers, progress, check_sources):
    """Report on one LMDB; decodes ``sample_keys`` (None: every key)."""
    path = str(path)
    if osp.isfile(path):
        raise NotADirectoryError(f'{path} is a file; an LMDB is a folder '
                                 'holding data.mdb (pass the folder)')
    if not osp.isfile(osp.join(path, 'data.mdb')):
        raise FileNotFoundError(f'{path}: not an LMDB (no data.mdb)')
    report = LmdbReport(path)
    try:
        env = open_lmdb_readonly(path)
    except DamagedLmdbError as err:  # nothing in data.mdb is safe to read
        report.problems.append(str(err))
        try:
            meta = dict(read_meta_info(path))
        except (FileNotFoundError, ValueError):
            meta = {}
        report.num_keys = len(meta)
        return report, meta, {}
    with env.begin(write=False) as txn:
        db_keys = [k.decode('utf-8', 'replace') for k in
                   txn.cursor().iternext(keys=True, values=False)
                   if k != SOURCES_KEY]
        sources = read_sources_record(txn)
    report.num_entries = len(db_keys)
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
    for chunk in run_ordered(_decode_chunk, chunks, workers,
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
    if check_sources:
        if sources is None:
            report.problems.append(
                'no record of the source files (not made by '
                'tools/create_lmdb.py, or by a version before it kept '
                'one): cannot check the entries against their sources')
        else:
            report.stale = stale_entries(sources, list(meta))
    return report, meta, decoded


def inspect_lmdb(path: str, lq_path: Optional[Any] = None,
                 scale: Optional[Any] = None, sample: Optional[Any] = None, *,
                 seed: int = 0, workers: Optional[Any] = None,
                 progress: bool = False, check_sources: bool = False) -> Any:
    """Check an LMDB (or a GT/LQ pair of LMDBs) without raising on bad data.

    Counts keys and entries, compares ``meta_info.txt`` with the database,
    decodes every entry (or ``sample`` random ones, chosen with ``seed``) and
    lists those that do not decode or whose shape differs from
    ``meta_info.txt``. With ``lq_path`` it also checks that both LMDBs have
    the same keys and that every GT shape is ``scale`` times its LQ shape,
    from meta_info.txt for all keys and from the decoded shapes of the
    decoded ones; ``scale=None`` infers it from the first pair.

    ``check_sources=True`` also compares every entry with the source file
    it was packed from (size and modification time recorded by
    :func:`~.create.create_lmdb`): entries whose source changed or was
    deleted since, and images of the source folder in no entry, are listed
    in ``report.stale``.

    Raises only when ``path`` (or ``lq_path``) is not an LMDB at all; a
    damaged one (``data.mdb`` shorter than its pages) is a problem of the
    report, found before anything is read from it.

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
    report, meta, decoded = _inspect_one(path, sample_keys, workers, progress,
                                         check_sources)
    if lq_path is None:
        return report
    lq_report, lq_meta, lq_decoded = _inspect_one(
        lq_path, sample_keys, workers, progress, check_sources)
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
