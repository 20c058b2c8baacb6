"""Samples per second of the folder (PNG files) and LMDB data pipelines.

    python tools/benchmark_data.py        # SunHays80, 0, 1 and 2 workers
    python tools/benchmark_data.py --images DIR --workers 0 4 8 --batches 50

It converts the given images to a PNG folder and packs that folder into two
LMDBs, of PNG values (BasicSR's layout) and of raw pixels (``--codec raw``),
all in a temporary folder unless --work-dir is given, then times a
DataLoader over each: per sample, pick an image, read and decode it, take a
random HR crop (96x96 by default), make its LR with MATLAB-style bicubic
(``srtoolbox.utils.imresize``, x4 by default) and turn both into tensors.
The first batch of every run (worker start-up) is not timed.

Each row also gives samples/s per worker and, next to it, the samples/s a
GPU step would consume (``--gpu-step-ms``, default 1.5 ms for a batch of
16: MSRResNet's ~140 GFLOP forward + backward at 24x24 LR at ~100 TFLOP/s,
an A100/H100 in bf16 at a realistic share of its peak): how many workers
that would take. The ``LR on device`` rows skip the bicubic resize in the
workers (``BicubicDownsample(on_device=True)``; the data preprocessor
makes the LR on the GPU): what the resize costs the workers.

``--blas-threads 1`` limits OpenBLAS/OpenMP threads: ``imresize`` multiplies
small matrices, and on a busy machine BLAS threads make a 96x96 crop take
~10 ms instead of ~0.2 ms.
"""
import argparse
import os
import os.path as osp
import random
import shutil
import sys
import tempfile
import time


def _blas_threads(argv):
    for i, arg in enumerate(argv):
        if arg == '--blas-threads' and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith('--blas-threads='):
            return arg.split('=', 1)[1]
    return None


if __name__ == '__main__' and _blas_threads(sys.argv):
    # read by OpenBLAS / MKL / OpenMP when numpy and torch load, hence here
    for var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ[var] = _blas_threads(sys.argv)

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from srtoolbox.cli_errors import tool_main  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from srtoolbox.datasets import create_lmdb  # noqa: E402
from srtoolbox.datasets.image_store import build_image_store  # noqa: E402
from srtoolbox.utils import imread, imresize, imwrite  # noqa: E402
from srtoolbox.utils.image_io import IMG_EXTENSIONS  # noqa: E402


class CropDataset(torch.utils.data.Dataset):
    """Random HR crops with bicubic LR made on the fly, from an ImageStore.

    Returns ``dict(lq=(3, crop/scale, crop/scale), gt=(3, crop, crop))``,
    float32 in [0, 1].
    """

    def __init__(self, root, backend_args, length, crop_size=96, scale=4,
                 lr_on_device=False):
        self.lr_on_device = lr_on_device
        self.store = build_image_store(root, backend_args)
        self.keys = self.store.keys()
        self.length = length
        self.crop_size = crop_size
        self.scale = scale

    def __len__(self):
        return self.length

    def __getitem__(self, index):
        img = self.store.get(self.keys[index % len(self.keys)])
        h, w = img.shape[:2]
        top = random.randint(0, h - self.crop_size)
        left = random.randint(0, w - self.crop_size)
        gt = img[top:top + self.crop_size, left:left + self.crop_size]
        if self.lr_on_device:  # made from the HR batch on the device
            return dict(lq=torch.empty(0), gt=torch.from_numpy(
                np.ascontiguousarray(gt.transpose(2, 0, 1))).float() / 255)
        lq = imresize(gt, 1 / self.scale)

        def to_tensor(x):
            return torch.from_numpy(
                np.ascontiguousarray(x.transpose(2, 0, 1))).float() / 255

        return dict(lq=to_tensor(lq), gt=to_tensor(gt))


def prepare(images_dir, work_dir, num_images, workers, compress_level=1):
    """PNG copies of the images in ``work_dir/png`` and their two LMDBs."""
    names = sorted(n for n in os.listdir(images_dir)
                   if osp.splitext(n)[1].lower() in IMG_EXTENSIONS)
    names = names[:num_images] if num_images else names
    if not names:
        raise SystemExit(f'no images in {images_dir}')
    png_dir = osp.join(work_dir, 'png')
    for name in names:
        imwrite(imread(osp.join(images_dir, name)),
                osp.join(png_dir, osp.splitext(name)[0] + '.png'))
    lmdbs = {}
    for codec in ('png', 'raw'):
        lmdbs[codec] = osp.join(work_dir, f'images_{codec}.lmdb')
        create_lmdb(png_dir, lmdbs[codec], workers=workers, overwrite=True,
                    progress=False, compress_level=compress_level,
                    codec=codec)
    return png_dir, lmdbs


