"""Training speed of a config: fp32 NCHW against the fast settings.

    python tools/benchmark_train.py configs/srresnet/srresnet_x4_demo.py
    python tools/benchmark_train.py CONFIG --iters 10 --compile --json out.json

For every setting it times two things:

* ``runner``: the config's real training (mmengine Runner, data loading
  with the config's workers, hooks, logging) for ``--warmup + --iters``
  iterations, without validation or checkpoints; seconds per iteration,
  samples per second and the share of each iteration spent waiting for
  data (mmengine's ``data_time``);
* ``bare``: the same network, loss and optimizer in a plain PyTorch loop on
  random tensors of the batch's shape (no data loading, no runner), which
  shows what the runner and the data pipeline add;
* ``floor``: the hardware floor of the step
  (:func:`srtoolbox.engine.benchmark.conv_floor`): every convolution of the
  generator at its own shape in the step, forward + backward alone, in the
  setting's precision and memory format with tensors already in it, summed
  (identical shapes timed once and multiplied by their count). The ratios
  ``step/floor`` (bare step over floor), ``runner/floor`` and
  ``runner/bare`` say where the time above the convolutions goes.

``--json`` keeps, per setting, ``runner_s_per_iter``, ``bare_s_per_iter``,
``floor_s_per_iter``, ``step_over_floor``, ``runner_over_floor``,
``runner_over_bare`` (None where not measured) and the per-shape
``floor_layers``; ``machine`` says what it ran on.

Settings: ``fp32`` (NCHW), ``channels_last``, ``bf16`` (channels-last +
bf16 autocast; measured only where bf16 is native: Ampere+ GPUs, CPUs with
AVX-512 BF16/AMX; elsewhere emulated bf16 is several times slower and the
row says so) and, with ``--compile``, ``compile`` (channels-last +
``torch.compile`` of the networks; its warm-up includes compilation).
The first ``--warmup`` iterations are not timed; figures are medians over
the timed ones, the fastest of ``--repeats`` round-robin repeats (a shared
machine's bursts of load then hit every setting alike).
"""
import argparse
import copy
import gc
import json
import os
import os.path as osp
import sys
import tempfile
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from srtoolbox.cli_errors import tool_main  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import DictAction  # noqa: E402
from mmengine.hooks import Hook  # noqa: E402

from srtoolbox.engine.benchmark import (conv_floor, machine_info,  # noqa
                                        machine_line)
from srtoolbox.engine.config_checks import follow_max_iters  # noqa: E402
from srtoolbox.engine.config_files import wrapper_configs  # noqa: E402
from srtoolbox.engine.launch import (build_runner, load_config,  # noqa: E402
                                     prepare_train_config)
from srtoolbox.engine.optim_wrapper import resolve_amp_dtype  # noqa: E402

SETTINGS = {
    # name: (channels_last, autocast dtype or None, compile)
    'fp32': (False, None, False),
    'channels_last': (True, None, False),
    'bf16': (True, 'bfloat16', False),
    'compile': (True, None, True),
    'bf16_compile': (True, 'bfloat16', True),
}


def bf16_is_native():
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    return resolve_amp_dtype(device, 'auto') == torch.bfloat16


def _set_channels_last(model_cfg, on):
    model_cfg['channels_last'] = on
    model_cfg.setdefault('data_preprocessor',
                         dict(type='SRDataPreprocessor'))
    model_cfg['data_preprocessor']['channels_last'] = on


def _set_precision(optim_cfg, dtype):
    """fp32 (plain OptimWrapper) or autocast to ``dtype``, for one wrapper or
    each of a GAN's."""
    for _, w in wrapper_configs(optim_cfg):
        w.pop('dtype', None)
        if dtype is None:
            w['type'] = 'OptimWrapper'
        else:
            w['type'] = 'AutocastOptimWrapper'
            w['dtype'] = dtype


