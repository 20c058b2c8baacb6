"""Network interpolation between two checkpoints of one architecture.

    python tools/interpolate.py psnr.pth esrgan.pth \\
        --alpha 0 0.2 0.4 0.6 0.8 1 --out work_dirs/interp

writes ``interp_alpha0.00.pth`` ... ``interp_alpha1.00.pth`` in ``--out``:
``(1 - alpha) * A + alpha * B``, as srtoolbox checkpoints with both sources
and alpha in ``meta``. Existing files are kept unless ``--overwrite``.
No config is needed: the checkpoints may be of any layout srtoolbox reads,
and ``--strip-image`` detects their architecture when ``--config`` is absent.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from srtoolbox.cli_errors import tool_main  # noqa: E402
from srtoolbox.apis.interpolation import interpolate_checkpoints  # noqa


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Blend two generators: (1 - alpha) * A + alpha * B')
    parser.add_argument('ckpt_a', help='checkpoint A (alpha = 0)')
    parser.add_argument('ckpt_b', help='checkpoint B (alpha = 1)')
    parser.add_argument('--alpha', type=float, nargs='+', required=True,
                        help='one or more alphas, e.g. 0 0.2 0.4 0.6 0.8 1')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace existing interp_alpha*.pth files')
    parser.add_argument('--no-ema', action='store_true',
                        help='take the plain weights even if EMA weights '
                        'are present')
    parser.add_argument('--strip-image', help='also write a strip bicubic | '
                        'alpha... | HR for this HR image (needs --config), '
                        'each panel labelled PSNR/SSIM and NIQE')
    parser.add_argument('--config', help='config of the generator (for '
                        '--strip-image; default: detected from the '
                        'checkpoints)')
    parser.add_argument('--crop', type=int, nargs=4,
                        metavar=('TOP', 'LEFT', 'H', 'W'),
                        help='HR region of the strip (default: centre)')
    return parser.parse_args(argv)


@tool_main
def main(argv=None):
    args = parse_args(argv)
    paths = interpolate_checkpoints(
        args.ckpt_a, args.ckpt_b, args.alpha, args.out,
        overwrite=args.overwrite, prefer_ema=not args.no_ema)
    for path in paths:
        print(f'wrote {path}')
    if args.strip_image:
        from srtoolbox.apis.interpolation import interpolation_strip
        from srtoolbox.utils import imwrite
        strip = interpolation_strip(args.config,
                                    list(zip(args.alpha, paths)),
                                    args.strip_image, crop=args.crop)
        out = osp.join(args.out, 'strip_' + osp.splitext(
            osp.basename(args.strip_image))[0] + '.png')
        imwrite(strip, out, overwrite=args.overwrite)
        print(f'wrote {out} (bicubic | alpha ' +
              ' | '.join(f'{a:g}' for a in args.alpha) + ' | HR)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
