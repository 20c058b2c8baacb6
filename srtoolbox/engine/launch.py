"""From a config file to a ready mmengine ``Runner``.

The command-line tools are thin wrappers over these functions, so everything
they do can be done from Python::

    from srtoolbox.engine.launch import load_config, prepare_train_config
    cfg = prepare_train_config(load_config('configs/srresnet/...py'))
    build_runner(cfg).train()
"""
import os
import os.path as osp

from mmengine.config import Config, DictAction  # noqa: F401 (re-export)

__all__ = ['load_config', 'prepare_train_config', 'prepare_test_config',
           'build_runner', 'check_data_paths', 'DataNotFoundError']


class DataNotFoundError(FileNotFoundError):
    """A dataset folder or LMDB named in a config does not exist."""


def load_config(path, cfg_options=None):
    """Read a Python (``.py``) or YAML (``.yaml``/``.yml``) config.

    Both may inherit with ``_base_``; ``cfg_options`` (``{'a.b': v}``) are
    merged last, as ``--cfg-options a.b=v`` does.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file {path} does not exist')
    ext = osp.splitext(path)[1]
    if ext not in ('.py', '.yaml', '.yml', '.json'):
        raise ValueError(f'{path}: configs are .py, .yaml/.yml or .json, '
                         f'not {ext!r}')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def _dataset_paths(dataset):
    """(path, field) of every folder/LMDB a dataset config reads."""
    if dataset is None:
        return []
    if dataset.get('type') in ('ConcatDataset', 'RepeatDataset'):
        inner = dataset.get('datasets') or [dataset.get('dataset')]
        return [p for d in inner for p in _dataset_paths(d)]
    root = dataset.get('data_root', '') or ''
    paths = []
    for field in ('gt_folder', 'lq_folder'):
        if dataset.get(field):
            paths.append((osp.join(root, dataset[field]), field))
    return paths


def check_data_paths(cfg, which=('train', 'val')):
    """Raise :class:`DataNotFoundError` naming every missing data path.

    The message includes the config's ``data_preparation`` text (how to make
    the data) when it has one.
    """
    missing = []
    for split in which:
        loader = cfg.get(f'{split}_dataloader')
        if not loader:
            continue
        for path, field in _dataset_paths(loader.get('dataset')):
            if not osp.exists(path):
                missing.append(f'{split}_dataloader.dataset.{field}: {path}')
    if missing:
        hint = cfg.get('data_preparation', '')
        raise DataNotFoundError(
            'data not found:\n  ' + '\n  '.join(missing) +
            ('\n' + hint if hint else '\nPrepare it, or point the config at '
             'your copy with --cfg-options.'))


def _use_amp(cfg, amp):
    if not amp:
        return
    wrapper = cfg.optim_wrapper
    # one wrapper, or a dict of wrappers (GANs: generator / discriminator)
    targets = [wrapper] if 'optimizer' in wrapper else [
        w for w in wrapper.values() if isinstance(w, dict)]
    for w in targets:
        if w.get('type', 'OptimWrapper') in ('OptimWrapper',
                                             'AutocastOptimWrapper'):
            w['type'] = 'AutocastOptimWrapper'
            w.setdefault('dtype', 'auto')


def prepare_train_config(cfg, config_path=None, work_dir=None, resume=None,
                         amp=False, launcher='none', check_data=True):
    """Apply the command-line choices of ``tools/train.py`` to ``cfg``.

    Args:
        resume (None | 'auto' | str): ``'auto'`` resumes from the latest
            checkpoint in the work dir, a path from that checkpoint.
    """
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        stem = osp.splitext(osp.basename(config_path or 'run'))[0]
        cfg.work_dir = osp.join('work_dirs', stem)
    if resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif resume:
        if not osp.isfile(resume):
            raise FileNotFoundError(f'--resume: checkpoint {resume} does not '
                                    'exist')
        cfg.resume = True
        cfg.load_from = resume
    _use_amp(cfg, amp)
    cfg.launcher = launcher
    if launcher != 'none':
        from .distributed import configure_distributed
        configure_distributed(cfg)
    if check_data:
        check_data_paths(cfg, ('train', 'val'))
    return cfg


def prepare_test_config(cfg, checkpoint, config_path=None, work_dir=None,
                        launcher='none', check_data=True):
    """Apply the command-line choices of ``tools/test.py`` to ``cfg``."""
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint} does not exist')
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        stem = osp.splitext(osp.basename(config_path or 'run'))[0]
        cfg.work_dir = osp.join('work_dirs', stem)
    cfg.load_from = checkpoint
    cfg.resume = False
    cfg.launcher = launcher
    if launcher != 'none':
        from .distributed import configure_distributed
        configure_distributed(cfg)
    if check_data:
        check_data_paths(cfg, ('test',))
    return cfg


def build_runner(cfg):
    """``mmengine.runner.Runner`` (or ``cfg.runner_type``) from ``cfg``."""
    # registering srtoolbox's modules before the runner looks them up
    import srtoolbox.datasets  # noqa: F401
    import srtoolbox.engine  # noqa: F401
    import srtoolbox.evaluation  # noqa: F401
    import srtoolbox.models  # noqa: F401
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    os.makedirs(cfg.work_dir, exist_ok=True)
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)