def setting_config(cfg, setting, iters, work_dir):
    """``cfg`` changed to train ``iters`` iterations of ``setting`` with
    nothing but training (no validation, checkpoints or images)."""
    channels_last, dtype, compile_ = SETTINGS[setting]
    cfg = copy.deepcopy(cfg)
    _set_channels_last(cfg.model, channels_last)
    _set_precision(cfg.optim_wrapper, dtype)
    cfg.compile = True if compile_ else None
    old_iters = cfg.train_cfg.get('max_iters')
    cfg.train_cfg = dict(type=cfg.train_cfg.get('type', 'IterBasedTrainLoop'),
                         max_iters=iters, val_interval=iters + 1)
    # the schedule shrinks with the run (its per-step cost stays measured)
    follow_max_iters(cfg, old_iters, {})
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        interval=iters + 1, save_last=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=iters + 1)
    cfg.custom_hooks = []
    cfg.log_level = 'WARNING'
    cfg.work_dir = work_dir
    # mmengine names its logger and visualizer after the experiment, by
    # default the config and the second: two short runs in one second
    # would share the first's (and its deleted work dir)
    cfg.experiment_name = f'benchmark_{setting}_{time.time_ns()}'
    cfg.resume, cfg.load_from = False, None
    return cfg


def time_runner(cfg, setting, warmup, iters):
    """Seconds per iteration and data-loading seconds per iteration of the
    Runner, timed iterations only."""
    with tempfile.TemporaryDirectory() as work_dir:
        run_cfg = setting_config(cfg, setting, warmup + iters, work_dir)
        run_cfg = prepare_train_config(run_cfg, work_dir=work_dir,
                                       check_data=True)
        runner = build_runner(run_cfg)
        runner.train()
        hub = runner.message_hub
        times = hub.get_scalar('train/time').data[0][warmup:]
        data = hub.get_scalar('train/data_time').data[0][warmup:]
        del runner, hub  # stops the loader's workers before the next timing
        gc.collect()
    # medians: a shared machine's bursts of load skew means
    return float(np.median(times)), float(np.median(data))


class _Clock(Hook):
    """A last hook that notes wall and process CPU time after every
    training iteration (each iteration's full cost: data, step, hooks)."""
    priority = 'LOWEST'

    def __init__(self):
        self.wall, self.cpu = [], []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.wall.append(time.perf_counter())
        self.cpu.append(time.process_time())

    def per_iter(self, warmup):
        """Median wall, fastest wall and median CPU seconds of the
        iterations after warm-up."""
        wall, cpu = np.diff(self.wall[warmup - 1:]), np.diff(
            self.cpu[warmup - 1:])
        return (float(np.median(wall)), float(np.min(wall)),
                float(np.median(cpu)))


def time_runner_tiny(cfg, warmup, iters, in_memory, profile=None):
    """Wall and CPU seconds per iteration and ``data_time`` of the fp32
    Runner with the config's logger interval (the fixed cost of a real
    run). ``in_memory``: one batch loaded before and fed again every
    iteration, so data loading is excluded."""
    import itertools
    with tempfile.TemporaryDirectory() as work_dir:
        run_cfg = setting_config(cfg, 'fp32', warmup + iters, work_dir)
        run_cfg.default_hooks.logger = copy.deepcopy(cfg.default_hooks.logger)
        if in_memory:
            run_cfg.train_dataloader.num_workers = 0
            run_cfg.train_dataloader.persistent_workers = False
        run_cfg = prepare_train_config(run_cfg, work_dir=work_dir,
                                       check_data=True)
        runner = build_runner(run_cfg)
        clock = _Clock()
        runner.register_hook(clock, 'LOWEST')
        if in_memory:
            loop = runner.build_train_loop(runner._train_loop)
            runner._train_loop = loop
            loop.dataloader_iterator = itertools.repeat(
                next(loop.dataloader_iterator))
        if profile:  # what the runner runs, on the process's CPU clock
            import cProfile
            import pstats
            prof = cProfile.Profile(time.process_time)
            prof.runcall(runner.train)
            prof.dump_stats(profile)
            stats = pstats.Stats(prof)
            print(f'profile of the in-memory runner ({warmup + iters} '
                  f'iterations): {stats.total_calls} function calls, '
                  f'{stats.total_tt:.3f} s CPU; pstats in {profile}')
        else:
            runner.train()
        data = runner.message_hub.get_scalar('train/data_time').data[0]
        data = float(np.median(data[warmup:]))
        del runner
        gc.collect()
    wall, fastest, cpu = clock.per_iter(warmup)
    return dict(seconds=wall, fastest_seconds=fastest, cpu_seconds=cpu,
                data_seconds=data)


