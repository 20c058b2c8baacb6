"""What a report compares: runs read from work dirs and result files.

A *work dir* of ``tools/train.py`` holds mmengine's scalar logs
(``<timestamp>/vis_data/scalars.json``, one per start, a resumed run has
several), the dumped config, ``last_checkpoint`` and, from srtoolbox's
hooks, ``summary.json`` / ``comparison.json`` with the run's provenance
record; ``tools/test.py`` may have left ``test_results.json`` in it. A
*result file* is the ``PREFIX.json`` of ``tools/test.py --out PREFIX``
(summary, meta, per-image rows).

:func:`load_run` never raises for a bad input: what it cannot read goes
into ``Run.problems`` (one line naming the file and what is wrong) so the
rest of the report is still built.
"""
import json
import os
import os.path as osp
import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple, Union

__all__ = ['Run', 'load_run', 'read_scalars', 'SKIPPED_SCALARS']

# logged per iteration but not curves worth comparing
SKIPPED_SCALARS = ('iter', 'step', 'epoch', 'time', 'data_time', 'memory')
_TIMESTAMP = re.compile(r'^\d{8}_\d{6}$')


@dataclass
class Run:
    """One column of the report (a training run or a tested checkpoint)."""
    name: str
    path: str
    kind: str = 'missing'  # 'work_dir', 'results' or 'missing'
    config_path: Optional[str] = None
    checkpoint: Optional[str] = None
    iterations: Optional[int] = None
    provenance: dict = field(default_factory=dict)
    # {test set: {metric: value}}
    metrics: Dict[str, Dict[str, float]] = field(default_factory=dict)
    # {(test set, image key): {metric: value}}
    per_image: Dict[Tuple[str, str], Dict[str, float]] = field(
        default_factory=dict)
    # {scalar name: [(iteration, value), ...]}
    scalars: Dict[str, List[Tuple[int, float]]] = field(default_factory=dict)
    problems: List[str] = field(default_factory=list)

    @property
    def test_sets(self) -> List[str]:
        return sorted(self.metrics)


def _read_json(path, problems):
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except (OSError, ValueError) as err:
        problems.append(f'{path}: not readable as JSON ({err})')
        return None


def read_scalars(
        path: str, problems: Optional[List[str]] = None
) -> Dict[str, List[Tuple[int, float]]]:
    """``{name: [(iteration, value)]}`` of one mmengine ``scalars.json``.

    Training lines carry ``iter``; validation lines do not (mmengine logs
    them with ``step`` 0 in iteration-based runs), so a validation metric
    is placed at the iteration of the training line before it, the
    iteration the validation ran after.
    """
    problems = [] if problems is None else problems
    curves: Dict[str, List[Tuple[int, float]]] = {}
    last_iter = 0
    try:
        with open(path, encoding='utf-8') as f:
            lines = f.readlines()
    except OSError as err:
        problems.append(f'{path}: not readable ({err})')
        return curves
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            problems.append(f'{path}:{number}: not a JSON line, skipped')
            continue
        if 'iter' in entry:
            last_iter = int(entry['iter'])
        elif entry.get('step'):
            last_iter = int(entry['step'])
        for key, value in entry.items():
            if key in SKIPPED_SCALARS or not isinstance(value, (int, float)):
                continue
            curves.setdefault(key, []).append((last_iter, float(value)))
    return curves


def _merge_scalars(files, problems):
    """The curves of every start of a run, a later start's points
    replacing an earlier one's from its first iteration on (a resume)."""
    merged = {}
    for path in files:
        for key, points in read_scalars(path, problems).items():
            if not points:
                continue
            first = points[0][0]
            kept = [p for p in merged.get(key, []) if p[0] < first]
            merged[key] = kept + points
    return merged


def _metrics_from_summary(summary):
    """``{set: {metric: value}}`` of summary.json (BicubicComparisonHook:
    ``model_psnr``...) or comparison.json (ReferenceComparisonHook: per
    method, the trained model last)."""
    out = {}
    for dataset, values in summary.items():
        if not isinstance(values, dict) or dataset == 'provenance':
            continue
        if any(k.startswith('model_') for k in values):
            out[dataset] = {k[6:].upper(): v for k, v in values.items()
                            if k.startswith('model_')}
            continue
        methods = [m for m in values if m != 'bicubic'
                   and isinstance(values[m], dict)]
        if methods:
            out[dataset] = {k.upper(): v
                            for k, v in values[methods[-1]].items()}
    return out


def _metrics_from_flat(summary):
    """``{set: {metric: value}}`` of ``{'Set5/PSNR': ...}``."""
    out = {}
    for key, value in (summary or {}).items():
        dataset, _, metric = key.rpartition('/')
        if dataset and isinstance(value, (int, float)):
            out.setdefault(dataset, {})[metric] = float(value)
    return out


