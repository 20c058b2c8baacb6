"""Convert BasicSR, ESRGAN, MMagic or authors' checkpoints to srtoolbox's.

    python tools/convert_checkpoint.py --from basicsr IN.pth OUT.pth
    python tools/convert_checkpoint.py --from edsr-pytorch \\
        EDSR_x4.pt work_dirs/edsr_x4_authors.pth   # also RCAN, MSRN
    python tools/convert_checkpoint.py --from esrgan-legacy ESRGAN.pth OUT.pth
    python tools/convert_checkpoint.py --from mmagic iter_300000.pth OUT.pth

MMagic MSRResNet and EDSRNet weights need a generator setting
(``upsample_lrelu=False``, ``img_range=1.0``) kept in the output's
``meta['generator_settings']`` and printed here.

The input is read with ``torch.load(weights_only=True)``; the output,
``{'state_dict': {'generator.<k>': ...}, 'meta': {...}}``, is written
atomically and never replaces an existing file without ``--overwrite``.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from srtoolbox.cli_errors import tool_main  # noqa: E402
from srtoolbox.apis.convert import CHOICES, convert_checkpoint  # noqa


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert a checkpoint into the srtoolbox layout')
    parser.add_argument('--from', dest='source', required=True,
                        choices=CHOICES,
                        help='layout of the input checkpoint')
    parser.add_argument('input', help='checkpoint to convert')
    parser.add_argument('output', help='srtoolbox checkpoint to write')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace OUTPUT if it exists')
    parser.add_argument('--no-ema', action='store_true',
                        help='take the plain weights even if EMA weights '
                        '(params_ema, generator_ema) are present')
    return parser.parse_args(argv)


@tool_main
def main(argv=None):
    args = parse_args(argv)
    out = convert_checkpoint(args.input, args.output, args.source,
                             overwrite=args.overwrite,
                             prefer_ema=not args.no_ema)
    print(f'wrote {out}')
    from srtoolbox.models.weights import read_generator_weights
    from srtoolbox.utils.checkpoint_io import load_checkpoint_file
    recorded = load_checkpoint_file(out)['meta'].get('generator_cfg')
    if recorded:
        print(f'generator (recorded in the file): {recorded}')
    settings = read_generator_weights(out).settings
    if settings:
        print('build the generator with ' + ', '.join(
            f'{k}={v!r}' for k, v in settings.items()) + ' (--cfg-options ' +
            ' '.join(f'model.generator.{k}={v!r}' for k, v in
                     settings.items()) + ')')
    return 0


if __name__ == '__main__':
    sys.exit(main())
