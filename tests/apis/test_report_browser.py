"""srt report in a real browser: headless Chromium (Debian's ``chromium``)
driven by Playwright's Python package, the page opened from ``file://``.

Without Chromium these tests skip with one line naming the install command;
under CI (``CI=true``) they fail instead, so CI never passes by skipping.
"""
import os
import os.path as osp
import re
import shutil

import cv2
import numpy as np
import pytest

from report_runs import build, tiny_runs

from srtoolbox.apis.report import load_run

INSTALL = ('apt-get install chromium && pip install playwright (the '
           "tests extra: pip install -e '.[tests]')")


def _chromium():
    for name in ('chromium', 'chromium-browser'):
        path = shutil.which(name)
        if path:
            return path
    return None


def _need_browser():
    missing = []
    if _chromium() is None:
        missing.append('chromium')
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append('playwright')
    if missing:
        message = (f'browser tests need {" and ".join(missing)}: {INSTALL}')
        if os.environ.get('CI', '').lower() == 'true':
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope='module')
def report(tmp_path_factory):
    _need_browser()
    root, dirs = tiny_runs(tmp_path_factory)
    out = tmp_path_factory.mktemp('browser') / 'report'
    build(dirs, out, root)
    return root, dirs, out


@pytest.fixture(scope='module')
def browser(report):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=_chromium(),
            args=['--no-sandbox', '--force-color-profile=srgb'])
        yield instance
        instance.close()


@pytest.fixture
def page(browser, report):
    """The report opened from file://; ``page.errors`` collects console
    errors and uncaught exceptions, and must stay empty."""
    page = browser.new_page(viewport={'width': 1400, 'height': 1000},
                            device_scale_factor=1)
    page.errors = []
    page.on('console', lambda m: page.errors.append(m.text)
            if m.type == 'error' else None)
    page.on('pageerror', lambda e: page.errors.append(str(e)))
    page.goto('file://' + osp.join(str(report[2]), 'index.html'))
    page.wait_for_function('window.srtReport && srtReport.view().ready')
    yield page
    assert page.errors == []
    page.close()


def _shot(locator):
    """The pixels (RGB) of an element's content box, from a screenshot."""
    locator.scroll_into_view_if_needed()
    left, top, width, height = locator.evaluate(
        'e => { const r = e.getBoundingClientRect(); return [r.left + '
        'e.clientLeft, r.top + e.clientTop, e.clientWidth, e.clientHeight]; }')
    png = locator.page.screenshot(clip=dict(x=round(left), y=round(top),
                                            width=width, height=height))
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    return img[:, :, ::-1]


def test_the_page_loads_without_console_errors(page):
    assert page.title().startswith('srt report: tiny_a, tiny_b')
    assert page.locator('#problems').count() == 0
    ids = page.eval_on_selector_all('[id]', 'es => es.map(e => e.id)')
    assert len(ids) == len(set(ids))  # valid HTML: ids are unique
    # every section is there
    for section in ('runs', 'curves', 'images'):
        assert page.locator(f'section#{section}').is_visible()


def test_the_runs_table_sorts_by_a_clicked_column(page, report):
    psnr = {d.rsplit('/', 1)[-1]: load_run(d).metrics['val']['PSNR']
            for d in report[1]}
    assert psnr['tiny_a'] != psnr['tiny_b']
    header = page.locator('#runs th', has_text='val PSNR')

    def order():
        return page.eval_on_selector_all(
            '#runs tbody tr', 'rows => rows.map(r => r.dataset.run)')
    header.click()
    assert order() == sorted(psnr, key=psnr.get)
    header.click()
    assert order() == sorted(psnr, key=psnr.get, reverse=True)
    # the provenance record is one click away
    record = page.locator('#runs pre.record').first
    assert record.is_hidden()
    page.locator('#runs button.prov').first.click()
    assert record.is_visible() and '"commit"' in record.inner_text()


