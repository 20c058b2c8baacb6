"""Export a trained generator to ONNX and check it with onnxruntime.

    python tools/export_onnx.py configs/srresnet/srresnet_x4_demo.py \\
        work_dirs/srresnet_x4_demo/iter_1000.pth srresnet_x4.onnx --dynamic

The model takes ``input`` ``(N, 3, H, W)`` in [0, 1] and gives ``output``
``(N, 3, sH, sW)`` in [0, 1]: a config's ``gt_range`` (e.g. (-1, 1)) is
mapped back inside the graph unless ``--raw-output``. The tool prints the
largest difference between onnxruntime and PyTorch on a random input.
Needs ``pip install -e .[onnx]``.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from srtoolbox.cli_errors import tool_main  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Export a generator to ONNX')
    parser.add_argument('config', help='config (.py/.yaml)')
    parser.add_argument('checkpoint', help='weights (any supported layout)')
    parser.add_argument('out', help='.onnx file to write')
    parser.add_argument('--shape', type=int, nargs=2, default=(64, 64),
                        metavar=('H', 'W'), help='LR input size traced with')
    parser.add_argument('--dynamic', action='store_true',
                        help='dynamic batch, height and width')
    parser.add_argument('--fp16', action='store_true',
                        help='half-precision weights and input/output')
    parser.add_argument('--opset', type=int, default=17)
    parser.add_argument('--raw-output', action='store_true',
                        help="keep the network's training output range")
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an existing OUT')
    return parser.parse_args(argv)


@tool_main
def main(argv=None):
    args = parse_args(argv)
    from srtoolbox.apis.export import check_onnx, export_onnx
    from srtoolbox.apis.inference import SRInferencer
    sr = SRInferencer(args.config, args.checkpoint, device='cpu',
                      progress=False)
    out_range = None if args.raw_output else sr.output_range
    export_onnx(sr.generator, args.out, (1, 3, *args.shape),
                dynamic=args.dynamic, fp16=args.fp16, opset=args.opset,
                overwrite=args.overwrite, output_range=out_range)
    diff = check_onnx(sr.generator, args.out, output_range=out_range)
    name = type(sr.generator).__name__
    print(f'wrote {args.out}: {name} x{sr.scale}, opset {args.opset}, '
          f'{"fp16" if args.fp16 else "fp32"}, '
          f'{"dynamic" if args.dynamic else "fixed"} input '
          f'(1, 3, {args.shape[0]}, {args.shape[1]})')
    print('output range: ' + (f'{sr.output_range} (raw)' if args.raw_output
                              else '[0, 1]'))
    print(f'max abs difference onnxruntime vs PyTorch: {diff:.3g}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
