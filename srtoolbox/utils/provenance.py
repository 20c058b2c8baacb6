"""Where a result came from: code, config, weights, precision and machine.

Every result file srtoolbox writes (``tools/test.py``'s ``results.json``,
a demo's ``summary.json``) carries :func:`provenance`::

    {'git': {'commit': '74f6bbe...', 'dirty': False},
     'config': {'path': 'configs/srresnet/msrresnet_x4_demo.py',
                'sha256': '...'},
     'checkpoint': {'path': 'work_dirs/msrresnet_x4_demo/iter_360.pth',
                    'sha256': '...'},
     'precision': 'fp32',
     'machine': {'device': 'cpu', 'cpu': 'AMD EPYC', 'cpu_flags': [...],
                 'native_bf16_cpu': False, 'threads': 2, 'gpu': None, ...},
     'versions': {'python': ..., 'torch': ..., 'mmengine': ...,
                  'srtoolbox': ...},
     'wall_time_s': 822.4, 'finished': '2026-12-01T15:10:02Z'}

Paths inside the repository are stored relative to its root, so a record
means the same on every clone; files are identified by their sha256.
"""
import hashlib
import importlib.metadata
import json
import os
import os.path as osp
import subprocess
import platform
import sys
import time

import torch
from mmengine.config import Config

from .hardware import machine_info
from ..version import __version__

__all__ = ['provenance', 'git_state', 'file_sha256', 'config_sha256',
           'machine_info', 'repo_relative', 'REPO_ROOT', 'describe_machine']

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def git_state(root=REPO_ROOT):
    """``{'commit': sha, 'dirty': bool}``, or ``None`` outside a checkout."""
    def git(*args):
        return subprocess.run(['git', '-C', root, *args],
                              capture_output=True, text=True, timeout=20)
    try:
        head = git('rev-parse', 'HEAD')
        if head.returncode != 0:
            return None
        status = git('status', '--porcelain', '--untracked-files=no')
    except (OSError, subprocess.SubprocessError):
        return None
    return {'commit': head.stdout.strip(),
            'dirty': bool(status.stdout.strip())}


def file_sha256(path, chunk=1 << 20):
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            digest.update(block)
    return digest.hexdigest()


def config_sha256(cfg):
    """Hex sha256 of a config's content (a path, a dict or a Config).

    For a loaded config the hash covers the merged content (``_base_``
    files and ``--cfg-options`` included), keys sorted, so the same
    experiment gives the same hash however it was written.
    """
    if isinstance(cfg, (str, os.PathLike)):
        cfg = Config.fromfile(os.fspath(cfg))
    if hasattr(cfg, 'to_dict'):
        cfg = cfg.to_dict()
    text = json.dumps(cfg, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def repo_relative(path, root=REPO_ROOT):
    """``path`` relative to the repository when inside it, else absolute."""
    path = osp.abspath(os.fspath(path))
    root = osp.abspath(root)
    if path == root or path.startswith(root + os.sep):
        return osp.relpath(path, root)
    return path


def describe_machine(info):
    """One line for a table footer, from :func:`machine_info`'s dict."""
    if info.get('gpu'):
        return f'{info["gpu"]} (CUDA {info.get("gpu_capability", "?")})'
    flags = ', '.join(info.get('cpu_flags') or []) or 'no AVX2'
    bf16 = ('native bf16' if info.get('native_bf16_cpu')
            else 'no native bf16')
    return (f'{info.get("cpu", "CPU")}, {info.get("threads", "?")} threads '
            f'({flags}; {bf16})')


# import name -> the distributions that install it (mmcv-lite is mmcv)
_PACKAGES = {'mmengine': ('mmengine',), 'mmcv': ('mmcv', 'mmcv-lite'),
             'spandrel': ('spandrel',)}


def _package_version(name):
    """The version of the package imported as ``name``: the module's own
    where it is imported already, else its installed metadata (importing
    spandrel only to read its version cost each run's summary ~1.3 s);
    None where it is not installed."""
    module = sys.modules.get(name)
    if getattr(module, '__version__', None):
        return module.__version__
    for dist in _PACKAGES[name]:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def _versions():
    versions = {'python': platform.python_version(),
                'torch': torch.__version__}
    for name in _PACKAGES:
        version = _package_version(name)
        if version is not None:
            versions[name] = version
    versions['srtoolbox'] = __version__
    return versions


def provenance(config=None, config_path=None, checkpoint=None,
               precision=None, device=None, started=None):
    """The record described in the module docstring.

    Args:
        config (str | dict | Config | None): the config used (hashed).
        config_path (str | None): where it was read from.
        checkpoint (str | None): the weights evaluated (hashed).
        precision (str | None): what the computation ran in: ``'fp32'``,
            ``'bf16'`` or ``'fp16'``.
        device: the device it ran on.
        started (float | None): ``time.time()`` at the start; gives
            ``wall_time_s``.
    """
    record = {'git': git_state()}
    if config is not None or config_path is not None:
        record['config'] = {
            'path': repo_relative(config_path) if config_path else None,
            'sha256': config_sha256(config if config is not None
                                    else config_path)}
    if checkpoint is not None:
        record['checkpoint'] = {
            'path': repo_relative(checkpoint),
            'sha256': file_sha256(checkpoint) if osp.isfile(checkpoint)
            else None}
    record['precision'] = precision
    record['machine'] = machine_info(device)
    record['versions'] = _versions()
    if started is not None:
        record['wall_time_s'] = round(time.time() - started, 3)
    record['finished'] = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
    return record
