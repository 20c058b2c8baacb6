"""Time NIQE on one CPU thread: ``python tools/benchmark_niqe.py``.

    python tools/benchmark_niqe.py --image data/demo/Set5/baby.png --repeat 20

Pins BLAS/OpenMP/OpenCV to one thread (set before numpy and cv2 load), runs
one warm-up call (it fills the caches of the resize weights and the shape
table), then prints the median and best wall time of ``--repeat`` calls of
:func:`srtoolbox.evaluation.calculate_niqe` and the value.
"""
import argparse
import os
import os.path as osp
import sys
import time

for _var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ[_var] = '1'
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from srtoolbox.cli_errors import tool_main  # noqa: E402


@tool_main
def main(argv=None):
    parser = argparse.ArgumentParser(description='Time NIQE on one thread')
    parser.add_argument('--image', default=osp.join(
        osp.dirname(osp.dirname(osp.abspath(__file__))), 'data', 'demo',
        'Set5', 'baby.png'), help='image to measure (default: Set5 baby, '
        '512x512)')
    parser.add_argument('--repeat', type=int, default=20)
    args = parser.parse_args(argv)

    import cv2
    import numpy as np

    from srtoolbox.evaluation.niqe import calculate_niqe
    from srtoolbox.utils import imread
    cv2.setNumThreads(1)
    img = imread(args.image)
    start = time.perf_counter()
    value = calculate_niqe(img)  # first call: fills the caches
    first = time.perf_counter() - start
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        calculate_niqe(img)
        times.append(time.perf_counter() - start)
    print(f'{args.image}: {img.shape[1]}x{img.shape[0]}, NIQE {value:.4f}; '
          f'one thread, {args.repeat} calls: median '
          f'{1000 * np.median(times):.1f} ms, best '
          f'{1000 * min(times):.1f} ms; first call {1000 * first:.1f} ms')


if __name__ == '__main__':
    sys.exit(main())