# the fixed-cost network: MSRResNet shrunk so that the step is
# short and what the runner adds around it shows
TINY_OPTIONS = {'model.generator.num_feat': 8, 'model.generator.num_blocks': 1,
                'train_dataloader.batch_size': 2}


def run_tiny(cfg, args):
    """Fixed cost of the runner per iteration, in ms: the runner on one
    in-memory batch (no data loading) against the bare loop, and the
    runner on the config's data pipeline beside it (what loading adds,
    reported separately). Wall and process CPU time: on a loaded machine
    the CPU time is the steadier figure."""
    shapes = _batch_shapes(cfg)
    rows = dict(bare=[], runner_in_memory=[], runner_pipeline=[])
    for _ in range(args.repeats):  # round robin, fastest repeat kept
        rows['bare'].append(time_bare_step(
            cfg, 'fp32', args.warmup, args.iters, shapes, with_details=True))
        rows['runner_in_memory'].append(time_runner_tiny(
            cfg, args.warmup, args.iters, in_memory=True))
        if getattr(args, 'profile', None) and len(rows['bare']) == 1:
            time_runner_tiny(cfg, args.warmup, args.iters, in_memory=True,
                             profile=args.profile)
        rows['runner_pipeline'].append(time_runner_tiny(
            cfg, args.warmup, args.iters, in_memory=False))
        print('tiny: ' + ', '.join(
            f'{k} {v[-1]["seconds"] * 1e3:.2f} ms' for k, v in rows.items())
            + f', load {os.getloadavg()[0]:.2f}', flush=True)
    best = {k: {f: min(r[f] for r in v) for f in (
        'seconds', 'fastest_seconds', 'cpu_seconds')} for k, v in rows.items()}
    best['runner_pipeline']['data_seconds'] = min(
        r['data_seconds'] for r in rows['runner_pipeline'])
    ms = {k: {f: v * 1e3 for f, v in r.items()} for k, r in best.items()}
    result = dict(runner_with_data_ms=ms['runner_pipeline']['seconds'],
                  data_time_ms=ms['runner_pipeline']['data_seconds'],
                  load_average=round(os.getloadavg()[0], 2))
    # bare_ms, runner_ms, fixed_cost_ms; fastest_*; *_cpu_ms
    for field, prefix, suffix in (('seconds', '', ''),
                                  ('fastest_seconds', 'fastest_', ''),
                                  ('cpu_seconds', '', '_cpu')):
        bare, run = ms['bare'][field], ms['runner_in_memory'][field]
        result.update({f'{prefix}bare{suffix}_ms': bare,
                       f'{prefix}runner{suffix}_ms': run,
                       f'{prefix}fixed_cost{suffix}_ms': run - bare})
    print(f'\ntiny MSRResNet (8 features, 1 block, batch 2, LR '
          f'{shapes[0][2]}x{shapes[0][3]}), fp32, {args.warmup} warm-up + '
          f'{args.iters} timed iterations, fastest of {args.repeats}:')
    print(f'  runner {result["runner_ms"]:.2f} ms, bare '
          f'{result["bare_ms"]:.2f} ms, fixed cost '
          f'{result["fixed_cost_ms"]:+.2f} ms per iteration (wall, medians; '
          'data loading excluded)')
    print(f'  runner {result["fastest_runner_ms"]:.2f} ms, bare '
          f'{result["fastest_bare_ms"]:.2f} ms, fixed cost '
          f'{result["fastest_fixed_cost_ms"]:+.2f} ms per iteration (wall, '
          'fastest iterations: what a loaded machine leaves of a quiet one)')
    print(f'  runner {result["runner_cpu_ms"]:.2f} ms, bare '
          f'{result["bare_cpu_ms"]:.2f} ms, fixed cost '
          f'{result["fixed_cost_cpu_ms"]:+.2f} ms per iteration (CPU time of '
          'the training process)')
    print('  with the data pipeline: runner '
          f'{result["runner_with_data_ms"]:.2f} ms, of which data_time '
          f'{result["data_time_ms"]:.2f} ms, load {result["load_average"]}')
    return result


