"""Write model-zoo.md from measurements and result files.

    python tools/model_zoo.py [--out model-zoo.md] [--no-timing]

Result files are what tools/test.py writes (--out model_zoo/results/NAME),
for the checkpoints trained here; see srtoolbox/apis/model_zoo.py.
"""
import argparse
import os.path as osp
import platform
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='model-zoo.md')
    parser.add_argument('--no-timing', action='store_true',
                        help='skip the CPU timings (fast)')
    parser.add_argument('--plot', default='docs/zoo_psnr_params.png',
                        help='PSNR-against-parameters plot ("" to skip)')
    args = parser.parse_args(argv)
    import torch

    from srtoolbox.apis.model_zoo import (build_zoo, plot_psnr_vs_params,
                                          render_markdown)
    from srtoolbox.engine.results import atomic_write_text
    root = osp.dirname(osp.dirname(osp.abspath(__file__)))
    rows = build_zoo(root, time_inference=not args.no_timing)
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as f:
            names = [ln.split(':', 1)[1].strip() for ln in f
                     if ln.startswith('model name')]
        cpu = f'{names[0]} x{len(names)}' if names else cpu
    except OSError:
        pass
    machine = (f'{cpu}, torch {torch.__version__}, '
               f'{torch.get_num_threads()} threads')
    command = 'python tools/model_zoo.py' + (' --no-timing'
                                             if args.no_timing else '')
    text = render_markdown(rows, command, machine)
    if args.plot:
        plot_psnr_vs_params(rows, args.plot)
        text += (f'\n![PSNR against parameters]({args.plot})\n')
    atomic_write_text(text, args.out)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
