"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT``.

Prints mean PSNR/SSIM per test set (the config's ``test_dataloader``, e.g.
Set5 + Set14 + BSD68), writes per-image and mean results as JSON and CSV,
and with ``--save-dir`` the SR images. Checkpoints of srtoolbox, BasicSR
(``params``/``params_ema``), MMagic and the original ESRGAN load directly.
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

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
    parser.add_argument('config', help='config file (.py or .yaml)')
    parser.add_argument('checkpoint', help='checkpoint file (any layout)')
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
    parser.add_argument('--no-ema', action='store_true',
                        help='use the raw generator even if EMA is saved')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'],
                        default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    if args.test_sets:
        if not args.data_root:
            sys.exit('--test-sets needs --data-root')
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
        sys.exit(f'{args.config}: {err}')
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


def format_summary(metrics):
    sets = {}
    for name, value in metrics.items():
        dataset, _, metric = name.rpartition('/')
        sets.setdefault(dataset, {})[metric] = value
    lines = [f'{"dataset":<10} {"PSNR":>8} {"SSIM":>8}']
    for dataset, vals in sets.items():
        lines.append(f'{dataset:<10} {vals.get("PSNR", float("nan")):>8.2f} '
                     f'{vals.get("SSIM", float("nan")):>8.4f}')
    return '\n'.join(lines)


if __name__ == '__main__':
    main()
