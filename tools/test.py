"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT``.

``python tools/test.py CHECKPOINT [--data-root D --test-sets Set5 Set14]``
tests a file without its config: the architecture is detected (srtoolbox
metadata, the authors' EDSR/RCAN/MSRN releases, spandrel's architectures).

Prints mean PSNR/SSIM per test set (the config's ``test_dataloader``, e.g.
Set5 + Set14 + BSD68; ``--metrics PSNR SSIM NIQE LPIPS`` for more, LPIPS
skipped with one line when its weights are absent), writes per-image and
mean results as JSON and CSV,
and with ``--save-dir`` the SR images. Checkpoints of srtoolbox, BasicSR
(``params``/``params_ema``), MMagic and the original ESRGAN load directly.
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from srtoolbox.cli_errors import ToolError, one_line, tool_main  # noqa
from mmengine.config import DictAction  # noqa: E402

from srtoolbox.engine.launch import (DataNotFoundError,  # noqa: E402
                                     benchmark_dataloader, build_runner,
                                     load_config, prepare_test_config,
                                     set_data_root)
from srtoolbox.models.weights import load_pretrained_generator  # noqa: E402
from srtoolbox.engine.results import (collect_per_image,  # noqa: E402
                                      run_provenance, write_results)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test an SR model')
    parser.add_argument('config', help='config file (.py or .yaml); or, '
                        'alone, a checkpoint whose architecture is detected')
    parser.add_argument('checkpoint', nargs='?',
                        help='checkpoint file (any layout)')
    parser.add_argument('--work-dir', help='where logs go')
    parser.add_argument('--out', help='results path prefix: writes '
                        'PREFIX.json and PREFIX.csv (default: '
                        '<work_dir>/test_results)')
    parser.add_argument('--save-dir', help='write SR images here, as '
                        '<dataset>/<key>.png')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace existing images / results')
    parser.add_argument('--data-root', help='data_root of every test set')
    parser.add_argument('--test-sets', nargs='+', metavar='NAME',
                        help='replace the config\'s test sets by these HR '
                        'folders under --data-root, e.g. Set5 Set14 BSD68 '
                        '(LR made by bicubic downscaling)')
    parser.add_argument('--metrics', nargs='+',
                        choices=['PSNR', 'SSIM', 'NIQE', 'LPIPS'],
                        help='replace the config\'s test metrics by these, '
                        'with its crop_border and test_y_channel')
    parser.add_argument('--no-ema', action='store_true',
                        help='use the raw generator even if EMA is saved')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'],
                        default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser.parse_args(argv)


@tool_main
def main(argv=None):
    args = parse_args(argv)
    if args.checkpoint is None:  # a checkpoint alone: see test_detected
        return test_detected(args)
    cfg = load_config(args.config, args.cfg_options)
    if args.metrics:
        cfg.test_evaluator = replace_metrics(cfg.test_evaluator, args.metrics)
    if args.test_sets:
        if not args.data_root:
            raise ToolError('--test-sets needs --data-root')
        scale = cfg.model.generator.get('upscale', 4)
        cfg.test_dataloader = benchmark_dataloader(args.data_root,
                                                   args.test_sets, scale)
        for metric in cfg.test_evaluator:
            metric['crop_border'] = scale
    elif args.data_root:
        set_data_root(cfg.test_dataloader.dataset, args.data_root)
    if args.save_dir:
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
            dict(type='SaveSRImagesHook', out_dir=args.save_dir,
                 overwrite=args.overwrite)]
    try:
        cfg = prepare_test_config(cfg, args.checkpoint,
                                  config_path=args.config,
                                  work_dir=args.work_dir,
                                  launcher=args.launcher)
    except (DataNotFoundError, FileNotFoundError) as err:
        raise ToolError(f'{args.config}: {one_line(err)}') from err
    runner = build_runner(cfg)
    load_pretrained_generator(runner.model, args.checkpoint,
                              prefer_ema=not args.no_ema)
    started = time.time()
    metrics = runner.test()
    from mmengine.dist import is_main_process
    if not is_main_process():
        return
    rows = collect_per_image(runner.test_evaluator)
    prefix = args.out or osp.join(cfg.work_dir, 'test_results')
    # what the figures came from: commit, config and checkpoint hashes,
    # precision, machine, versions (srtoolbox.utils.provenance)
    meta = run_provenance(runner, checkpoint=args.checkpoint,
                          started=started, precision='fp32')
    paths = write_results(rows, dict(metrics), prefix, meta=meta,
                          overwrite=True if args.out is None
                          else args.overwrite)
    print('\n' + format_summary(metrics))
    print(f'per-image results: {paths[0]} and {paths[1]}')


