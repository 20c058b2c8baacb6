"""Parameters and MACs of a registered generator.

    python tools/get_flops.py --generator RRDBNet --upscale 4 --shape 180 320

MACs count the Conv2d and Linear layers for one ``(1, 3, H, W)`` input
(FLOPs are about twice as many). Counting runs on PyTorch's meta device: no
compute, no memory, seconds even for the largest networks.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Count parameters and MACs of a generator')
    parser.add_argument('--generator', required=True,
                        help='name registered in GENERATORS, e.g. RRDBNet')
    parser.add_argument('--upscale', type=int, default=4)
    parser.add_argument('--shape', type=int, nargs=2, default=(180, 320),
                        metavar=('H', 'W'), help='LR input size')
    parser.add_argument('--in-channels', type=int, default=3)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import torch

    import srtoolbox.models.generators  # noqa: F401 (registration)
    from srtoolbox.apis.flops import count_macs, count_params
    from srtoolbox.registry import GENERATORS
    try:
        # weights are irrelevant to the counts: skip allocating them
        with torch.device('meta'):
            model = GENERATORS.build(
                dict(type=args.generator, upscale=args.upscale))
    except (KeyError, ValueError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    shape = (1, args.in_channels, *args.shape)
    macs = count_macs(model, shape)
    print(f'generator: {args.generator} x{args.upscale}')
    print(f'input:     {shape}')
    print(f'params:    {count_params(model):,} '
          f'({count_params(model) / 1e6:.2f} M)')
    print(f'MACs:      {macs:,} ({macs / 1e9:.2f} G)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
