"""Speed and peak memory of inference: whole image vs tiles, fp32 vs bf16.

    python tools/benchmark_infer.py --arch RRDBNet --size 1024 --tile 512
    python tools/benchmark_infer.py --size 256 --tile 128 \\
        --modes untiled:fp32 tiled:fp32 tiled:bf16

Each mode runs in a fresh subprocess, so its peak resident memory (the
child's own ``getrusage`` maximum, in MiB) is not inflated by earlier runs.
The network has random weights (seed 0): timing and memory do not depend on
the values, but tiled-vs-untiled differences do (random weights do not fade
with distance the way trained ones do; see ``srtoolbox/apis/tiling.py``).
The input is a real photograph (Set14 baboon) mirrored to the size asked.
Throughput is output megapixels per second, including the first-call
set-up of each tile shape. ``bf16`` forces bfloat16 autocast: on CPUs
without native bf16 (AVX2-only) it is emulated and much slower than fp32.

Beside each run the worker times the network alone, channels-last, on a
random input of each distinct tile shape (tile plus context) and sums over
the tiles (``bare s``): ``run/bare`` is what reading tiles, converting
pixels and writing the output add (target: within 1.1x). ``--runs N``
keeps the fastest of N runs (and of N bare forwards per shape). The first
line names the machine (CPU model, avx2/avx512_bf16/amx, torch, threads).
"""
import argparse
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from srtoolbox.cli_errors import tool_main  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PHOTO = osp.join(REPO, 'data', 'demo', 'Set14', 'baboon.png')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Benchmark tiled/untiled, fp32/bf16 inference')
    parser.add_argument('--arch', default='RRDBNet',
                        help='generator registered in GENERATORS')
    parser.add_argument('--arch-args', default='{}',
                        help='JSON of extra generator arguments, e.g. '
                        '\'{"num_blocks": 6}\'')
    parser.add_argument('--upscale', type=int, default=4)
    parser.add_argument('--size', type=int, default=1024,
                        help='LR input is SIZE x SIZE')
    parser.add_argument('--tile', type=int, default=512)
    parser.add_argument('--tile-pad', type=int, default=16)
    parser.add_argument('--modes', nargs='+',
                        default=['untiled:fp32', 'tiled:fp32', 'tiled:bf16'],
                        help='untiled|tiled : fp32|bf16|auto')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--runs', type=int, default=1,
                        help='timed runs per mode, fastest kept (default 1)')
    parser.add_argument('--no-bare', action='store_true',
                        help='skip the bare per-tile forwards')
    parser.add_argument('--json', help='also write the figures here')
    parser.add_argument('--estimate-only', action='store_true',
                        help='print the memory estimates of an untiled and '
                        'a tiled pass over SIZE x SIZE (and the tile auto '
                        'tiling would choose) without running them')
    parser.add_argument('--worker', default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _rss_mib():
    with open('/proc/self/status', encoding='ascii') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024
    return float('nan')


def _input(size):
    import numpy as np

    from srtoolbox.utils import imread
    img = imread(PHOTO)
    reps = (-(-size // img.shape[0]), -(-size // img.shape[1]))
    # mirror the photograph to cover the size without seams of its own
    rows = [img if i % 2 == 0 else img[::-1] for i in range(reps[0])]
    img = np.concatenate(rows, 0)
    cols = [img if i % 2 == 0 else img[:, ::-1] for i in range(reps[1])]
    return np.ascontiguousarray(np.concatenate(cols, 1)[:size, :size])


def worker(spec):
    """One measurement; prints one JSON line."""
    import numpy as np
    import torch

    from srtoolbox.apis.inference import SRInferencer
    from srtoolbox.apis.tiling import tile_shape_counts
    from srtoolbox.engine.benchmark import forward_seconds
    from srtoolbox.models.builder import build_generator
    torch.manual_seed(0)
    gen = build_generator(dict(type=spec['arch'], upscale=spec['upscale'],
                               **spec['arch_args']))
    amp = {'fp32': False, 'bf16': 'bf16', 'auto': True}[spec['precision']]
    sr = SRInferencer(generator=gen, device=spec['device'], amp=amp,
                      tile=spec['tile'], tile_pad=spec['tile_pad'],
                      progress=False)
    img = _input(spec['size'])
    sr(img[:32, :32])  # warm-up: thread pools, oneDNN
    baseline = _rss_mib()
    if sr.device.type == 'cuda':
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    tile = sr.plan_tile(*img.shape[:2])  # auto tiling may choose one
    seconds = float('inf')
    for _ in range(spec.get('runs', 1)):
        start = time.perf_counter()
        out = sr(img)
        if sr.device.type == 'cuda':
            torch.cuda.synchronize()
        seconds = min(seconds, time.perf_counter() - start)
    bare = None
    if spec.get('bare', True):
        # the network alone on each distinct tile shape, summed over tiles
        bare = sum(count * forward_seconds(
            sr.generator, (1, 3, h, w), sr.channels_last, sr.amp_dtype,
            sr.device, iters=spec.get('runs', 1), warmup=0)
            for (h, w), count in tile_shape_counts(
                *img.shape[:2], tile, sr.tile_pad, sr.size_divisor).items())
    need = sr.memory_needed(*img.shape[:2], tile)
    result = dict(
        tile=tile, bare_seconds=bare,
        estimate_mib=need / 2**20 if need is not None else None,
        run_over_bare=seconds / bare if bare else None,
        seconds=seconds, out_mpix=out.shape[0] * out.shape[1] / 1e6,
        peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        / 1024, baseline_rss_mib=baseline,
        amp_dtype=str(sr.amp_dtype or 'fp32').replace('torch.', ''),
        threads=torch.get_num_threads())
    if sr.device.type == 'cuda':
        result['gpu_peak_mib'] = torch.cuda.max_memory_allocated() / 2**20
    if spec.get('save'):
        np.save(spec['save'], out)
    print(json.dumps(result))


def estimate(args):
    """Memory estimates only (SRInferencer.memory_needed), no pass."""
    from srtoolbox.apis.inference import SRInferencer
    from srtoolbox.apis.memory import default_budget, format_bytes
    from srtoolbox.models.builder import build_generator
    gen = build_generator(dict(type=args.arch, upscale=args.upscale,
                               **json.loads(args.arch_args)))
    sr = SRInferencer(generator=gen, device=args.device, progress=False,
                      tile_pad=args.tile_pad)
    size = args.size
    model = sr._memory_model()
    print(f'{args.arch} x{args.upscale}: {model.per_pixel:.0f} B per LR '
          f'pixel in the probe forwards (before the x1.25 margin)')
    for tile in (None, args.tile):
        need = sr.memory_needed(size, size, tile)
        print(f'{size}x{size} ' + (f'tile {tile} pad {args.tile_pad}'
                                   if tile else 'untiled')
              + f': ~{format_bytes(need)}')
    budget, source = default_budget(sr.device)
    print(f'budget: {format_bytes(budget)} ({source}); auto tiling would '
          f'use tile {sr.plan_tile(size, size)}')
    return 0


@tool_main
def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        worker(json.loads(args.worker))
        return 0
    from srtoolbox.engine.benchmark import machine_info, machine_line
    machine = machine_info()
    print(machine_line(machine))
    if args.estimate_only:
        return estimate(args)
    results = []
    tmp = tempfile.mkdtemp(prefix='srbench-')
    print(f'{args.arch} x{args.upscale} {json.loads(args.arch_args) or ""}, '
          f'input {args.size}x{args.size} on {args.device}, tile '
          f'{args.tile} pad {args.tile_pad}')
    from srtoolbox.apis.tiling import tile_boxes
    work = sum((cy1 - cy0) * (cx1 - cx0) for _, (cy0, cy1, cx0, cx1) in
               tile_boxes(args.size, args.size, args.tile, args.tile_pad))
    print(f'tiled work: {work / args.size**2:.2f}x the image (tile + pad '
          'context)')
    header = (f'{"mode":<14} {"dtype":>9} {"tile":>5} {"time s":>8} '
              f'{"bare s":>8} {"run/bare":>8} {"out MP/s":>9} '
              f'{"peak RSS MiB":>13} {"(before run)":>13} {"est MiB":>8} '
              f'{"max diff":>9}')
    print(header)
    ref = None
    for mode in args.modes:
        tiling, _, precision = mode.partition(':')
        if tiling not in ('tiled', 'untiled') or precision not in (
                'fp32', 'bf16', 'auto'):
            print(f'error: bad mode {mode!r} (tiled|untiled:fp32|bf16|auto)',
                  file=sys.stderr)
            return 1
        save = osp.join(tmp, f'{len(results)}.npy')
        spec = dict(arch=args.arch, arch_args=json.loads(args.arch_args),
                    upscale=args.upscale, size=args.size,
                    tile=args.tile if tiling == 'tiled' else None,
                    tile_pad=args.tile_pad, precision=precision,
                    device=args.device, save=save, runs=args.runs,
                    bare=not args.no_bare)
        proc = subprocess.run(
            [sys.executable, osp.abspath(__file__), '--worker',
             json.dumps(spec)], capture_output=True, text=True)
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ['?'])[-1]
            print(f'{mode:<14} failed (exit {proc.returncode}): {tail}')
            results.append(dict(mode=mode, failed=tail))
            continue
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        res['mode'] = mode
        # agreement with the first successful run, in 8-bit levels
        import numpy as np
        out = np.load(save)
        if ref is None:
            ref, diff = out, '-'
        else:
            diff = str(int(np.abs(out.astype(np.int16) - ref).max()))
            res['max_diff_levels'] = int(diff)
        os.remove(save)
        results.append(res)
        bare, ratio = res['bare_seconds'], res['run_over_bare']
        est = ('-' if res['estimate_mib'] is None
               else f'{res["estimate_mib"]:.0f}')
        print(f'{mode:<14} {res["amp_dtype"]:>9} {str(res["tile"]):>5} '
              f'{res["seconds"]:>8.2f} '
              f'{"-" if bare is None else format(bare, ".2f"):>8} '
              f'{"-" if ratio is None else format(ratio, ".3f"):>8} '
              f'{res["out_mpix"] / res["seconds"]:>9.3f} '
              f'{res["peak_rss_mib"]:>13.0f} {res["baseline_rss_mib"]:>13.0f}'
              f' {est:>8}'
              f' {diff:>9}' + (f'  GPU peak {res["gpu_peak_mib"]:.0f} MiB'
                               if 'gpu_peak_mib' in res else ''))
    os.rmdir(tmp)
    print('max diff: largest difference from the first mode, in 8-bit '
          'levels of the output; bare s: the network alone on each tile '
          'shape, summed over the tiles; est MiB: SRInferencer.memory_needed '
          '(compare with peak RSS minus before run)')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(machine=machine, machine_line=machine_line(machine),
                           args=vars(args), results=results), f, indent=2)
    return 0 if all('failed' not in r for r in results) else 1


if __name__ == '__main__':
    sys.exit(main())
