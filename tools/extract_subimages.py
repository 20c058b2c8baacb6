"""Cut big images into overlapping crops (BasicSR's extract_subimages).

    python tools/extract_subimages.py --input DIV2K/train_HR \
        --output DIV2K/train_HR_sub --crop-size 480 --step 240
    python tools/extract_subimages.py --input DIV2K/train_LR_x4 \
        --output DIV2K/train_LR_x4_sub --crop-size 480 --step 240 \
        --scale 4 --lq-suffix x4

``a.png`` gives ``a_s001.png``, ``a_s002.png``, ... (PNG). For an LQ folder
pass the GT crop size and step with ``--scale``: they are divided by it so
that LQ crops align with the GT crops of the same name.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from srtoolbox.cli_errors import tool_main  # noqa: E402
from srtoolbox.datasets import extract_subimages  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--input', required=True, help='image folder')
    parser.add_argument('--output', required=True, help='folder for crops')
    parser.add_argument('--crop-size', type=int, default=480,
                        help='GT crop size (default 480)')
    parser.add_argument('--step', type=int, default=240,
                        help='GT distance between crops (default 240)')
    parser.add_argument('--thresh-size', type=int, default=0,
                        help='a border remainder longer than this gets one '
                             'more crop (default 0)')
    parser.add_argument('--scale', type=int, default=1,
                        help='for an LQ folder: divide sizes by this')
    parser.add_argument('--lq-suffix', default='',
                        help='end of LQ names to drop (e.g. x4)')
    parser.add_argument('--workers', type=int, default=None,
                        help='processes (default: min(8, CPU count))')
    parser.add_argument('--overwrite', action='store_true',
                        help='write into a folder that already holds images')
    parser.add_argument('--skip-bad', action='store_true',
                        help='leave out unreadable images instead of stopping')
    parser.add_argument('--no-progress', action='store_true')
    return parser.parse_args(argv)


@tool_main
def main(argv=None):
    args = parse_args(argv)
    result = extract_subimages(
        args.input, args.output, crop_size=args.crop_size,
        step=args.step, thresh_size=args.thresh_size, scale=args.scale,
        lq_suffix=args.lq_suffix, workers=args.workers,
        overwrite=args.overwrite,
        on_error='skip' if args.skip_bad else 'stop',
        progress=not args.no_progress)
    print(f'wrote {result.num_crops} crops of {result.num_images} images '
          f'to {result.output_dir}')
    if result.too_small:
        print(f'{len(result.too_small)} image(s) smaller than a crop gave '
              'none:')
        for path in result.too_small:
            print(f'  {path}')
    if result.skipped:
        print(f'skipped {len(result.skipped)} unreadable image(s):')
        for path, reason in result.skipped:
            print(f'  {path}: {reason}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
