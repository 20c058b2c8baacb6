"""Check an LMDB (or a GT/LQ pair): counts, key parity, scale, decoding.

    python tools/inspect_lmdb.py data/train_HR.lmdb
    python tools/inspect_lmdb.py HR.lmdb --lq LR_x4.lmdb --scale 4 --sample 500
    python tools/inspect_lmdb.py HR.lmdb --sources   # entries vs their files

Exit code 0 when everything checked is fine, 1 when corrupt entries, missing
keys, parity or scale problems, a damaged (truncated) data.mdb or (with
--sources) entries out of date with their source files were found, or (one
line, as every tool) when a path is not an LMDB.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from srtoolbox.cli_errors import tool_main  # noqa: E402
from srtoolbox.datasets import inspect_lmdb  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('path', help='LMDB folder (GT of a pair)')
    parser.add_argument('--lq', help='LQ LMDB of a pair')
    parser.add_argument('--scale', type=int,
                        help='GT size / LQ size (default: inferred)')
    parser.add_argument('--sample', type=int,
                        help='decode this many random entries (default all)')
    parser.add_argument('--sources', action='store_true',
                        help='check every entry against the source file it '
                        'was packed from (changed, deleted, new files)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--workers', type=int, default=1)
    parser.add_argument('--progress', action='store_true')
    return parser.parse_args(argv)


@tool_main
def main(argv=None):
    args = parse_args(argv)
    report = inspect_lmdb(args.path, args.lq, args.scale, args.sample,
                          seed=args.seed, workers=args.workers,
                          progress=args.progress,
                          check_sources=args.sources)
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == '__main__':
    sys.exit(main())
