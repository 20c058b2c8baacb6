"""How fast a large ``srt report`` opens: N runs x M images in Chromium.

    python tools/benchmark_report.py [--runs 10] [--images 100] \
        [--out /tmp/report_bench] [--repeats 3]

Builds a report with the page code of ``srt report``
(:func:`srtoolbox.apis.report.write_page`) from N synthetic runs (a
10^5-iteration loss log at every 100th iteration and a validation curve
each, metrics on three test sets) and M real test photographs (the
datasets under ``--data-root``: Set5, Set14, BSD68, SunHays80), each
panel a 192x192 crop: bicubic, the N "runs" (the HR crop plus noise of a
different strength per run: what matters here is the number and size of
the files, not the network) and HR. Then opens ``index.html`` from
``file://`` in headless Chromium (the system's ``chromium``, driven by
Playwright) ``--repeats`` times and prints the time from navigation to the
load event and to the first image's panels being drawn. The issue's target
is under 3 s for 10 runs x 100 images (docs/report.md has the figures).
"""
import argparse
import os
import os.path as osp
import shutil
import statistics
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import numpy as np  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def fake_runs(count, rng):
    from srtoolbox.apis.report import Run
    runs = []
    for i in range(count):
        iters = np.arange(100, 100001, 100)
        loss = 0.05 * np.exp(-iters / (2e4 + 5e3 * i)) + 0.01 + \
            rng.normal(0, 0.002, iters.size)
        run = Run(name=f'run_{i:02d}', path=f'run_{i:02d}', kind='work_dir',
                  iterations=100000)
        run.scalars = {
            'loss': list(zip(iters.tolist(), loss.tolist())),
            'lr': [(int(t), 1e-4 * 0.5 ** (t // 25000)) for t in iters],
            'Set5/PSNR': [(int(t), 28 + 2 * (1 - np.exp(-t / 3e4)) + i / 20)
                          for t in iters[::50]]}
        run.metrics = {d: {'PSNR': 27 + i / 10, 'SSIM': 0.8 + i / 1000}
                       for d in ('Set5', 'Set14', 'BSD68')}
        runs.append(run)
    return runs


def fake_images(out, runs, count, data_root, rng, crop=192):
    from srtoolbox.apis.report.images import ComparedImage, write_panels
    from srtoolbox.utils import imread, imresize
    from srtoolbox.utils.image_io import list_images
    files = []
    for name in ('Set5', 'Set14', 'BSD68', 'SunHays80'):
        folder = osp.join(data_root, name)
        if osp.isdir(folder):
            files += [(name, f) for f in list_images(folder)]
    if len(files) < count:
        sys.exit(f'{data_root} holds {len(files)} images, {count} asked')
    labels = ['bicubic'] + [r.name for r in runs] + ['HR']
    compared = []
    for dataset, path in files[:count]:
        hr = imread(path)
        h, w = (s - s % 4 for s in hr.shape[:2])
        hr = hr[:h, :w]
        top, left = (h - min(h, crop)) // 2, (w - min(w, crop)) // 2
        box = (top, left, min(h, crop), min(w, crop))
        window = hr[top:top + box[2], left:left + box[3]]
        bicubic = imresize(imresize(window, 0.25), 4)
        panels = [bicubic] + [np.clip(window + rng.normal(
            0, 2 + i, window.shape), 0, 255).astype(np.uint8)
            for i in range(len(runs))] + [window]
        item = ComparedImage(dataset, osp.splitext(osp.basename(path))[0],
                             (0, 0, box[2], box[3]), (h, w), labels)
        item.metrics = {label: dict(PSNR=25.0 + i / 10, SSIM=0.7)
                        for i, label in enumerate(labels[:-1])}
        write_panels(item, panels, out)
        compared.append(item)
    return labels, compared


def open_times(index, repeats):
    from playwright.sync_api import sync_playwright
    chromium = shutil.which('chromium') or shutil.which('chromium-browser')
    if chromium is None:
        sys.exit('needs Chromium: apt-get install chromium')
    loads, ready = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium,
                                    args=['--no-sandbox'])
        for _ in range(repeats):
            page = browser.new_page(viewport={'width': 1400, 'height': 900})
            start = time.perf_counter()
            page.goto('file://' + osp.abspath(index), wait_until='load')
            loads.append(time.perf_counter() - start)
            page.wait_for_function('window.srtReport && '
                                   'srtReport.view().ready')
            ready.append(time.perf_counter() - start)
            page.close()
        browser.close()
    return loads, ready


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=10)
    parser.add_argument('--images', type=int, default=100)
    parser.add_argument('--out', default='/tmp/srt_report_benchmark')
    parser.add_argument('--data-root', default=osp.join(
        osp.dirname(REPO), 'shared', 'datasets'))
    parser.add_argument('--repeats', type=int, default=3)
    args = parser.parse_args(argv)
    from srtoolbox.apis.report import prepare_out, write_page
    prepare_out(args.out, overwrite=True)
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    runs = fake_runs(args.runs, rng)
    labels, compared = fake_images(args.out, runs, args.images,
                                   args.data_root, rng)
    index = write_page(args.out, runs, {}, [], labels, compared)
    size = sum(osp.getsize(osp.join(d, f)) for d, _, fs in os.walk(args.out)
               for f in fs)
    print(f'{args.runs} runs x {args.images} images: built in '
          f'{time.perf_counter() - start:.1f} s; index.html '
          f'{osp.getsize(index) / 1e6:.2f} MB, report {size / 1e6:.1f} MB')
    loads, ready = open_times(index, args.repeats)
    print('open from file:// in Chromium, median of '
          f'{args.repeats}: load event {statistics.median(loads):.2f} s, '
          f'first image drawn {statistics.median(ready):.2f} s '
          f'(all: {", ".join(f"{t:.2f}" for t in ready)})')


if __name__ == '__main__':
    main()
