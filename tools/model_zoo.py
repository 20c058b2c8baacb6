"""Write model-zoo.md from measurements and result files.

    python tools/model_zoo.py [--out model-zoo.md] [--no-timing] \
        [--strip data/demo/Set14/comic.png 40 80 100 120 ...]

Result files are what tools/test.py writes (--out model_zoo/results/NAME),
for the checkpoints trained here; see srtoolbox/apis/model_zoo.py.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from srtoolbox.cli_errors import tool_main  # noqa: E402


@tool_main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='model-zoo.md')
    parser.add_argument('--no-timing', action='store_true',
                        help='skip the CPU timings (fast)')
    parser.add_argument('--plot', default='docs/zoo_psnr_params.png',
                        help='PSNR-against-parameters plot ("" to skip)')
    parser.add_argument('--strip', nargs=5, action='append', default=[],
                        metavar=('IMAGE', 'TOP', 'LEFT', 'HEIGHT', 'WIDTH'),
                        help='a bicubic | models trained here | HR figure '
                        'of this HR crop, docs/zoo_compare_<image>.png '
                        '(repeat for several images; needs the checkpoints '
                        'named in the result files)')
    parser.add_argument('--zoom', type=int, default=2,
                        help='enlargement of the strip crops')
    parser.add_argument('--records', metavar='DIR',
                        help='also publish each checkpoint trained here as '
                        'DIR/<name>-<sha8>.safetensors + .json (an '
                        'OpenModelDB-style record; srtoolbox.apis.'
                        'zoo_records)')
    parser.add_argument('--only', nargs='+', metavar='NAME',
                        help='measure only these zoo rows (names as in '
                        'srtoolbox/apis/model_zoo.py), e.g. to add new ones')
    args = parser.parse_args(argv)
    strips = []  # checked before the minutes of timing, not after
    for image, *box in args.strip:
        try:
            box = tuple(int(v) for v in box)
        except ValueError:
            parser.error(f'--strip {image}: TOP LEFT HEIGHT WIDTH must be '
                         f'integers, got {" ".join(box)}')
        if not osp.isfile(image):
            parser.error(f'--strip: image {image} does not exist')
        strips.append((image, box))
    import torch

    from srtoolbox.apis.model_zoo import (build_zoo, plot_psnr_vs_params,
                                          render_markdown, zoo_strip)
    from srtoolbox.engine.results import atomic_write_text
    root = osp.dirname(osp.dirname(osp.abspath(__file__)))
    from srtoolbox.apis.model_zoo import ZOO
    entries = ZOO
    if args.only:
        entries = [e for e in ZOO if e.name in args.only]
        unknown = set(args.only) - {e.name for e in entries}
        if unknown:
            parser.error(f'--only: no zoo rows named {sorted(unknown)}; '
                         f'rows: {[e.name for e in ZOO]}')
    rows = build_zoo(root, entries=entries, time_inference=not args.no_timing)
    # the machine line and the bf16 footnote come from this record
    from srtoolbox.utils.provenance import machine_info
    machine = dict(machine_info('cpu'), torch=torch.__version__)
    command = ' '.join(['python tools/model_zoo.py'] + (
        ['--no-timing'] if args.no_timing else []) + (
        ['--only ' + ' '.join(repr(n) for n in args.only)]
        if args.only else []) + [
        '--strip ' + ' '.join(strip) for strip in args.strip] + (
        [f'--zoom {args.zoom}'] if args.strip and args.zoom != 2 else []))
    text = render_markdown(rows, command, machine)
    if args.plot:
        plot_psnr_vs_params(rows, args.plot)
        text += (f'\n![PSNR against parameters]({args.plot})\n')
    if args.strip:
        text += ('\n## Side by side\n\nbicubic | each model trained here '
                 '| HR, on a crop enlarged by nearest neighbour; each label '
                 'gives PSNR/SSIM of the whole image (Y, crop 4).\n')
    for image, box in strips:
        out = osp.join('docs', 'zoo_compare_' +
                       osp.splitext(osp.basename(image))[0] + '.png')
        try:
            zoo_strip(rows, image, osp.join(root, out), crop=box,
                      zoom=args.zoom, root=root)
        except (OSError, ValueError, KeyError, RuntimeError) as err:
            print(f'error: --strip {image}: {err}', file=sys.stderr)
            return 1
        text += f'\n![{osp.basename(image)}]({out})\n'
        print(f'wrote {out}')
    atomic_write_text(text, args.out)
    print(f'wrote {args.out}')
    if args.records:
        from srtoolbox.apis.model_zoo import record_paths
        from srtoolbox.apis.zoo_records import publish_weights
        for row in rows:
            config, ckpt = record_paths((row['result'] or {}).get('meta'))
            if not ckpt or not osp.isfile(osp.join(root, ckpt)):
                continue
            name = osp.splitext(osp.basename(row['entry'].result))[0]
            rec = publish_weights(osp.join(root, ckpt), args.records, name,
                                  config=config,
                                  overwrite=True)
            print(f'published {args.records}/{rec["resources"][0]["file"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
