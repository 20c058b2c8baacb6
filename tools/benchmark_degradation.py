"""Throughput of Real-ESRGAN's second-order degradation (the model's data
step: USM, two degradations, final sinc + JPEG, rounding, crop) on the CPU,
srtoolbox's beside BasicSR's in the same run.

BasicSR's column runs the same steps made of basicsr 1.4.2's own functions
(filter2D, random_add_gaussian/poisson_noise_pt, DiffJPEG, USMSharp), in the
order of its RealESRGANModel.feed_data (whose constructor hard-codes CUDA, so
it cannot be built on a CPU). BasicSR is optional: without it only
srtoolbox's figures are printed. Both get the same GT batch and kernels;
each order of the final steps is timed separately.

  python tools/benchmark_degradation.py --batch 12 --gt-size 256 --repeat 5
"""
import argparse
import os.path as osp
import platform
import random
import sys
import time
from types import SimpleNamespace

import numpy as np
import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from srtoolbox.cli_errors import tool_main  # noqa: E402
from srtoolbox.degradations import (BlurKernelSampler,  # noqa: E402
                                    FinalSincSampler, SecondOrderDegradation)


# the released options (SecondOrderDegradation's defaults)
RELEASED = SimpleNamespace(
    resize_prob=[0.2, 0.7, 0.1], resize_range=[0.15, 1.5],
    noise_range=[1, 30], poisson_scale_range=[0.05, 3], jpeg_range=[30, 95],
    second_blur_prob=0.8, resize_prob2=[0.3, 0.4, 0.3],
    resize_range2=[0.3, 1.2], noise_range2=[1, 25],
    poisson_scale_range2=[0.05, 2.5], jpeg_range2=[30, 95])


def basicsr_step(gt, k1, k2, sinc, opt, sinc_first, tools):
    """RealESRGANModel.feed_data's steps, with basicsr's functions."""
    import torch.nn.functional as F
    filter2D, gauss, poisson, jpeger, usm = tools
    gt_usm = usm(gt)
    h, w = gt.shape[2:]

    def resize_noise(out, prob, rng, noise, size=None):
        kind = random.choices(['up', 'down', 'keep'], prob)[0]
        scale = {'up': np.random.uniform(1, rng[1]),
                 'down': np.random.uniform(rng[0], 1), 'keep': 1}[kind]
        mode = random.choice(['area', 'bilinear', 'bicubic'])
        if size is None:
            out = F.interpolate(out, scale_factor=scale, mode=mode)
        else:
            out = F.interpolate(out, size=(int(size[0] * scale),
                                           int(size[1] * scale)), mode=mode)
        if np.random.uniform() < 0.5:
            return gauss(out, sigma_range=noise[0], clip=True, rounds=False,
                         gray_prob=0.4)
        return poisson(out, scale_range=noise[1], gray_prob=0.4, clip=True,
                       rounds=False)

    def jpeg(out, rng):
        q = out.new_zeros(out.size(0)).uniform_(*rng)
        return jpeger(torch.clamp(out, 0, 1), quality=q)

    out = filter2D(gt_usm, k1)
    out = resize_noise(out, opt.resize_prob, opt.resize_range,
                       (opt.noise_range, opt.poisson_scale_range))
    out = jpeg(out, opt.jpeg_range)
    if np.random.uniform() < opt.second_blur_prob:
        out = filter2D(out, k2)
    lr = (h // 4, w // 4)
    out = resize_noise(out, opt.resize_prob2, opt.resize_range2,
                       (opt.noise_range2, opt.poisson_scale_range2), lr)
    mode = random.choice(['area', 'bilinear', 'bicubic'])
    if sinc_first:
        out = filter2D(F.interpolate(out, size=lr, mode=mode), sinc)
        out = jpeg(out, opt.jpeg_range2)
    else:
        out = jpeg(out, opt.jpeg_range2)
        out = filter2D(F.interpolate(out, size=lr, mode=mode), sinc)
    lq = torch.clamp((out * 255.0).round(), 0, 255) / 255.
    return lq, gt, gt_usm


def load_basicsr():
    try:
        from basicsr.data.degradations import (
            random_add_gaussian_noise_pt, random_add_poisson_noise_pt)
        from basicsr.utils.diffjpeg import DiffJPEG
        from basicsr.utils.img_process_util import USMSharp, filter2D
    except Exception as err:  # noqa: BLE001 (any import failure)
        return None, f'{type(err).__name__}: {err}'
    def filter2d_contiguous(img, kernel):
        # basicsr 1.4.2's filter2D .view()s the padded input, which recent
        # torch keeps in DiffJPEG's channels-last layout: one copy first
        return filter2D(img.contiguous(), kernel)

    return (filter2d_contiguous, random_add_gaussian_noise_pt,
            random_add_poisson_noise_pt, DiffJPEG(differentiable=False),
            USMSharp()), None


def timed(fn, repeat):
    fn()  # warm-up
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


@tool_main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch', type=int, default=12)
    parser.add_argument('--gt-size', type=int, default=256)
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--threads', type=int, default=None,
                        help='torch threads (default: torch\'s)')
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    b, size = args.batch, args.gt_size
    samplers = (BlurKernelSampler(), BlurKernelSampler(blur_sigma=(0.2, 1.5)),
                FinalSincSampler())
    k1, k2, sinc = (torch.from_numpy(np.stack([s.sample() for _ in range(b)]))
                    for s in samplers)
    gt = torch.rand(b, 3, size, size)
    tools, why = load_basicsr()
    print(f'CPU degradation throughput, GT {size}x{size}, batch {b}, '
          f'{torch.get_num_threads()} threads, torch {torch.__version__}, '
          f'{platform.processor() or platform.machine()}')
    if tools is None:
        print(f'BasicSR not importable ({why}): srtoolbox only')
    print(f'{"final order":<28} {"srtoolbox":>14} {"BasicSR 1.4.2":>14}')
    for sinc_first, label in ((True, 'resize+sinc, then JPEG'),
                              (False, 'JPEG, then resize+sinc')):
        ours = SecondOrderDegradation(
            scale=4, gt_size=None,
            final_sinc_first_prob=1.0 if sinc_first else 0.0)
        t_ours = timed(lambda: ours(gt, k1, k2, sinc), args.repeat)
        row = f'{label:<28} {b / t_ours:>10.2f} s/s'
        if tools is not None:
            t_ref = timed(lambda: basicsr_step(gt, k1, k2, sinc, RELEASED,
                                               sinc_first, tools),
                          args.repeat)
            row += f' {b / t_ref:>10.2f} s/s'
        print(row)
    print('(s/s: GT samples per second, mean of --repeat batches after one '
          'warm-up; same GT, kernels and options for both)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
