"""Compare models on one image: a ``bicubic | models... | HR`` figure.

    python tools/compare_models.py --image data/demo/Set14/comic.png \\
        --model MSRResNet configs/srresnet/msrresnet_x4_demo.py \\
            work_dirs/msrresnet_x4_demo/iter_360.pth \\
        --model EDSR configs/edsr/edsr_baseline_x4_demo.py \\
            work_dirs/edsr_baseline_x4_demo/iter_360.pth \\
        --crop 40 60 120 120 --zoom 3 --out docs/compare_comic.png

The LR input is the MATLAB-style bicubic downscale of the HR image. Each
panel shows the same crop, enlarged by nearest neighbour, under its label
with PSNR/SSIM of the whole image (Y channel, crop = scale), which are also
printed. An existing --out is kept unless --overwrite is given.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from srtoolbox.cli_errors import tool_main  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--image', required=True, help='HR image')
    parser.add_argument('--model', nargs=3, action='append', required=True,
                        metavar=('LABEL', 'CONFIG', 'CHECKPOINT'),
                        help='a model to compare (repeat the option)')
    parser.add_argument('--crop', nargs=4, type=int,
                        metavar=('TOP', 'LEFT', 'HEIGHT', 'WIDTH'),
                        help='HR region to show (default: central quarter)')
    parser.add_argument('--zoom', type=int, default=2,
                        help='nearest-neighbour enlargement of the crops')
    parser.add_argument('--out', required=True, help='PNG to write')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace --out if it exists')
    parser.add_argument('--device', help='cpu, cuda, cuda:1 ...')
    args = parser.parse_args(argv)
    if args.zoom < 1:
        parser.error('--zoom must be >= 1')
    return args


@tool_main
def main(argv=None):
    args = parse_args(argv)
    from srtoolbox.apis.compare import compare_models
    from srtoolbox.utils import imwrite
    if osp.exists(args.out) and not args.overwrite:
        print(f'error: {args.out} exists; pass --overwrite to replace it',
              file=sys.stderr)
        return 1
    figure, rows = compare_models(args.model, args.image,
                                  crop=args.crop, zoom=args.zoom,
                                  device=args.device)
    imwrite(figure, args.out, overwrite=args.overwrite)
    print(f'{osp.basename(args.image)} (Y channel, crop = scale):')
    for row in rows:
        if row['psnr'] is not None:
            print(f'  {row["label"]:<24} {row["psnr"]:6.2f} dB  '
                  f'SSIM {row["ssim"]:.4f}')
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
