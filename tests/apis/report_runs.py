"""Real inputs for the report tests: two tiny training runs of
``tools/train.py``'s runner (tests/engine/tiny_run.py's MSRResNet with 8
features and 1 block on 40 px images; validation on two 64 px images;
summary.json from BicubicComparisonHook),
made once per test session and shared by the report test files."""
import os.path as osp

from tests.engine.tiny_run import tiny_config, train_in_process, write_images

_CACHE = {}

# (name, learning rate): different weights, so different SR images
RUNS = (('tiny_a', 2e-3), ('tiny_b', 5e-3))


def tiny_runs(tmp_path_factory):
    """``(root, [work dir, work dir])``; ``root/val`` holds the test set."""
    if 'runs' in _CACHE:
        return _CACHE['runs']
    root = tmp_path_factory.mktemp('report_runs')
    write_images(str(root / 'train'), 4, 40, seed=0)
    write_images(str(root / 'val'), 2, 64, seed=1)
    dirs = []
    for name, lr in RUNS:
        config = tiny_config(
            root, root / f'{name}.py', custom_imports='None',
            custom_hooks='[]',
            optim_wrapper=f"dict(type='OptimWrapper', optimizer=dict("
                          f"type='Adam', lr={lr}))",
            train_cfg='dict(max_iters=4, val_interval=2)',
            default_hooks='dict(logger=dict(interval=1), checkpoint=dict('
                          'interval=4, max_keep_ckpts=1))')
        # BicubicComparisonHook writes summary.json with the provenance
        train_in_process(config, root / name, custom_hooks=[dict(
            type='BicubicComparisonHook', crop_border=0,
            test_y_channel=False)])
        dirs.append(str(root / name))
    _CACHE['runs'] = (root, dirs)
    return _CACHE['runs']


def build(inputs, out, root, **options):
    """The report of ``inputs`` on the tiny test set, quietly."""
    from srtoolbox.apis.report import build_report
    options.setdefault('crop_size', 64)
    return build_report(inputs, str(out), data_root=str(root),
                        test_sets=['val'], log=lambda *a: None, **options)


def exists(*parts):
    return osp.exists(osp.join(*parts))
