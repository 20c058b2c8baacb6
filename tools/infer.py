"""Upscale images with a trained generator.

    python tools/infer.py --config configs/srresnet/srresnet_x4_demo.py \\
        --checkpoint work_dirs/srresnet_x4_demo/iter_1000.pth \\
        --input data/demo/Set5 --output results/set5 --tile 256
    python tools/infer.py --checkpoint 4x-SPANkendata.safetensors \\
        --input photos/ --output results/   # architecture detected

``--input`` is a file, a folder or a quoted glob (``'photos/*.jpg'``).
Outputs are PNGs named ``<stem><suffix>.png``: RGBA inputs keep an alpha
(enlarged with bicubic), gray stays gray, 16-bit stays 16-bit. Existing
outputs are kept unless ``--overwrite``; unreadable inputs are named and
skipped. ``--tile`` bounds memory for any image size (see
``srtoolbox/apis/tiling.py`` for how large ``--tile-pad`` must be); without
it, an image whose untiled pass is estimated above the free memory (or
``--max-memory``) is tiled with a size chosen and logged, or refused with
``--no-auto-tile``.
Exit status: 0, or 1 on an error or when an input was skipped.
"""
import argparse
import logging
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from srtoolbox.cli_errors import tool_main  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Upscale images with a trained SR generator')
    parser.add_argument('--config', default=None,
                        help='config (.py/.yaml) with model.generator; '
                        'without it the architecture is detected from the '
                        'checkpoint (srtoolbox metadata, the authors\' '
                        'EDSR/RCAN/MSRN, spandrel\'s architectures)')
    parser.add_argument('--checkpoint', required=True,
                        help='weights (.pth/.pt/.safetensors): srtoolbox, '
                        'mmengine, MMagic, BasicSR, ESRGAN, EDSR-PyTorch or '
                        'any spandrel-detected network')
    parser.add_argument('--input', required=True, nargs='+',
                        help='image file(s), folder(s) or glob(s)')
    parser.add_argument('--output', required=True, help='output folder')
    parser.add_argument('--suffix', default='',
                        help="added to each output name, e.g. '_x4'")
    parser.add_argument('--tile', type=int, default=None,
                        help='tile size in LR pixels (default: whole image)')
    parser.add_argument('--tile-pad', type=int, default=16,
                        help='LR pixels of context around each tile')
    parser.add_argument('--max-memory', default=None,
                        help="memory a pass may use, e.g. '8G' (default: "
                        '90%% of the free RAM / GPU memory); an untiled '
                        'pass estimated above it is tiled by itself')
    parser.add_argument('--no-auto-tile', action='store_true',
                        help='refuse (naming --tile) instead of choosing a '
                        'tile when an untiled pass would not fit')
    parser.add_argument('--amp', action='store_true',
                        help='bf16 autocast where the hardware computes it '
                        'natively (fp32 otherwise, with a note)')
    parser.add_argument('--device', default=None,
                        help="'cpu', 'cuda', 'cuda:1' (default: cuda if "
                        'available)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace existing outputs')
    parser.add_argument('--interp-checkpoint', default=None,
                        help='second checkpoint for network interpolation')
    parser.add_argument('--alpha', type=float, default=None,
                        help='(1 - alpha) * checkpoint + alpha * '
                        'interp-checkpoint')
    parser.add_argument('--no-ema', action='store_true',
                        help='use the plain weights even if EMA ones exist')
    args = parser.parse_args(argv)
    if (args.interp_checkpoint is None) != (args.alpha is None):
        parser.error('--interp-checkpoint and --alpha go together')
    return args


@tool_main
def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(message)s')
    from srtoolbox.apis.inference import SRInferencer
    inferencer = SRInferencer(
        args.config, args.checkpoint, device=args.device, amp=args.amp,
        tile=args.tile, tile_pad=args.tile_pad,
        interp_checkpoint=args.interp_checkpoint, alpha=args.alpha,
        prefer_ema=not args.no_ema, max_memory=args.max_memory,
        auto_tile=not args.no_auto_tile)
    summary = inferencer.run(args.input, args.output,
                             overwrite=args.overwrite,
                             suffix=args.suffix)
    if inferencer.detected is not None:
        print(f'detected: {inferencer.detected.describe()}')
    print(f'{args.output}: {summary}')
    for path, reason in summary.skipped:
        print(f'  unreadable: {reason}', file=sys.stderr)
    if summary.existing:
        print(f'  {len(summary.existing)} existing output(s) kept; '
              '--overwrite replaces them')
    return 1 if summary.skipped else 0


if __name__ == '__main__':
    sys.exit(main())
