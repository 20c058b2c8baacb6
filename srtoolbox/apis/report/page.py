"""The report's ``index.html``: tables and charts written here, the
behaviour (sorting, hover, slider, synchronized zoom) in
``assets/report.js``, both inlined so the page is one file beside its
images and opens from ``file://`` without a server."""
import html
import json
import os.path as osp
from typing import TYPE_CHECKING, Any, Dict, Mapping, Sequence, Tuple

from ...utils.provenance import describe_machine
from .charts import PALETTE, downsample, line_chart

if TYPE_CHECKING:
    from .images import ComparedImage
    from .runs import Run

__all__ = ['render_page', 'runs_table', 'curves_section', 'images_section',
           'METRIC_ORDER']

METRIC_ORDER = ('PSNR', 'SSIM', 'NIQE', 'LPIPS')
ASSETS = osp.join(osp.dirname(osp.abspath(__file__)), 'assets')


def _asset(name):
    with open(osp.join(ASSETS, name), encoding='utf-8') as f:
        return f.read()


def _e(text):
    return html.escape(str(text))


def _cell(text, sort=None, cls=''):
    sort = text if sort is None else sort
    attr = f' class="{cls}"' if cls else ''
    return f'<td data-sort="{_e(sort)}"{attr}>{_e(text)}</td>'


def _num(value, digits):
    if value is None or value != value:  # None or NaN
        return _cell('–', '')
    return _cell(f'{value:.{digits}f}', repr(float(value)), 'num')


def _table(table_id, headers, rows, caption=''):
    head = ''.join(f'<th data-col="{i}" title="sort">{_e(h)}</th>'
                   for i, h in enumerate(headers))
    cap = f'<caption>{_e(caption)}</caption>' if caption else ''
    return (f'<table id="{table_id}" class="sortable">{cap}<thead><tr>{head}'
            f'</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def runs_table(runs: Sequence['Run'],
               infos: Mapping[str, Dict[str, Any]]) -> str:
    """The runs table; ``infos`` is ``{run name: generator info}``."""
    columns = []  # (test set, metric) measured by any run
    for dataset in sorted({d for r in runs for d in r.metrics}):
        for metric in METRIC_ORDER:
            if any(metric in r.metrics.get(dataset, {}) for r in runs):
                columns.append((dataset, metric))
    headers = ['run', 'config', 'generator', 'params', 'GMACs',
               'iterations', 'wall time', 'precision', 'machine', 'commit']
    headers += [f'{d} {m}' for d, m in columns] + ['provenance']
    rows = []
    for i, run in enumerate(runs):
        prov, info = run.provenance or {}, infos.get(run.name) or {}
        config = (prov.get('config') or {})
        config = config.get('path') if isinstance(config, dict) else config
        machine = prov.get('machine') or {}
        if isinstance(machine, dict) and machine:
            machine = describe_machine(machine)
        git = prov.get('git') or {}
        commit = (git.get('commit') or '')[:10] + (
            ' (dirty)' if git.get('dirty') else '')
        wall = prov.get('wall_time_s')
        cells = [
            _cell(run.name, cls='name'),
            _cell(config or run.config_path or '–'),
            _cell(info.get('type', '–')),
            _cell(f'{info["params"]:,}' if 'params' in info else '–',
                  info.get('params', '')),
            _num(info['macs'] / 1e9 if 'macs' in info else None, 1),
            _cell(run.iterations if run.iterations is not None else '–',
                  run.iterations if run.iterations is not None else ''),
            _cell(f'{wall / 60:.1f} min' if wall else '–', wall or ''),
            _cell(prov.get('precision') or '–'),
            _cell(machine or '–'),
            _cell(commit or '–'),
        ]
        for dataset, metric in columns:
            value = run.metrics.get(dataset, {}).get(metric)
            cells.append(_num(value, 2 if metric == 'PSNR' else 4))
        record = json.dumps(prov, indent=2) if prov else \
            'no provenance record (written before result files carried one)'
        cells.append(f'<td><button class="prov" data-target="prov-{i}">'
                     f'provenance</button><pre id="prov-{i}" class="record" '
                     f'hidden>{_e(record)}</pre></td>')
        rows.append(f'<tr data-run="{_e(run.name)}">{"".join(cells)}</tr>')
    note = ('GMACs for one 320x180 LR input (x4: a 1280x720 output); '
            'metrics as logged by each run (Y channel, crop = scale for the '
            'demos). Click a header to sort.')
    return _table('runs-table', headers, rows, note)