def _fill(target, source):
    """Add the figures ``target`` lacks; a NaN (not measured, e.g. an
    image too small for NIQE) is no figure."""
    for dataset, values in source.items():
        for metric, value in values.items():
            if isinstance(value, (int, float)) and value == value:
                target.setdefault(dataset, {}).setdefault(metric, value)


def _record_path(value):
    return value.get('path') if isinstance(value, dict) else value


def _existing(path, *roots):
    """``path`` as given, or under one of ``roots`` (a relative path in a
    result file is relative to where the tool ran: usually the checkout)."""
    if not path:
        return None
    for root in ('', ) + roots:
        candidate = osp.join(root, path) if root else path
        if osp.exists(candidate):
            return candidate
    return None


def _read_results(run, path, roots):
    data = _read_json(path, run.problems)
    if not isinstance(data, dict) or 'summary' not in data:
        if data is not None:
            run.problems.append(f'{path}: not a tools/test.py result file '
                                '(no "summary" key)')
        return False
    _fill(run.metrics, _metrics_from_flat(data['summary']))
    for row in data.get('per_image') or []:
        if 'dataset' in row and 'key' in row:
            run.per_image[(row['dataset'], str(row['key']))] = {
                k: v for k, v in row.items()
                if k not in ('dataset', 'key') and isinstance(v, (int, float))}
    meta = data.get('meta') or {}
    if not run.provenance and meta:
        run.provenance = meta
    run.config_path = run.config_path or _existing(
        _record_path(meta.get('config')), *roots)
    run.checkpoint = run.checkpoint or _existing(
        _record_path(meta.get('checkpoint')), *roots)
    return True


def _read_work_dir(run, path, roots):
    starts = sorted(d for d in os.listdir(path) if _TIMESTAMP.match(d)
                    and osp.isdir(osp.join(path, d)))
    scalar_files = [osp.join(path, d, 'vis_data', 'scalars.json')
                    for d in starts]
    scalar_files = [f for f in scalar_files if osp.isfile(f)]
    run.scalars = _merge_scalars(scalar_files, run.problems)
    found = bool(scalar_files)
    for name in ('summary.json', 'comparison.json'):
        file = osp.join(path, name)
        if osp.isfile(file):
            data = _read_json(file, run.problems)
            if isinstance(data, dict):
                found = True
                _fill(run.metrics, _metrics_from_summary(data))
                run.provenance = run.provenance or data.get('provenance', {})
                run.iterations = run.iterations or data.get('iterations')
    tested = osp.join(path, 'test_results.json')
    if osp.isfile(tested):
        found = _read_results(run, tested, roots) or found
    # the last validation's figures where no summary holds them
    _fill(run.metrics, {d: {m: points[-1][1]} for d, m, points in (
        (*k.rsplit('/', 1), v) for k, v in run.scalars.items() if '/' in k)})
    last = osp.join(path, 'last_checkpoint')
    if osp.isfile(last):
        with open(last, encoding='utf-8') as f:
            named = f.read().strip()
        run.checkpoint = _existing(named, path, *roots) or _existing(
            osp.join(path, osp.basename(named)))
        if run.checkpoint is None:
            run.problems.append(f'{last} names {named}, which does not exist')
    configs = sorted(f for f in os.listdir(path) if f.endswith('.py'))
    if configs:  # mmengine dumps the merged config into the work dir
        run.config_path = osp.join(path, configs[0])
    elif starts and osp.isfile(osp.join(path, starts[-1], 'vis_data',
                                        'config.py')):
        run.config_path = osp.join(path, starts[-1], 'vis_data', 'config.py')
    if run.iterations is None:
        iters = [p[0] for pts in run.scalars.values() for p in pts]
        run.iterations = max(iters) if iters else None
    if not found:
        run.problems.append(
            f'{path}: no training logs (<timestamp>/vis_data/scalars.json), '
            'summary.json or test_results.json: is it a tools/train.py work '
            'dir?')
    return found


def load_run(path: Union[str, 'os.PathLike[str]'], name: Optional[str] = None,
             roots: Iterable[str] = ()) -> Run:
    """Read a work dir or a ``tools/test.py`` result file into a
    :class:`Run`; problems are recorded in ``Run.problems``, never raised.

    ``roots``: folders against which relative config/checkpoint paths of
    result files are resolved besides the current directory.
    """
    path = os.fspath(path)
    base = osp.basename(osp.normpath(path))
    run = Run(name=name or osp.splitext(base)[0], path=path)
    if osp.isdir(path):
        run.kind = 'work_dir'
        if not _read_work_dir(run, path, tuple(roots)):
            run.kind = 'empty'
    elif osp.isfile(path):
        run.kind = 'results'
        if not _read_results(run, path, tuple(roots)):
            run.kind = 'unreadable'
    else:
        run.problems.append(f'{path}: no such file or directory')
    if run.iterations is None and isinstance(
            run.provenance.get('iterations'), int):
        run.iterations = run.provenance['iterations']
    return run