def _batch_shapes(cfg):
    """(LR batch shape, HR batch shape) of the training dataloader."""
    from mmengine.registry import DATASETS, DefaultScope
    with DefaultScope.overwrite_default_scope('srtoolbox'):
        dataset = DATASETS.build(copy.deepcopy(cfg.train_dataloader.dataset))
    sample = dataset[0]
    batch = cfg.train_dataloader.batch_size
    gt_shape = tuple(sample['data_samples']['gt'].shape)
    scale = sample['data_samples'].get('lq_scale') or cfg.model.get(
        'data_preprocessor', {}).get('lq_from_gt')
    if sample['inputs'].numel() == 0 and scale:
        # the LR is made on the device from the HR (the sample's 'inputs'
        # is an empty placeholder): its shape follows from the scale
        channels, height, width = gt_shape
        lr_shape = (channels, height // scale, width // scale)
    else:
        lr_shape = tuple(sample['inputs'].shape)
    return (batch, *lr_shape), (batch, *gt_shape)


def time_bare_step(cfg, setting, warmup, iters, shapes, with_details=False,
                   profile_iters=0):
    """Seconds per iteration of forward, loss, backward and optimizer step
    of the config's generator on random tensors (no runner, no data);
    ``with_details``: a dict with the median wall (``seconds``) and process
    CPU (``cpu_seconds``) time and the warm-up's wall time (with any
    compilation, ``warmup_seconds``), and with ``profile_iters`` more
    iterations under ``torch.profiler``, its operators per iteration
    (``profile``: the table :func:`profile_table` prints)."""
    from mmengine.registry import DefaultScope
    from srtoolbox.registry import GENERATORS, LOSSES
    channels_last, dtype, compile_ = SETTINGS[setting]
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    with DefaultScope.overwrite_default_scope('srtoolbox'):
        net = GENERATORS.build(copy.deepcopy(cfg.model.generator)).to(device)
        loss_fn = LOSSES.build(copy.deepcopy(
            cfg.model.get('pixel_loss') or dict(type='L1Loss'))).to(device)
    # the optimizer the runner gets: prepare_train_config turns on the
    # multi-tensor step of optimizers left at the default
    from srtoolbox.engine.optim_wrapper import use_foreach_optimizers
    wrapper = dict(optimizer=dict(cfg.optim_wrapper.get('optimizer') or dict(
        type='Adam', lr=1e-4)))
    _set_precision(wrapper, dtype)  # bf16 on a CPU: a fused step
    use_foreach_optimizers(wrapper, device)
    optim_cfg = wrapper['optimizer']
    optimizer = getattr(torch.optim, optim_cfg.pop('type'))(
        net.parameters(), **optim_cfg)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    net = net.to(memory_format=fmt)
    if compile_:
        net.compile()
    lq = torch.rand(shapes[0], device=device).contiguous(memory_format=fmt)
    gt = torch.rand(shapes[1], device=device)
    cast = dict(device_type=device, dtype=torch.bfloat16,
                enabled=dtype is not None)

    def step():
        with torch.autocast(**cast):
            out = net(lq)
        loss = loss_fn(out.float(), gt)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if device == 'cuda':
            torch.cuda.synchronize()

    times, cpu_times = [], []
    for _ in range(warmup + iters):
        start, cpu_start = time.perf_counter(), time.process_time()
        step()
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    details = dict(seconds=float(np.median(times[warmup:])),
                   fastest_seconds=float(np.min(times[warmup:])),
                   cpu_seconds=float(np.median(cpu_times[warmup:])),
                   warmup_seconds=float(sum(times[:warmup])))
    if profile_iters:
        from torch.profiler import ProfilerActivity, profile
        activities = [ProfilerActivity.CPU] + (
            [ProfilerActivity.CUDA] if device == 'cuda' else [])
        with profile(activities=activities, record_shapes=True) as prof:
            for _ in range(profile_iters):
                step()
        details['profile'] = profile_rows(prof, profile_iters)
    if with_details:
        return details
    return float(np.median(times[warmup:]))


def profile_rows(prof, iters):
    """The profiled operators, costliest first, per iteration: dicts of
    ``name``, ``shapes`` (input shapes), ``calls`` and ``self_ms`` (the
    operator's own time, device time where a GPU ran it)."""
    rows = []
    for event in prof.key_averages(group_by_input_shape=True):
        self_us = max(event.self_cpu_time_total,
                      getattr(event, 'self_device_time_total', 0) or 0)
        rows.append(dict(name=event.key, shapes=str(event.input_shapes),
                         calls=event.count / iters,
                         self_ms=self_us / 1e3 / iters))
    rows.sort(key=lambda r: -r['self_ms'])
    return rows


def profile_table(rows, total_s, limit=25):
    """Lines for the first ``limit`` of :func:`profile_rows`, with each
    row's share of a step of ``total_s`` seconds."""
    lines = []
    for r in rows[:limit]:
        share = r['self_ms'] / 1e3 / total_s if total_s else float('nan')
        lines.append(f'  {r["self_ms"]:8.2f} ms {share:6.1%}  '
                     f'{r["calls"]:6.1f} x {r["name"]} {r["shapes"][:90]}')
    return lines


def time_floor(cfg, setting, warmup, iters, shapes):
    """The step's floor for ``setting`` (a :class:`FloorResult`): the
    config's generator's convolutions at the LR batch shape, in the
    setting's memory format and precision."""
    from mmengine.registry import DefaultScope
    from srtoolbox.registry import GENERATORS
    channels_last, dtype, _ = SETTINGS[setting]
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    with DefaultScope.overwrite_default_scope('srtoolbox'):
        net = GENERATORS.build(copy.deepcopy(cfg.model.generator))
    return conv_floor(net.to(device), shapes[0], channels_last=channels_last,
                      dtype=getattr(torch, dtype or 'float32'),
                      device=device, iters=iters, warmup=warmup)


def _ratio(num, den):
    return num / den if num and den else None


def add_ratios(row):
    """The ratios of one setting's row (None where a figure is missing)."""
    run, bare = row.get('runner_s_per_iter'), row.get('bare_s_per_iter')
    floor = row.get('floor_s_per_iter')
    row.update(step_over_floor=_ratio(bare, floor),
               runner_over_floor=_ratio(run, floor),
               runner_over_bare=_ratio(run, bare))
    return row


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--iters', type=int, default=5,
                        help='timed iterations per setting (default 5)')
    parser.add_argument('--warmup', type=int, default=2,
                        help='untimed first iterations (default 2)')
    parser.add_argument('--repeats', type=int, default=1,
                        help='time every setting this many times, round '
                        'robin, and keep the fastest (default 1)')
    parser.add_argument('--settings', nargs='*', choices=list(SETTINGS),
                        default=['fp32', 'channels_last', 'bf16'],
                        help='settings of the table (none: --tiny only)')
    parser.add_argument('--tiny', action='store_true',
                        help='first the fixed cost of the runner per '
                        'iteration: MSRResNet with 8 features and 1 block, '
                        'batch 2, fp32; runner on an in-memory batch against '
                        'the bare loop, in ms, and the data pipeline apart')
    parser.add_argument('--tiny-iters', type=int, default=60,
                        help='timed iterations of --tiny (default 60)')
    parser.add_argument('--tiny-warmup', type=int, default=10,
                        help='untimed iterations of --tiny (default 10)')
    parser.add_argument('--tiny-profile', metavar='FILE',
                        help='also profile one in-memory --tiny run '
                        '(cProfile, CPU clock) and write its pstats here')
    parser.add_argument('--profile-bare', type=int, default=0, metavar='N',
                        help='also profile N iterations of each bare step '
                        '(torch.profiler) and print its costliest operators '
                        'by input shape, per iteration: what separates the '
                        'step from its floor')
    parser.add_argument('--threads', type=int,
                        help='torch intra-op threads (default: torch\'s)')
    parser.add_argument('--compile', action='store_true',
                        help="also time 'compile' (slow warm-up)")
    parser.add_argument('--no-bare', action='store_true',
                        help='skip the plain PyTorch loop')
    parser.add_argument('--no-runner', action='store_true',
                        help='skip the mmengine Runner (bare step and '
                        'floor only)')
    parser.add_argument('--no-floor', action='store_true',
                        help='skip the per-convolution floor')
    parser.add_argument('--json', help='also write the figures here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. '
                        'train_dataloader.batch_size=8')
    return parser.parse_args(argv)