def curves_section(runs: Sequence['Run'], colours: Mapping[str, str]) -> str:
    """One chart per logged scalar, every run that logged it overlaid."""
    names = []
    for run in runs:
        names += [k for k in run.scalars if k not in names]
    # the losses, then the validation metrics, then the rest (lr, ...)
    names.sort(key=lambda n: (0 if n.startswith('loss') else
                              1 if '/' in n else 2, n))
    charts = []
    for name in names:
        series = [(r.name, colours[r.name], downsample(r.scalars[name]))
                  for r in runs if r.scalars.get(name)]
        charts.append(f'<figure class="curve" data-metric="{_e(name)}">'
                      + line_chart(name, series, y_label=name) +
                      '<figcaption class="readout">&nbsp;</figcaption>'
                      '</figure>')
    if not charts:
        return '<p class="empty">No run has training logs.</p>'
    legend = ''.join(f'<span><span class="swatch" style="background:'
                     f'{colours[r.name]}"></span>{_e(r.name)}</span>'
                     for r in runs if r.scalars)
    return (f'<p class="legend">{legend} (hover a chart for its values; '
            'long logs are drawn as bucket means of at most 400 points)</p>'
            '<div class="charts">' + ''.join(charts) + '</div>')


def images_section(labels: Sequence[str],
                   images: Sequence['ComparedImage']) -> str:
    """The per-image metrics table (rows open the viewer) and the viewer."""
    if not images:
        return '<p class="empty">No images: no run could be run on the test ' \
            'images (see the problems above).</p>'
    scored = [label for label in labels if label != 'HR']
    headers = ['test set', 'image'] + [f'{label} {m}' for label in scored
                                       for m in ('PSNR', 'SSIM')]
    rows = []
    for i, item in enumerate(images):
        cells = [_cell(item.dataset), _cell(item.key, cls='name')]
        for label in scored:
            values = item.metrics.get(label, {})
            cells += [_num(values.get('PSNR'), 2),
                      _num(values.get('SSIM'), 4)]
        rows.append(f'<tr class="open-image" data-image="{i}">'
                    f'{"".join(cells)}</tr>')
    table = _table('images-table', headers, rows,
                   'PSNR / SSIM of the whole image (Y channel, crop = '
                   'scale); click a row to open it.')
    viewer = (
        '<div id="viewer" hidden><h3 id="viewer-title"></h3>'
        '<p class="hint">Wheel or +/− to zoom (nearest neighbour), drag to '
        'pan: every panel shows the same crop. <button id="zoom-in">+'
        '</button><button id="zoom-out">−</button><button id="zoom-reset">'
        '1:1</button> <span id="zoom-level"></span></p>'
        '<div id="panels"></div>'
        '<h4>Before / after</h4><p><select id="slider-a"></select> | '
        '<select id="slider-b"></select> <input id="slider" type="range" '
        'min="0" max="100" value="50"></p>'
        '<canvas id="compare" class="panel" width="384" height="384">'
        '</canvas></div>')
    return table + viewer


def render_page(title: str, problems: Sequence[str],
                sections: Sequence[Tuple[str, str, str]],
                data: Dict[str, Any]) -> str:
    """``index.html`` text. ``sections``: ``[(id, heading, html)]``;
    ``data`` goes to the script as JSON (the image viewer's records)."""
    nav = ''.join(f'<a href="#{sid}">{_e(head)}</a>'
                  for sid, head, _ in sections)
    body = ''.join(f'<section id="{sid}"><h2>{_e(head)}</h2>{content}'
                   '</section>' for sid, head, content in sections)
    issues = ''.join(f'<li>{_e(p)}</li>' for p in problems)
    issues = (f'<section id="problems"><h2>Problems</h2><ul>{issues}</ul>'
              '</section>') if problems else ''
    payload = json.dumps(data).replace('</', '<\\/')
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        # no favicon request (a 404 console error under http.server)
        '<link rel="icon" href="data:,">'
        f'<title>{_e(title)}</title><meta name="viewport" '
        'content="width=device-width">'
        f'<style>{_asset("report.css")}</style></head><body>'
        f'<header><h1>{_e(title)}</h1><nav>{nav}</nav></header>'
        f'{issues}{body}'
        f'<script id="report-data" type="application/json">{payload}'
        f'</script><script>{_asset("report.js")}</script></body></html>')


def colours_for(names: Sequence[str]) -> Dict[str, str]:
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}
