"""Compare runs by looking: ``python tools/report.py RUN ... --out report``.

Writes an offline HTML report (``OUT/index.html`` and its images; no
server, no network) from ``tools/train.py`` work dirs and ``tools/test.py``
result files: the runs table, the training curves, bicubic | each run | HR
for every test image with a before/after slider and synchronized zoom, and
the model zoo's figures beside the papers' with the runs among them
(``--zoo`` alone: the zoo only; ``--no-zoo``: without it). See
docs/report.md.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Offline HTML report of runs and models')
    parser.add_argument('inputs', nargs='*', metavar='RUN_OR_RESULT',
                        help='tools/train.py work dirs and tools/test.py '
                        'result files (.json)')
    parser.add_argument('--out', required=True, help='report folder')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an earlier report in --out')
    parser.add_argument('--zoo', action='store_true',
                        help='the model zoo alone when no run is given '
                        '(it is part of every report)')
    parser.add_argument('--no-zoo', action='store_true',
                        help='leave the model zoo part out')
    parser.add_argument('--no-images', action='store_true',
                        help='skip the image comparison (no inference)')
    parser.add_argument('--data-root', default=osp.join(REPO, 'data', 'demo'),
                        help='folder of the test sets (default: data/demo)')
    parser.add_argument('--test-sets', nargs='+', default=['Set5', 'Set14'],
                        metavar='NAME', help='HR folders under --data-root')
    parser.add_argument('--max-images', type=int, metavar='N',
                        help='at most N images per test set')
    parser.add_argument('--crop-size', type=int, default=192,
                        help='side of each image panel in HR pixels '
                        '(default 192)')
    parser.add_argument('--crop', action='append', default=[],
                        metavar='KEY:TOP,LEFT,H,W',
                        help='show this crop of an image (KEY: name or '
                        'SET/NAME) instead of where the runs differ most; '
                        'repeatable')
    parser.add_argument('--device', default='cpu',
                        help='where the runs upscale the test images')
    parser.add_argument('--title', help='page title')
    args = parser.parse_args(argv)
    if not args.inputs and not args.zoo:
        parser.error('give work dirs or result files, or --zoo')
    return args


def main(argv=None):
    args = parse_args(argv)
    from srtoolbox.apis.report import build_report
    from srtoolbox.apis.report.images import parse_crop
    try:
        crops = dict(parse_crop(c) for c in args.crop)
    except ValueError as err:
        sys.exit(f'error: {err}')
    try:
        result = build_report(
            args.inputs, args.out, overwrite=args.overwrite,
            zoo=not args.no_zoo,
            images=not args.no_images, data_root=args.data_root,
            test_sets=args.test_sets, crop_size=args.crop_size, crops=crops,
            max_images=args.max_images, device=args.device, root=REPO,
            title=args.title)
    except FileExistsError as err:
        sys.exit(f'error: {err}')
    print(f'open file://{osp.abspath(result["index"])}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
