"""Parameters and MACs of a generator, from a config or a registered name.

    python tools/get_flops.py configs/srresnet/srresnet_x4_demo.py \\
        --shape 180 320
    python tools/get_flops.py --generator RRDBNet --upscale 4 --shape 180 320

A config's ``model.generator`` is built as written; ``--generator`` builds a
registered network with its defaults at ``--upscale``. Every operator of one
``(1, 3, H, W)`` forward is seen by ``torch.utils.flop_counter``
(convolutions, transposed convolutions, matrix products, attention);
MACs = FLOPs / 2 as in model-zoo.md. Operators doing work no formula counts
are listed with their modules. Counting runs on PyTorch's meta device: no
compute, no memory, seconds even for the largest networks.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from srtoolbox.cli_errors import tool_main  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Count parameters and MACs of a generator')
    parser.add_argument('config', nargs='?', default=None,
                        help='config (.py/.yaml) with model.generator')
    parser.add_argument('--generator', default=None,
                        help='name registered in GENERATORS, e.g. RRDBNet')
    parser.add_argument('--upscale', type=int, default=4,
                        help='scale for --generator (a config sets its own)')
    parser.add_argument('--shape', type=int, nargs=2, default=(180, 320),
                        metavar=('H', 'W'), help='LR input size')
    parser.add_argument('--in-channels', type=int, default=None,
                        help="input channels (default: the generator's "
                        'in_channels, else 3)')
    args = parser.parse_args(argv)
    if (args.config is None) == (args.generator is None):
        parser.error('give a CONFIG or --generator NAME (one of them)')
    return args


@tool_main
def main(argv=None):
    args = parse_args(argv)
    import torch

    from srtoolbox.apis.flops import count_complexity, count_params
    from srtoolbox.cli_errors import ToolError
    from srtoolbox.models.builder import build_generator
    if min(args.shape) < 1:
        raise ToolError(f'--shape {args.shape[0]} {args.shape[1]}: the LR '
                        'input height and width must be at least 1')
    if args.config:
        from srtoolbox.engine.launch import load_config
        cfg = load_config(args.config)
        gen_cfg = dict(cfg.get('model', {}).get('generator') or {})
        if not gen_cfg:
            raise ValueError(f'{args.config} has no model.generator')
    else:
        gen_cfg = dict(type=args.generator, upscale=args.upscale)
    # weights are irrelevant to the counts: skip allocating them
    what = args.config and f'{args.config}: model.generator' or \
        f'--generator {args.generator}'
    try:
        with torch.device('meta'):
            model = build_generator(gen_cfg)
    except TypeError as err:  # an argument the generator does not take
        raise ToolError(f'{what}: {err}') from err
    in_channels = args.in_channels or gen_cfg.get('in_channels', 3)
    shape = (1, in_channels, *args.shape)
    try:
        result = count_complexity(model, shape)
    except RuntimeError as err:  # e.g. a kernel larger than the input
        raise ToolError(
            f'--shape {args.shape[0]} {args.shape[1]}: {gen_cfg["type"]} '
            f'cannot run on a {args.shape[0]}x{args.shape[1]} input '
            f'({err})') from err
    macs = result.macs
    scale = getattr(model, 'upscale', gen_cfg.get('upscale', '?'))
    print(f'generator: {gen_cfg["type"]} x{scale}'
          + (f' ({args.config})' if args.config else ''))
    print(f'input:     {shape}')
    print(f'params:    {count_params(model):,} '
          f'({count_params(model) / 1e6:.2f} M)')
    print(f'MACs:      {macs:,} ({macs / 1e9:.2f} G; FLOPs = 2 x MACs)')
    for op, n in sorted(result.by_op.items(), key=lambda kv: -kv[1]):
        print(f'  {op:<28} {n:,}')
    if result.uncounted:
        print('not counted (no formula for these operators; the MACs above '
              'leave them out):')
        for module, ops in result.uncounted.items():
            print(f'  {module}: {", ".join(ops)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