def _size_mb(path):
    return sum(osp.getsize(osp.join(d, f)) for d, _, files in os.walk(path)
               for f in files) / 1e6


def time_loader(dataset, batch_size, workers, batches):
    """Samples per second over ``batches`` batches after a first one."""
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, shuffle=True, num_workers=workers,
        drop_last=True)
    it = iter(loader)
    start = time.perf_counter()
    next(it)  # worker start-up and first decode: not timed
    first = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(batches):
        batch = next(it)
    elapsed = time.perf_counter() - start
    assert batch['gt'].shape[0] == batch_size
    del it
    return batches * batch_size / elapsed, first


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--images', default=osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                        'data', 'demo', 'SunHays80'),
                        help='folder of source images (any format)')
    parser.add_argument('--num-images', type=int, default=0,
                        help='use the first N images (default all)')
    parser.add_argument('--work-dir',
                        help='keep the PNG folder and LMDB here (default: a '
                             'temporary folder, removed)')
    parser.add_argument('--workers', type=int, nargs='+', default=[0, 1, 2],
                        help='DataLoader worker counts to time')
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--batches', type=int, default=12,
                        help='timed batches per run')
    parser.add_argument('--crop-size', type=int, default=96)
    parser.add_argument('--scale', type=int, default=4)
    parser.add_argument('--compress-level', type=int, default=1,
                        help='PNG compression of the PNG LMDB (0: stored '
                        'uncompressed, faster to decode; the folder keeps '
                        "OpenCV's default)")
    parser.add_argument('--gpu-step-ms', type=float, default=1.5,
                        help='assumed GPU training step per batch, in ms, '
                        'for the samples/s it needs (default 1.5)')
    parser.add_argument('--blas-threads', type=int,
                        help='OPENBLAS/OMP/MKL_NUM_THREADS (default: as set)')
    return parser.parse_args(argv)


@tool_main
def main(argv=None):
    args = parse_args(argv)
    work_dir = args.work_dir or tempfile.mkdtemp(prefix='srtoolbox-bench-')
    try:
        start = time.perf_counter()
        png_dir, lmdbs = prepare(args.images, work_dir, args.num_images,
                                     max(1, max(args.workers)),
                                     args.compress_level)
        n = len(os.listdir(png_dir))
        print(f'{n} images from {args.images}: PNG folder + LMDBs built in '
              f'{time.perf_counter() - start:.1f} s; batch {args.batch_size}, '
              f'{args.crop_size}x{args.crop_size} HR crops, bicubic '
              f'x{args.scale} LR on the fly; torch threads '
              f'{torch.get_num_threads()}, BLAS threads '
              f'{os.environ.get("OPENBLAS_NUM_THREADS", "default")}, '
              f'{os.cpu_count()} CPUs; sizes: ' + ', '.join(
                  f'{name} {_size_mb(path):.0f} MB' for name, path in
                  (('PNG folder', png_dir), ('PNG LMDB', lmdbs['png']),
                   ('raw LMDB', lmdbs['raw']))))
        length = (args.batches + 1) * args.batch_size
        rows = []
        for name, root, backend_args, on_device in (
                ('folder (PNG files)', png_dir, None, False),
                (f'LMDB (PNG level {args.compress_level})', lmdbs['png'],
                 dict(backend='lmdb'), False),
                ('LMDB (raw)', lmdbs['raw'], dict(backend='lmdb'), False),
                ('folder, LR on device', png_dir, None, True),
                ('LMDB (raw), LR on device', lmdbs['raw'],
                 dict(backend='lmdb'), True)):
            for workers in args.workers:
                dataset = CropDataset(root, backend_args, length,
                                      args.crop_size, args.scale, on_device)
                rate, first = time_loader(dataset, args.batch_size, workers,
                                          args.batches)
                rows.append((name, workers, rate, first))
                print(f'  {name}, {workers} workers: {rate:.1f} samples/s, '
                      f'load {os.getloadavg()[0]:.2f}', flush=True)
        print()
        need = args.batch_size / (args.gpu_step_ms / 1e3)
        print(f'a GPU step of {args.gpu_step_ms} ms per batch of '
              f'{args.batch_size} needs {need:.0f} samples/s')
        folder = {w: r for n, w, r, _ in rows if n == 'folder (PNG files)'}
        print('| pipeline | workers | samples/s | per worker | x folder | '
              'workers for the GPU | first batch (s) |')
        print('| --- | --- | --- | --- | --- | --- | --- |')
        for name, workers, rate, first in rows:
            per_worker = rate / max(1, workers)
            print(f'| {name} | {workers} | {rate:.1f} | {per_worker:.1f} | '
                  f'{rate / folder[workers]:.2f} | '
                  f'{need / per_worker:.0f} | {first:.2f} |')
    finally:
        if not args.work_dir:
            shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
