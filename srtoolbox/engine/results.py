"""Per-image results of an evaluation, written as JSON and CSV."""
import csv
import io
import json
import math
import os.path as osp

import torch

from ..utils.fileio import atomic_path
from ..utils.module_utils import unwrap_model
from ..utils.provenance import provenance

__all__ = ['collect_per_image', 'write_results', 'atomic_write_text',
           'json_safe',
           'run_precision', 'run_provenance']


def collect_per_image(evaluator):
    """Rows ``{dataset, key, PSNR, SSIM, ...}`` from an evaluator's metrics
    (each keeps ``per_image`` after ``compute_metrics``)."""
    rows = {}
    for metric in evaluator.metrics:
        name = getattr(metric, 'metric_name', type(metric).__name__)
        for res in getattr(metric, 'per_image', []):
            row = rows.setdefault((res['dataset'], res['key']),
                                  dict(dataset=res['dataset'],
                                       key=res['key']))
            row[name] = res['value']
    return list(rows.values())


def atomic_write_text(text, path, overwrite=True):
    """Write ``text`` to ``path`` via a temporary file and ``os.replace``."""
    if not overwrite and osp.exists(path):
        raise FileExistsError(f'{path} exists; pass --overwrite to replace '
                              'it')
    with atomic_path(path) as tmp:
        with open(tmp, 'x', encoding='utf-8', newline='') as f:
            f.write(text)


def json_safe(obj):
    """``obj`` with every NaN/Inf float replaced by ``None`` (JSON
    ``null``); a dict that held one also gets ``non_finite``: ``{key:
    'inf' | '-inf' | 'nan'}``. PSNR of identical images is ``inf``, which
    ``json`` would write as ``Infinity``, not JSON that other readers
    accept."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    out, flags = {}, {}
    for key, value in obj.items():
        if isinstance(value, float) and not math.isfinite(value):
            flags[key] = str(value)
        out[key] = json_safe(value)
    if flags:
        out['non_finite'] = dict(out.get('non_finite') or {}, **flags)
    return out


def write_results(rows, summary, prefix, meta=None, overwrite=False):
    """Write ``PREFIX.json`` (summary, meta, per-image rows) and
    ``PREFIX.csv`` (one row per image). Returns both paths.

    The JSON is strict: an infinite PSNR (identical images) is ``null``
    with ``"non_finite": {"PSNR": "inf"}`` in its row and in the summary
    (:func:`json_safe`); the CSV keeps ``inf``."""
    json_path, csv_path = prefix + '.json', prefix + '.csv'
    for path in (json_path, csv_path):
        if not overwrite and osp.exists(path):
            raise FileExistsError(f'{path} exists; pass --overwrite to '
                                  'replace it')
    payload = json_safe(dict(summary=summary, meta=meta or {},
                             per_image=rows))
    atomic_write_text(json.dumps(payload, indent=2, allow_nan=False),
                      json_path)
    fields = []
    for row in rows:
        fields += [k for k in row if k not in fields]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(buf.getvalue(), csv_path)
    return json_path, csv_path


def run_precision(runner):
    """What a runner's training step computes in: 'fp32', 'bf16' or 'fp16'.

    Read from the optimizer wrappers after they have run (an
    ``AutocastOptimWrapper`` resolves ``dtype='auto'`` on its first step);
    plain wrappers compute in fp32. Validation and testing run the
    generator in fp32.
    """
    wrappers = getattr(runner, 'optim_wrapper', None)
    if wrappers is None or isinstance(wrappers, dict):
        return 'fp32'
    wrappers = list(wrappers.values()) if hasattr(wrappers, 'values') \
        else [wrappers]
    names = {torch.bfloat16: 'bf16', torch.float16: 'fp16'}
    found = {names.get(getattr(w, 'cast_dtype', None), 'fp32')
             for w in wrappers}
    return '+'.join(sorted(found))


def run_provenance(runner, checkpoint=None, started=None, precision=None):
    """:func:`srtoolbox.utils.provenance.provenance` of a runner's run."""
    cfg = runner.cfg
    try:
        device = next(unwrap_model(runner.model).parameters()).device
    except (StopIteration, AttributeError):
        device = None
    return provenance(config=cfg, config_path=cfg.filename or None,
                      checkpoint=checkpoint,
                      precision=precision or run_precision(runner),
                      device=device, started=started)
