"""Export a checkpoint's generator as .safetensors with its metadata.

    python tools/export_weights.py work_dirs/swinir/iter_500000.pth \\
        swinir_x4.safetensors

The output holds the generator's weights (EMA ones when saved; ``--no-ema``
for the plain ones) and, as metadata, the architecture, its keyword
arguments, the scale, the value range, the srtoolbox version, the config
hash and the training iterations. ``tools/infer.py --checkpoint OUT`` and
``tools/test.py OUT`` need no config for it; spandrel loads it where the
architecture is one of spandrel's. An existing OUT is kept unless
``--overwrite``. Exit status 0, or 1 with the reason.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from srtoolbox.cli_errors import tool_main  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Write a generator as .safetensors with metadata')
    parser.add_argument('checkpoint', help='checkpoint (any layout '
                        'srtoolbox reads; no config needed)')
    parser.add_argument('output', help='.safetensors file to write')
    parser.add_argument('--no-ema', action='store_true',
                        help='export the plain weights even if EMA exists')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace OUTPUT if it exists')
    return parser.parse_args(argv)


@tool_main
def main(argv=None):
    args = parse_args(argv)
    from srtoolbox.apis.export_weights import export_weights
    detected = export_weights(args.checkpoint, args.output,
                              prefer_ema=not args.no_ema,
                              overwrite=args.overwrite)
    print(f'exported {detected.describe()}')
    print(f'wrote {args.output}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
