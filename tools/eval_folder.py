"""PSNR/SSIM (NIQE, LPIPS) of restored images against ground truth,
matched by name.

    python tools/eval_folder.py --gt data/Set5/GTmod12 \\
        --restored results/set5 --crop-border 4 --test-y-channel \\
        --suffix _x4 --metrics PSNR SSIM NIQE LPIPS --out results/set5_eval

pairs ``GT/baby.png`` with ``RESTORED/baby_x4.*``, prints a table and, with
``--out PREFIX``, writes ``PREFIX.json`` and ``PREFIX.csv``.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from srtoolbox.cli_errors import tool_main  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='PSNR/SSIM of a folder of restored images')
    parser.add_argument('--gt', required=True, help='ground-truth folder')
    parser.add_argument('--restored', required=True,
                        help='folder of restored images')
    parser.add_argument('--crop-border', type=int, default=0,
                        help='pixels cut from each side (the scale for SR)')
    parser.add_argument('--test-y-channel', action='store_true',
                        help='measure on Y of YCbCr (BT.601)')
    parser.add_argument('--suffix', default='',
                        help="restored name = GT stem + suffix, e.g. '_x4'")
    parser.add_argument('--metrics', nargs='+', default=['PSNR', 'SSIM'],
                        choices=['PSNR', 'SSIM', 'NIQE', 'LPIPS'],
                        help='what to measure (NIQE: of the restored image '
                        'alone; LPIPS: AlexNet, skipped with a note when its '
                        'weights are absent)')
    parser.add_argument('--out', default=None,
                        help='write OUT.json and OUT.csv')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace existing OUT.json/OUT.csv')
    return parser.parse_args(argv)


@tool_main
def main(argv=None):
    args = parse_args(argv)
    from srtoolbox.apis.evaluate import (evaluate_folder, format_table,
                                         write_results)
    rows, summary = evaluate_folder(
        args.gt, args.restored, crop_border=args.crop_border,
        test_y_channel=args.test_y_channel, suffix=args.suffix,
        metrics=args.metrics)
    print(format_table(rows, summary))
    if args.out:
        for path in write_results(rows, summary, args.out,
                                  overwrite=args.overwrite):
            print(f'wrote {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
