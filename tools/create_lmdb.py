"""Pack an image folder (or a GT/LQ pair of folders) into LMDB.

    python tools/create_lmdb.py --input data/DIV2K/train_HR_sub \
        --output data/DIV2K/train_HR_sub.lmdb --workers 8
    python tools/create_lmdb.py --input HR --output HR.lmdb \
        --lq LR_x4 --lq-output LR_x4.lmdb --scale 4 --lq-suffix x4 --verify

Every value is a 3-channel 8-bit PNG, or with --codec raw the uncompressed
pixels (see srtoolbox.datasets.lmdb.values);
keys are paths relative to the input folder without extension. An interrupted
run leaves ``<output>.tmp-build`` and the next run resumes from it, encoding
again the images changed since and dropping those deleted (each entry records
its source's size and modification time; ``--verify`` checks them).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from srtoolbox.cli_errors import tool_main  # noqa: E402
from srtoolbox.datasets import (create_lmdb, create_paired_lmdb,  # noqa
                                inspect_lmdb)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--input', required=True,
                        help='image folder (GT folder of a pair)')
    parser.add_argument('--output', required=True, help='LMDB to create')
    parser.add_argument('--lq', help='LQ image folder: build a pair')
    parser.add_argument('--lq-output', help='LQ LMDB to create (with --lq)')
    parser.add_argument('--scale', type=int, help='GT size / LQ size')
    parser.add_argument('--lq-suffix', default='',
                        help='end of LQ names to drop to find the GT key '
                             '(e.g. x4 for 0001x4.png)')
    parser.add_argument('--workers', type=int, default=None,
                        help='processes (default: min(8, CPU count))')
    parser.add_argument('--compress-level', type=int, default=1,
                        help='PNG compression 0-9 (default 1)')
    parser.add_argument('--codec', choices=('png', 'raw'), default='png',
                        help="values as PNG (default, BasicSR's layout) or "
                        'raw pixels (no decoding: fastest to read, larger, '
                        'srtoolbox only)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace existing output LMDBs')
    parser.add_argument('--skip-bad', action='store_true',
                        help='leave out unreadable images instead of stopping')
    parser.add_argument('--no-resume', action='store_true',
                        help='discard what an interrupted run left')
    parser.add_argument('--verify', action='store_true',
                        help='afterwards decode every entry and check it '
                        'against its source file (inspect_lmdb)')
    parser.add_argument('--no-progress', action='store_true')
    args = parser.parse_args(argv)
    if args.lq and not (args.lq_output and args.scale):
        parser.error('--lq needs --lq-output and --scale')
    if (args.lq_output or args.scale) and not args.lq:
        parser.error('--lq-output and --scale go with --lq')
    return args


@tool_main
def main(argv=None):
    args = parse_args(argv)
    common = dict(workers=args.workers, compress_level=args.compress_level,
                  codec=args.codec,
                  overwrite=args.overwrite,
                  on_error='skip' if args.skip_bad else 'stop',
                  resume=not args.no_resume, progress=not args.no_progress)
    if args.lq:
        result = create_paired_lmdb(args.input, args.lq, args.output,
                                    args.lq_output, args.scale,
                                    lq_suffix=args.lq_suffix, **common)
    else:
        result = create_lmdb(args.input, args.output, **common)
    written = result.path + (f' and {result.lq_path}' if result.lq_path
                             else '')
    print(f'wrote {result.num_images} entries to {written}' +
          (f' ({result.resumed} kept from an interrupted run)'
           if result.resumed else ''))
    if result.skipped:
        print(f'skipped {len(result.skipped)} unreadable image(s):')
        for path, reason in result.skipped:
            print(f'  {path}: {reason}')
    if args.verify:
        report = inspect_lmdb(result.path, result.lq_path, args.scale,
                              workers=args.workers,
                              progress=not args.no_progress,
                              check_sources=True)
        print(report.summary())
        if not report.ok:
            return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