def replace_metrics(evaluator, names):
    """Metric configs ``names`` with the conventions (``crop_border``,
    ``test_y_channel``) of the evaluator's first metric."""
    first = evaluator[0] if isinstance(evaluator, (list, tuple)) \
        else evaluator.get('metrics', evaluator)
    if isinstance(first, (list, tuple)):
        first = first[0]
    keep = {k: first[k] for k in ('crop_border', 'test_y_channel')
            if k in first}
    return [dict(type=name, **keep) for name in names]


_FORMATS = dict(PSNR='.2f', SSIM='.4f', NIQE='.4f', LPIPS='.4f')


def test_detected(args):
    """``tools/test.py CHECKPOINT [--data-root D] [--test-sets ...]``: the
    network detected from the file, on the benchmarks (default: the vendored
    Set5 and Set14) with PSNR/SSIM on Y, ``scale`` pixels cropped."""
    from srtoolbox.apis.config_free import (load_detected_weights,
                                            test_config_from_checkpoint)
    args.checkpoint, args.config = args.config, None
    cfg, detected = test_config_from_checkpoint(
        args.checkpoint, data_root=args.data_root or 'data/demo',
        test_sets=args.test_sets or ('Set5', 'Set14'),
        prefer_ema=not args.no_ema, work_dir=args.work_dir)
    print(f'detected: {detected.describe()}')
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.save_dir:
        cfg.custom_hooks = [dict(type='SaveSRImagesHook', out_dir=args.save_dir,
                                 overwrite=args.overwrite)]
    try:
        cfg = prepare_test_config(cfg, args.checkpoint,
                                  work_dir=args.work_dir,
                                  launcher=args.launcher)
    except (DataNotFoundError, FileNotFoundError) as err:
        raise ToolError(f'{args.checkpoint}: {one_line(err)}') from err
    runner = build_runner(cfg)
    load_detected_weights(runner.model, detected)
    metrics = runner.test()
    from mmengine.dist import is_main_process
    if not is_main_process():
        return
    rows = collect_per_image(runner.test_evaluator)
    prefix = args.out or osp.join(cfg.work_dir, 'test_results')
    paths = write_results(rows, dict(metrics), prefix,
                          meta=dict(checkpoint=args.checkpoint,
                                    generator=detected.generator_cfg),
                          overwrite=True if args.out is None
                          else args.overwrite)
    print('\n' + format_summary(metrics))
    print(f'per-image results: {paths[0]} and {paths[1]}')


def format_summary(metrics):
    sets, names = {}, []
    for name, value in metrics.items():
        dataset, _, metric = name.rpartition('/')
        sets.setdefault(dataset, {})[metric] = value
        if metric not in names:
            names.append(metric)
    names = names or ['PSNR', 'SSIM']
    lines = [f'{"dataset":<10}' + ''.join(f' {m:>8}' for m in names)]
    for dataset, vals in sets.items():
        lines.append(f'{dataset:<10}' + ''.join(
            f' {vals.get(m, float("nan")):>8{_FORMATS.get(m, ".4f")}}'
            for m in names))
    return '\n'.join(lines)


if __name__ == '__main__':
    sys.exit(main())
