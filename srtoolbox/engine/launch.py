"""From a config file to a ready mmengine ``Runner``.

The command-line tools are thin wrappers over these functions, so everything
they do can be done from Python::

    from srtoolbox.engine.launch import (load_config, prepare_train_config,
                                         train_from_config)
    cfg = prepare_train_config(load_config('configs/srresnet/...py'))
    train_from_config(cfg)   # work dir locked, SIGTERM saves a checkpoint

(``build_runner(cfg).train()`` trains without the lock and signal handling.)
"""
from __future__ import annotations

import os
import os.path as osp
from typing import TYPE_CHECKING, Any, Dict, Optional, Sequence, Union

import torch
from mmengine.config import Config
from mmengine.device import get_device
from mmengine.registry import RUNNERS

# registered before a runner or a config check looks srtoolbox's modules up
# (srtoolbox.engine's own by its __init__, which runs before this module)
import srtoolbox.datasets  # noqa: F401
import srtoolbox.engine  # noqa: F401
import srtoolbox.evaluation  # noqa: F401
import srtoolbox.models  # noqa: F401

from ..utils.module_utils import unwrap_model
from .config_checks import (ConfigError, check_config, check_schedule,
                            explain_syntax_error, follow_max_iters)
from .config_files import wrapper_configs
from .distributed import configure_distributed, init_distributed
from .load_from import check_load_from
from .optim_wrapper import use_foreach_optimizers
from .preemption import (PreemptionHook, install_preemption_handlers,
                         restore_signal_handlers)
from .run_lock import lock_work_dir
from .runner import SRRunner
from .safe_checkpoint import allow_mmengine_checkpoints
from .schedule_free_hook import add_schedule_free_hook
from .tensorboard_logging import enable_tensorboard
from .work_dir import NotResumableError, open_training_checkpoint

if TYPE_CHECKING:
    from mmengine.runner import Runner

__all__ = ['load_config', 'prepare_train_config', 'prepare_test_config',
           'build_runner', 'check_data_paths', 'DataNotFoundError',
           'set_data_root', 'benchmark_dataloader', 'train_from_config',
           'check_resumable', 'NotResumableError']


class DataNotFoundError(FileNotFoundError):
    """A dataset folder or LMDB named in a config does not exist."""


