"""The report's zoo view: the model zoo's result files and the papers' rows.

PSNR against MACs and against parameters, one labelled point per figure:
circles for the papers' figures (their training budgets, on GPUs), squares
for the result files measured here (``model_zoo/results/*.json``, written
by ``tools/test.py``) and triangles for the runs of this report. Parameters
and MACs are counted from each entry's config
(:data:`srtoolbox.apis.model_zoo.ZOO`) on a network built on the meta
device: no weights are allocated or initialised, so the 16 entries take
seconds, not minutes.
"""
import html
import json
import os.path as osp
from typing import Any, Callable, Dict, List, Mapping, Sequence, Tuple

import torch

from ...engine.launch import load_config
from ...models.builder import build_generator
from ..flops import count_macs, count_params
from ..model_zoo import ZOO
from .charts import PALETTE, scatter_chart

__all__ = ['zoo_rows', 'zoo_section', 'meta_complexity']


def meta_complexity(gen_cfg: Mapping[str, Any],
                    shape: Sequence[int] = (1, 3, 180, 320)
                    ) -> Tuple[int, int]:
    """``(params, macs)`` of a generator config, built on the meta device
    (on the CPU where a network cannot be built there)."""
    try:
        with torch.device('meta'):
            net = build_generator(dict(gen_cfg))
    except (NotImplementedError, RuntimeError, TypeError, ValueError):
        net = build_generator(dict(gen_cfg))
    return count_params(net), count_macs(net, shape)


def zoo_rows(root: str = '.',
             log: Callable[[str], None] = print) -> List[Dict[str, Any]]:
    """Rows ``dict(entry, stats, result)`` as
    :func:`~srtoolbox.apis.model_zoo.build_zoo` returns them, without
    timing."""
    log('zoo: counting parameters and MACs of every zoo entry')
    rows = []
    for entry in ZOO:
        cfg = load_config(osp.join(root, entry.config), check=False)
        params, macs = meta_complexity(cfg.model.generator)
        result = None
        path = osp.join(root, entry.result) if entry.result else None
        if path and osp.isfile(path):
            with open(path, encoding='utf-8') as f:
                result = json.load(f)
        rows.append(dict(entry=entry, stats=dict(params=params, macs=macs),
                         result=result))
    return rows


def _points(rows, dataset, x_key, runs=()):
    points = []
    for name, info, metrics in runs:  # (name, generator info, metrics)
        value = metrics.get(dataset, {}).get('PSNR')
        if value is not None and x_key in info:
            x = info[x_key] / (1e9 if x_key == 'macs' else 1e6)
            points.append((f'{name} (this report)', x, value, PALETTE[2],
                           'triangle'))
    for row in rows:
        entry, stats, result = row['entry'], row['stats'], row['result']
        x = stats[x_key] / (1e9 if x_key == 'macs' else 1e6)
        paper = entry.paper.get('BSD100' if dataset == 'BSD68' else dataset)
        if paper and dataset != 'BSD68':
            points.append((f'{entry.name} (paper)', x, paper[0], PALETTE[0],
                           'circle'))
        value = ((result or {}).get('summary') or {}).get(f'{dataset}/PSNR')
        if value is not None:
            points.append((f'{entry.name} (here)', x, value, PALETTE[1],
                           'square'))
    return points


def zoo_section(
        rows: Sequence[Dict[str, Any]],
        datasets: Sequence[str] = ('Set5', 'Set14'),
        runs: Sequence[Tuple[str, Dict[str, Any],
                             Dict[str, Dict[str, float]]]] = ()
) -> str:
    """Charts (PSNR against GMACs and parameters per test set) and the
    table of paper and measured rows side by side; ``runs``: ``(name,
    generator info, metrics)`` of the report's runs, plotted too."""
    charts = []
    for dataset in datasets:
        for key, label in (('macs', 'GMACs for a 320x180 LR input (log)'),
                           ('params', 'parameters, millions (log)')):
            points = _points(rows, dataset, key, runs)
            if points:
                charts.append(
                    '<figure class="zoo-chart">' + scatter_chart(
                        f'{dataset} PSNR (Y, crop 4) against '
                        f'{"MACs" if key == "macs" else "parameters"}',
                        points, label, 'PSNR (dB)') + '</figure>')
    legend = ('<p class="legend"><span><span class="swatch" style="'
              f'background:{PALETTE[0]}"></span>paper (full training, '
              f'GPU)</span><span><span class="swatch" style="background:'
              f'{PALETTE[1]}"></span>measured here (model_zoo/results, demo '
              'budgets)</span>' + (
                  f'<span><span class="swatch" style="background:'
                  f'{PALETTE[2]}"></span>the runs of this report</span>'
                  if runs else '') + '</p>')
    head = ('<tr><th>model</th><th>config</th><th>params</th><th>GMACs</th>'
            + ''.join(f'<th>{d} paper</th><th>{d} here</th>'
                      for d in datasets) + '<th>paper source</th>'
            '<th>trained here</th></tr>')
    body = []
    for row in rows:
        entry, stats, result = row['entry'], row['stats'], row['result']
        summary = (result or {}).get('summary') or {}
        cells = [entry.name, entry.config, f'{stats["params"]:,}',
                 f'{stats["macs"] / 1e9:.1f}']
        for d in datasets:
            paper = entry.paper.get(d)
            cells.append(f'{paper[0]:.2f} / {paper[1]:.4f}' if paper
                         else '–')
            here = (summary.get(f'{d}/PSNR'), summary.get(f'{d}/SSIM'))
            cells.append(f'{here[0]:.2f} / {here[1]:.4f}'
                         if None not in here else '–')
        cells += [entry.paper_source or '–',
                  entry.budget or ('–' if not result else 'yes')]
        body.append('<tr>' + ''.join(f'<td>{html.escape(c)}</td>'
                                     for c in cells) + '</tr>')
    table = ('<table id="zoo-table" class="sortable"><thead>' + head +
             '</thead><tbody>' + ''.join(body) + '</tbody></table>')
    return (legend + '<div class="charts">' + ''.join(charts) + '</div>' +
            table)