def _fmt(value, spec='.3f'):
    return '-' if value is None else format(value, spec)


def print_table(rows):
    print('| setting | runner s/iter | samples/s | data_time share | '
          'bare step s/iter | floor s/iter | step/floor | runner/floor | '
          'runner/bare |')
    print('|---|---|---|---|---|---|---|---|---|')
    for r in rows:
        if 'skipped' in r:
            print(f'| {r["setting"]} | {r["skipped"]} | | | | | | | |')
            continue
        share = r.get('data_time_share')
        print(f'| {r["setting"]} | {_fmt(r.get("runner_s_per_iter"))} | '
              f'{_fmt(r.get("samples_per_s"), ".1f")} | '
              f'{_fmt(share, ".1%")} | {_fmt(r.get("bare_s_per_iter"))} | '
              f'{_fmt(r.get("floor_s_per_iter"))} | '
              f'{_fmt(r.get("step_over_floor"), ".2f")} | '
              f'{_fmt(r.get("runner_over_floor"), ".2f")} | '
              f'{_fmt(r.get("runner_over_bare"), ".2f")} |')


@tool_main
def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = load_config(args.config, args.cfg_options)
    settings = list(args.settings)
    if args.compile and 'compile' not in settings:
        settings.append('compile')
    batch = cfg.train_dataloader.batch_size
    need_shapes = not (args.no_bare and args.no_floor)
    shapes = _batch_shapes(cfg) if need_shapes and settings else None
    machine = machine_info()
    print(machine_line(machine), flush=True)
    tiny = None
    if args.tiny:
        tiny_cfg = load_config(args.config, dict(TINY_OPTIONS,
                                                 **(args.cfg_options or {})))
        tiny_args = argparse.Namespace(warmup=args.tiny_warmup,
                                       iters=args.tiny_iters,
                                       repeats=args.repeats,
                                       profile=args.tiny_profile)
        tiny = run_tiny(tiny_cfg, tiny_args)
        print(flush=True)
    if not settings:
        _write_json(args, machine, batch, shapes, [], tiny)
        return
    print(f'{args.config}: batch {batch}, LR {shapes[0][2:] if shapes else ""}'
          f', {args.warmup} warm-up + {args.iters} timed iterations, '
          f'{args.repeats} repeat(s)', flush=True)
    rows = []
    for setting in settings:
        row = dict(setting=setting, runner_s_per_iter=None,
                   bare_s_per_iter=None, floor_s_per_iter=None)
        if SETTINGS[setting][1] and not bf16_is_native():
            row['skipped'] = 'no native bf16 here (emulated: slower)'
            print(f'{setting}: skipped, {row["skipped"]}', flush=True)
        rows.append(row)
    active = [r for r in rows if 'skipped' not in r]

    def keep_min(row, key, sec):
        old = row.get(key)
        row[key] = sec if old is None else min(old, sec)
        return row[key] == sec

    # round robin, so that a burst of load on a shared machine hits every
    # setting alike; the fastest repeat of each is kept
    for _ in range(args.repeats):
        for row in active:  # before any runner: no loader workers alive
            if not args.no_floor:
                floor = time_floor(cfg, row['setting'], args.warmup,
                                   args.iters, shapes)
                if keep_min(row, 'floor_s_per_iter', floor.seconds):
                    row['floor_layers'] = [t.to_dict() for t in floor.layers]
            if not args.no_bare:
                if SETTINGS[row['setting']][2]:
                    torch._dynamo.reset()  # compiled afresh, timed below
                bare = time_bare_step(
                    cfg, row['setting'], args.warmup, args.iters, shapes,
                    with_details=True, profile_iters=0 if 'bare_profile'
                    in row else args.profile_bare)
                keep_min(row, 'bare_s_per_iter', bare['seconds'])
                if 'profile' in bare:
                    row['bare_profile'] = bare['profile']
                if SETTINGS[row['setting']][2] and 'compile_s' not in row:
                    # the process's first compile of the step (later ones
                    # reuse caches): warm-up beyond its steady iterations
                    row['compile_s'] = max(0.0, bare['warmup_seconds']
                                           - args.warmup * bare['seconds'])
            print(f'{row["setting"]}: floor {_fmt(row["floor_s_per_iter"])}'
                  f', bare {_fmt(row["bare_s_per_iter"])} s/iter, load '
                  f'{os.getloadavg()[0]:.2f}', flush=True)
        for row in active:
            if not args.no_runner:
                sec, data = time_runner(cfg, row['setting'], args.warmup,
                                        args.iters)
                if keep_min(row, 'runner_s_per_iter', sec):
                    row.update(samples_per_s=batch / sec,
                               data_time_share=data / sec)
            row.setdefault('load_average', []).append(
                round(os.getloadavg()[0], 2))
            add_ratios(row)
            print(f'{row["setting"]}: ' + ', '.join(
                f'{k} {_fmt(row.get(k))}' for k in (
                    'runner_s_per_iter', 'bare_s_per_iter',
                    'floor_s_per_iter', 'step_over_floor',
                    'runner_over_floor', 'runner_over_bare'))
                + f', load {row["load_average"][-1]}', flush=True)
    for row in active:
        add_ratios(row)
    print()
    print_table(rows)
    for row in active:
        if row.get('floor_layers'):
            print(f'\nfloor of {row["setting"]}, per convolution shape '
                  '(count x seconds of forward + backward):')
            for t in row['floor_layers']:
                print(f'  {t["label"]:<32} {t["count"]:>3} x '
                      f'{t["seconds"]:.4f} s = {t["total_seconds"]:.3f} s')
        if row.get('bare_profile'):
            print(f'\nbare step of {row["setting"]}, costliest operators '
                  f'per iteration ({args.profile_bare} profiled; self time, '
                  'share of the bare step, calls, input shapes):')
            print('\n'.join(profile_table(row['bare_profile'],
                                         row['bare_s_per_iter'])))
    compile_verdicts(rows)
    _write_json(args, machine, batch, shapes, rows, tiny)