def load_config(path: str, cfg_options: Optional[Dict[str, Any]] = None,
                check: bool = True) -> Config:
    """Read a Python (``.py``) or YAML (``.yaml``/``.yml``) config.

    Both may inherit with ``_base_``; ``cfg_options`` (``{'a.b': v}``) are
    merged last, as ``--cfg-options a.b=v`` does; a schedule that fitted
    ``train_cfg.max_iters`` follows a new ``max_iters`` given there.
    With ``check`` the mistakes of :mod:`.config_checks` raise
    :class:`~.config_checks.ConfigError` naming the key and the file (a
    syntax error names the file and line).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file {path} does not exist')
    ext = osp.splitext(path)[1]
    if ext not in ('.py', '.yaml', '.yml', '.json'):
        raise ValueError(f'{path}: configs are .py, .yaml/.yml or .json, '
                         f'not {ext!r}')
    try:
        cfg = Config.fromfile(path)
    except Exception as err:  # noqa: B902 (SyntaxError, yaml errors, ...)
        where = explain_syntax_error(path)
        if where is None:
            raise
        raise ConfigError(where) from err
    # mmengine formats the config text with yapf under a bare ``except:``
    # whenever it logs or saves it; a DataLoader worker dying meanwhile
    # (torch raises from its SIGCHLD handler) became "SyntaxError: Failed to
    # format the config file", hiding the worker's own error. Unformatted
    # text is still valid Python.
    object.__setattr__(cfg, '_format_python_code', False)
    if cfg_options:
        old_max_iters = (cfg.get('train_cfg') or {}).get('max_iters')
        cfg.merge_from_dict(cfg_options)
        follow_max_iters(cfg, old_max_iters, cfg_options)
    if check:
        check_config(cfg)
    return cfg


def _dataset_paths(dataset):
    """(path, field) of every folder/LMDB a dataset config reads."""
    return [(path, field) for path, field, _ in _dataset_paths_roots(dataset)]


def _dataset_paths_roots(dataset):
    """(path, field, data_root) of every folder/LMDB a dataset config
    reads."""
    if dataset is None:
        return []
    if dataset.get('type') in ('ConcatDataset', 'RepeatDataset'):
        inner = dataset.get('datasets') or [dataset.get('dataset')]
        return [p for d in inner for p in _dataset_paths_roots(d)]
    root = dataset.get('data_root', '') or ''
    paths = []
    for field in ('gt_folder', 'lq_folder'):
        if dataset.get(field):
            paths.append((osp.join(root, dataset[field]), field, root))
    return paths


def check_data_paths(cfg: Config,
                     which: Sequence[str] = ('train', 'val')) -> None:
    """Raise :class:`DataNotFoundError` naming every missing data path.

    The message includes the config's ``data_preparation`` text (how to make
    the data) when it has one.
    """
    missing = []
    for split in which:
        loader = cfg.get(f'{split}_dataloader')
        if not loader:
            continue
        for path, field, root in _dataset_paths_roots(
                loader.get('dataset')):
            if not osp.exists(path):
                where = f" (under data_root {root!r})" if root else ''
                if not osp.isabs(path):
                    where += (' (relative: resolved against the current '
                              f'directory {os.getcwd()}; set data_root or '
                              'give an absolute path)')
                missing.append(f'{split}_dataloader.dataset.{field}: {path}'
                               + where)
    if missing:
        hint = cfg.get('data_preparation', '')
        raise DataNotFoundError(
            'data not found:\n  ' + '\n  '.join(missing) +
            ('\n' + hint if hint else '\nPrepare it, or point the config at '
             'your copy with --cfg-options.'))


def _use_amp(cfg, amp):
    if not amp:
        return
    for _, w in wrapper_configs(cfg.optim_wrapper):
        if w.get('type', 'OptimWrapper') in ('OptimWrapper',
                                             'AutocastOptimWrapper'):
            w['type'] = 'AutocastOptimWrapper'
            w.setdefault('dtype', 'auto')


def _train_device() -> str:
    """'cuda', 'cpu' or another device type: where the runner will train
    (mmengine's choice)."""
    return get_device().split(':')[0]


def _pin_memory_for_gpus(cfg):
    """Training batches in pinned host memory where they go to a GPU, so
    that the data preprocessor's non-blocking copy overlaps the step; a
    config's own ``pin_memory`` wins."""
    loader = cfg.get('train_dataloader')
    if isinstance(loader, dict) and torch.cuda.is_available():
        loader.setdefault('pin_memory', True)


def prepare_train_config(cfg: Config, config_path: Optional[str] = None,
                         work_dir: Optional[str] = None,
                         resume: Optional[str] = None, amp: bool = False,
                         launcher: str = 'none', check_data: bool = True,
                         compile: Union[None, bool, dict] = None,
                         deterministic: Optional[bool] = None,
                         tensorboard: Optional[bool] = None) -> Config:
    """Apply the command-line choices of ``tools/train.py`` to ``cfg``.

    Args:
        resume (None | 'auto' | str): ``'auto'`` resumes from the latest
            checkpoint in the work dir (or starts afresh when there is
            none), a path from that checkpoint. Weights, EMA, optimizers,
            schedulers, grad scaler, iteration, random generators and the
            data position are restored: the run continues as if never
            stopped.
        amp (bool): autocast (see ``AutocastOptimWrapper``).
        launcher (str): ``'none'``, ``'pytorch'`` (torchrun) or ``'slurm'``;
            gloo and CPU-safe DDP where there is no GPU.
        compile (None | bool | dict): ``torch.compile`` the networks
            (``generator``, ``discriminator``), with these options when a
            dict; None keeps ``cfg.compile``.
        deterministic (None | bool): deterministic algorithms
            (``randomness.deterministic``); None keeps the config's.
        tensorboard (None | bool): log losses, learning rate, validation
            metrics and images to TensorBoard too; None keeps the config's
            ``tensorboard`` key (:mod:`.tensorboard_logging`).
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
        check_resumable(resume)
        cfg.resume = True
        cfg.load_from = resume
    _use_amp(cfg, amp)
    if cfg.get('optim_wrapper'):
        use_foreach_optimizers(cfg.optim_wrapper, _train_device())
    add_schedule_free_hook(cfg)  # eval weights for val, checkpoints, EMA
    if compile is not None:
        cfg.compile = compile
    _pin_memory_for_gpus(cfg)
    if deterministic is not None:
        cfg.setdefault('randomness', {})['deterministic'] = deterministic
    cfg.launcher = launcher
    if launcher != 'none':
        configure_distributed(cfg)
    if tensorboard if tensorboard is not None else cfg.get('tensorboard'):
        enable_tensorboard(cfg)
    if check_data:
        check_data_paths(cfg, ('train', 'val'))
    check_schedule(cfg)
    return cfg


def prepare_test_config(cfg: Config, checkpoint: str,
                        config_path: Optional[str] = None,
                        work_dir: Optional[str] = None,
                        launcher: str = 'none',
                        check_data: bool = True) -> Config:
    """Apply the command-line choices of ``tools/test.py`` to ``cfg``."""
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint {checkpoint} does not exist')
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        stem = osp.splitext(osp.basename(config_path or 'run'))[0]
        cfg.work_dir = osp.join('work_dirs', stem)
    # weights are loaded by load_pretrained_generator (any layout), not by
    # mmengine's load_from, which knows only its own
    cfg.load_from = None
    cfg.resume = False
    cfg.launcher = launcher
    if launcher != 'none':
        configure_distributed(cfg)
    if check_data:
        check_data_paths(cfg, ('test',))
    return cfg


def build_runner(cfg: Config) -> 'Runner':
    """``mmengine.runner.Runner`` (or ``cfg.runner_type``) from ``cfg``."""
    allow_mmengine_checkpoints()  # mmengine's resume loads weights_only
    os.makedirs(cfg.work_dir, exist_ok=True)
    # before the Runner, whose launchers need CUDA (gloo on CPU here)
    init_distributed(cfg)
    if cfg.get('randomness', {}).get('deterministic'):
        # cuBLAS is deterministic only with a fixed workspace
        os.environ.setdefault('CUBLAS_WORKSPACE_CONFIG', ':4096:8')
    if 'runner_type' in cfg:
        runner = RUNNERS.build(cfg)
    else:  # mmengine's, with the start-up tables in the log file only
        runner = SRRunner.from_cfg(cfg)
    if cfg.get('load_from') and not cfg.get('resume'):
        # refuse a partial load_from
        check_load_from(runner.model, cfg.load_from)
    if cfg.get('compile'):
        compile_networks(runner, cfg.compile)
    return runner


def check_resumable(path: str) -> None:
    """Raise :class:`NotResumableError` unless ``path`` is a checkpoint
    written by training (``meta`` with the iteration, ``state_dict``).

    Read memory-mapped where torch can, so a large file costs no copy.
    """
    obj = open_training_checkpoint(path)
    meta = obj.get('meta') if isinstance(obj, dict) else None
    if not (isinstance(meta, dict) and 'iter' in meta
            and 'state_dict' in obj):
        keys = ', '.join(sorted(map(str, obj))[:8]) \
            if isinstance(obj, dict) else type(obj).__name__
        raise NotResumableError(
            f'--resume {path}: not a training checkpoint (it holds {keys}; '
            'no meta/iteration, optimizer or scheduler state), so there is '
            'nothing to resume. To start a new run from these weights, '
            'give them as the pretrained generator instead (e.g. '
            '--cfg-options model.pretrained_generator=PATH, any model, '
            'any layout).')


def train_from_config(cfg: Config) -> 'Runner':
    """Train ``cfg`` (from :func:`prepare_train_config`): what
    ``tools/train.py`` does after parsing its options.

    The work dir is locked for the run (:mod:`.run_lock`: a second run in
    it fails at once); SIGTERM/SIGINT save a checkpoint at the next
    iteration boundary and raise :class:`~.preemption.Preempted`.

    Returns the trained runner.
    """
    with lock_work_dir(cfg.work_dir):
        install_preemption_handlers()
        try:
            runner = build_runner(cfg)
            runner.register_hook(PreemptionHook())
            runner.train()
        finally:
            restore_signal_handlers()
    return runner


def compile_networks(runner, options=True):
    """``torch.compile`` the model's ``generator``/``discriminator`` in
    place (``nn.Module.compile``: state-dict keys unchanged).

    mmengine's own ``cfg.compile`` compiles the whole ``train_step`` (data
    preprocessing, logging, optimizer), which breaks the graph at every
    log call; compiling the networks alone is what speeds training up, and
    the runner's ``compile`` is switched off so it does not compile twice.
    """
    options = {} if options is True else dict(options)
    model = unwrap_model(runner.model)
    compiled = []
    for name in ('generator', 'discriminator'):
        net = getattr(model, name, None)
        if net is None:
            continue
        net = unwrap_model(net)  # inside DDP
        net.compile(**options)
        compiled.append(name)
    runner.cfg.compile = None
    runner.logger.info(f'torch.compile: {", ".join(compiled) or "nothing"}'
                       ' (the first iterations are slow while it compiles)')
    return compiled


def set_data_root(dataset_cfg, data_root):
    """Point every dataset of a (Concat)dataset config at ``data_root``."""
    if dataset_cfg.get('type') in ('ConcatDataset', 'RepeatDataset'):
        inner = dataset_cfg.get('datasets') or [dataset_cfg.get('dataset')]
        for d in inner:
            set_data_root(d, data_root)
    else:
        dataset_cfg['data_root'] = data_root


def benchmark_dataloader(data_root, names, scale, batch_size=1):
    """A test dataloader over HR benchmark folders ``data_root/<name>``.

    LR images are made the benchmarks' way: HR cropped to a multiple of
    ``scale``, MATLAB bicubic downscale, rounded to 8 bits.
    """
    pipeline = [dict(type='ModCrop', scale=scale),
                dict(type='BicubicDownsample', scale=scale),
                dict(type='PackSRInputs')]
    return dict(
        batch_size=batch_size, num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        collate_fn=dict(type='default_collate'),
        dataset=dict(type='ConcatDataset', datasets=[
            dict(type='HRImageDataset', data_root=data_root, gt_folder=name,
                 scale=scale, pipeline=pipeline, test_mode=True)
            for name in names]))