def test_curves_hold_one_line_per_run_and_metric_and_hover_reads_values(
        page, report):
    runs = [load_run(d) for d in report[1]]
    names = set().union(*(r.scalars for r in runs))
    assert {'loss', 'lr', 'val/PSNR'} <= names
    for name in names:
        lines = page.eval_on_selector_all(
            f'figure.curve[data-metric="{name}"] polyline.series',
            'ls => ls.map(l => l.dataset.run)')
        assert sorted(lines) == sorted(r.name for r in runs
                                       if name in r.scalars), name
    chart = page.locator('figure.curve[data-metric="loss"] svg')
    box = chart.bounding_box()
    # the right end of the plot: the last iteration
    page.mouse.move(box['x'] + box['width'] - 14, box['y'] + 100)
    text = page.locator('figure.curve[data-metric="loss"] .readout')
    for run in runs:
        iteration, value = run.scalars['loss'][-1]
        shown = re.search(re.escape(run.name) + r' (\S+) \(iter (\d+)\)',
                          text.inner_text())
        assert shown, text.inner_text()
        assert int(shown.group(2)) == iteration
        assert float(shown.group(1)) == pytest.approx(value, rel=1e-4)


def test_dragging_the_slider_changes_the_pixels_shown(page, report):
    compare = page.locator('#compare')
    before = _shot(compare)
    slider = page.locator('#slider').bounding_box()
    y = slider['y'] + slider['height'] / 2
    page.mouse.move(slider['x'] + slider['width'] / 2, y)
    page.mouse.down()
    page.mouse.move(slider['x'] + slider['width'] / 4, y, steps=5)
    page.mouse.up()
    value = int(page.locator('#slider').input_value())
    assert 15 < value < 35
    after = _shot(compare)
    assert not np.array_equal(before, after)
    # left of the split: panel A (bicubic), right of it: panel B (tiny_b)
    item = page.evaluate('JSON.parse(document.getElementById("report-data")'
                         '.textContent).images[0]')
    files = [cv2.imread(osp.join(str(report[2]), f))[:, :, ::-1]
             for f in item['files']]
    split = round(after.shape[1] * value / 100)
    assert np.abs(after[:, :split].astype(int) - files[0][:, :split]).max() \
        <= 2
    assert np.abs(after[:, split + 1:].astype(int)
                  - files[2][:, split + 1:]).max() <= 2


def test_zooming_shows_the_same_crop_in_every_panel(page, report):
    panels = page.locator('#panels canvas')
    panels.nth(0).scroll_into_view_if_needed()
    first = panels.nth(0).bounding_box()
    page.mouse.move(first['x'] + 40, first['y'] + 20)
    page.mouse.wheel(0, -100)
    page.mouse.wheel(0, -100)  # 1x -> 2x -> 4x around the mouse
    page.wait_for_function('srtReport.view().zoom === 4')
    page.mouse.down()  # pan
    page.mouse.move(first['x'] + 30, first['y'] + 30, steps=4)
    page.mouse.up()
    view = page.evaluate('srtReport.view()')
    assert view['zoom'] == 4 and (view['sx'], view['sy']) != (0, 0)
    item = page.evaluate('JSON.parse(document.getElementById("report-data")'
                         '.textContent).images[0]')
    size = view['w'] // view['zoom']
    for i, file in enumerate(item['files']):
        img = cv2.imread(osp.join(str(report[2]), file))[:, :, ::-1]
        crop = img[view['sy']:view['sy'] + size, view['sx']:view['sx'] + size]
        expected = np.kron(crop, np.ones((4, 4, 1), np.uint8))
        shown = _shot(panels.nth(i))
        assert shown.shape == expected.shape
        assert np.abs(shown.astype(int) - expected).max() <= 2, \
            item['panels'][i]


def test_the_page_works_from_python_http_server(browser, report):
    import socket
    import subprocess
    import sys
    import time
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, '-m', 'http.server', str(port), '--bind',
         '127.0.0.1', '-d', str(report[2])], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    page = browser.new_page()
    errors = []
    page.on('console', lambda m: errors.append(m.text)
            if m.type == 'error' else None)
    try:
        for _ in range(50):  # until the server listens
            try:
                socket.create_connection(('127.0.0.1', port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        page.goto(f'http://127.0.0.1:{port}/')
        page.wait_for_function('window.srtReport && srtReport.view().ready')
        assert page.locator('#panels canvas').count() == 4
        assert errors == []
    finally:
        page.close()
        server.terminate()
        server.wait()
