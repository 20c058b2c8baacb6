"""Charts as inline SVG written from Python.

Why SVG from Python and no JavaScript charting library: the report must
open from ``file://`` with nothing fetched, and a vendored library (Plotly
is 3.5 MB, Chart.js 200 kB plus its licence) would be the largest file of
every report for what is a few polylines per chart. The SVG is in the page
when it loads (no drawing step, so the 3 s budget goes to the tables), it
prints and it is testable by counting elements. The page's small script
(``assets/report.js``) adds the hover read-out from the values each line
carries in ``data-values``.
"""
import html
import json
import math
from typing import List, Sequence, Tuple

__all__ = ['line_chart', 'scatter_chart', 'PALETTE', 'downsample']

# Okabe-Ito, distinguishable with colour-blindness; cycled
PALETTE = ('#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00',
           '#56B4E9', '#000000', '#F0E442')
W, H = 520, 260
LEFT, RIGHT, TOP, BOTTOM = 62, 12, 24, 34


def _ticks(lo, hi, count=5):
    if hi <= lo:
        return [lo]
    step = 10 ** math.floor(math.log10((hi - lo) / count))
    for mult in (1, 2, 5, 10):
        if (hi - lo) / (step * mult) <= count:
            step *= mult
            break
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step) + 1)]


def _fmt(value):
    if value == 0:
        return '0'
    if abs(value) >= 1e4 or abs(value) < 1e-3:
        return f'{value:.2g}'
    return f'{value:.4g}'


def downsample(points: Sequence[Tuple[float, float]],
               limit: int = 400) -> List[Tuple[float, float]]:
    """At most ``limit`` points: means of consecutive buckets (the last
    point kept as is), so a 10^6-iteration log stays a light line."""
    if len(points) <= limit:
        return list(points)
    size = math.ceil(len(points) / limit)
    out = []
    for i in range(0, len(points) - 1, size):
        chunk = points[i:i + size]
        out.append((chunk[-1][0], sum(p[1] for p in chunk) / len(chunk)))
    out.append(points[-1])
    return out


class _Axes:
    def __init__(self, xs, ys, log_x=False, size=(W, H)):
        self.W, self.H = size
        finite = [y for y in ys if math.isfinite(y)]
        self.log_x = log_x
        xs = [math.log10(x) for x in xs] if log_x else list(xs)
        self.x0, self.x1 = min(xs), max(xs)
        self.y0, self.y1 = (min(finite), max(finite)) if finite else (0, 1)
        if self.x1 == self.x0:
            self.x0, self.x1 = self.x0 - 1, self.x1 + 1
        pad = (self.y1 - self.y0) * 0.05 or abs(self.y0) * 0.05 or 1
        self.y0, self.y1 = self.y0 - pad, self.y1 + pad

    def x(self, value):
        value = math.log10(value) if self.log_x else value
        return LEFT + (value - self.x0) / (self.x1 - self.x0) * (
            self.W - LEFT - RIGHT)

    def y(self, value):
        return self.H - BOTTOM - (value - self.y0) / (self.y1 - self.y0) * (
            self.H - TOP - BOTTOM)

    def frame(self, title, x_label, y_label):
        width, height = self.W, self.H
        mid = (height - BOTTOM + TOP) / 2
        parts = [f'<rect x="{LEFT}" y="{TOP}" width="{width - LEFT - RIGHT}"'
                 f' height="{height - TOP - BOTTOM}" class="frame"/>',
                 f'<text x="{LEFT}" y="15" class="title">'
                 f'{html.escape(title)}</text>',
                 f'<text x="{(width + LEFT) / 2}" y="{height - 4}" '
                 f'class="axis" text-anchor="middle">'
                 f'{html.escape(x_label)}</text>',
                 f'<text x="12" y="{mid}" class="axis" text-anchor="middle" '
                 f'transform="rotate(-90 12 {mid})">{html.escape(y_label)}'
                 '</text>']
        ticks = _ticks(self.y0, self.y1)
        step = ticks[1] - ticks[0] if len(ticks) > 1 else 1
        digits = max(0, -math.floor(math.log10(step))) if step < 1 else 0
        for v in ticks:
            y = self.y(v)
            parts.append(f'<line x1="{LEFT}" x2="{width - RIGHT}" '
                         f'y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                         f'<text x="{LEFT - 4}" '
                         f'y="{y + 4:.1f}" class="tick" text-anchor="end">'
                         f'{v:.{digits}f}</text>')
        for v in _ticks(self.x0, self.x1):
            label = _fmt(10 ** v) if self.log_x else _fmt(v)
            x = LEFT + (v - self.x0) / (self.x1 - self.x0) * (
                width - LEFT - RIGHT)
            parts.append(f'<text x="{x:.1f}" y="{height - BOTTOM + 14}" '
                         f'class="tick" text-anchor="middle">{label}</text>')
        return parts