# the demos' budget: torch.compile must pay for itself within it
DEMO_ITERS = 360


def compile_verdicts(rows, budget=DEMO_ITERS):
    """For each compiled setting next to its eager twin (``compile`` and
    ``channels_last``, ``bf16_compile`` and ``bf16``): its compile time
    (the bare loop's first warm-up beyond its steady iterations; set
    ``TORCHINDUCTOR_FX_GRAPH_CACHE=0`` for a cold compile) and whether it
    wins over ``budget`` iterations including it; printed and kept in the
    row (``compile_wins_over_<budget>``)."""
    by_name = {r['setting']: r for r in rows}
    twins = dict(compile='channels_last', bf16_compile='bf16')
    for name, eager_name in twins.items():
        row, eager = by_name.get(name), by_name.get(eager_name)
        if not row or not eager or row.get('compile_s') is None:
            continue
        fast, slow = row.get('runner_s_per_iter'), eager.get(
            'runner_s_per_iter')
        if not fast or not slow:
            continue
        saved = budget * (slow - fast)
        wins = saved > row['compile_s']
        row[f'compile_wins_over_{budget}'] = wins
        print(f'{name}: compile {row["compile_s"]:.1f} s, then '
              f'{fast:.3f} s/iter against {slow:.3f} ({eager_name}): over '
              f'{budget} iterations saves {saved:.1f} s, so compile '
              f'{"wins" if wins else "loses"}', flush=True)


def _write_json(args, machine, batch, shapes, rows, tiny):
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(config=args.config, machine=machine,
                           machine_line=machine_line(machine), batch=batch,
                           lr_shape=list(shapes[0]) if shapes else None,
                           rows=rows, tiny=tiny), f, indent=2)


if __name__ == '__main__':
    sys.exit(main())