def line_chart(title: str,
               series: Sequence[Tuple[str, str, Sequence[Tuple[float,
                                                               float]]]],
               x_label: str = 'iteration', y_label: str = '') -> str:
    """An SVG of one line per ``(run, colour, [(x, y)])`` in ``series``.

    Each ``<polyline>`` carries ``data-run``, ``data-metric`` and its
    values (``data-values``, JSON ``[[x, y], ...]``) for the hover read-out.
    """
    xs = [p[0] for _, _, pts in series for p in pts]
    ys = [p[1] for _, _, pts in series for p in pts]
    axes = _Axes(xs, ys)
    parts = axes.frame(title, x_label, y_label)
    for run, colour, points in series:
        coords = ' '.join(f'{axes.x(x):.1f},{axes.y(y):.1f}'
                          for x, y in points if math.isfinite(y))
        values = html.escape(json.dumps([[x, round(y, 6)]
                                         for x, y in points]))
        parts.append(f'<polyline points="{coords}" stroke="{colour}" '
                     f'class="series" data-run="{html.escape(run)}" '
                     f'data-metric="{html.escape(title)}" '
                     f'data-values="{values}"/>')
        if len(points) == 1:  # a lone validation: a dot, not an empty line
            x, y = points[0]
            parts.append(f'<circle cx="{axes.x(x):.1f}" cy="{axes.y(y):.1f}"'
                         f' r="3" fill="{colour}"/>')
    parts.append(f'<line class="cursor" x1="0" x2="0" y1="{TOP}" '
                 f'y2="{H - BOTTOM}" visibility="hidden"/>')
    return (f'<svg class="chart" viewBox="0 0 {W} {H}" width="{W}" '
            f'height="{H}" data-left="{LEFT}" data-right="{W - RIGHT}" '
            f'data-x0="{axes.x0}" data-x1="{axes.x1}">' + ''.join(parts) +
            '</svg>')


def scatter_chart(title: str,
                  points: Sequence[Tuple[str, float, float, str, str]],
                  x_label: str, y_label: str, log_x: bool = True,
                  size: Tuple[int, int] = (720, 400)) -> str:
    """An SVG of labelled points ``(label, x, y, colour, shape)``, shape
    ``'circle'``, ``'square'`` or ``'triangle'``; each carries its values in
    a title."""
    axes = _Axes([p[1] for p in points], [p[2] for p in points],
                 log_x=log_x, size=size)
    width, height = size
    parts = axes.frame(title, x_label, y_label)
    for label, x, y, colour, shape in points:
        cx, cy = axes.x(x), axes.y(y)
        tip = html.escape(f'{label}: {y:.2f} dB, {_fmt(x)}')
        if shape == 'square':
            mark = (f'<rect x="{cx - 4:.1f}" y="{cy - 4:.1f}" width="8" '
                    f'height="8" fill="{colour}">')
        elif shape == 'triangle':
            mark = (f'<polygon points="{cx:.1f},{cy - 5:.1f} {cx - 5:.1f},'
                    f'{cy + 4:.1f} {cx + 5:.1f},{cy + 4:.1f}" '
                    f'fill="{colour}">')
        else:
            mark = f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" ' \
                f'fill="{colour}">'
        tag = {'square': 'rect', 'triangle': 'polygon'}.get(shape, 'circle')
        # labels right of their point, left of it near the right edge
        right = cx > LEFT + 0.6 * (width - LEFT - RIGHT)
        parts.append(f'<g class="point" data-label="{html.escape(label)}">'
                     + mark + f'<title>{tip}</title></{tag}>' +
                     f'<text x="{cx - 6 if right else cx + 6:.1f}" '
                     f'y="{cy - 5:.1f}" class="label" text-anchor='
                     f'"{"end" if right else "start"}">'
                     f'{html.escape(label)}</text></g>')
    return (f'<svg class="chart scatter" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}">' + ''.join(parts) +
            '</svg>')
