"""Generator weights as ``.safetensors``: tensors plus string metadata.

A ``.safetensors`` file is a JSON header and raw tensor bytes: reading it
runs no code, and spandrel (chaiNNer, ComfyUI, ...) reads it too. srtoolbox
writes the generator's state dict (no ``generator.`` prefix, so spandrel
detects the architecture from the names) with this metadata, every value a
string:

=====================  ==============================================
``architecture``       the registered generator name, e.g. ``SwinIR``
``generator_cfg``      JSON: ``type`` and every keyword argument
``scale``              the upscaling factor, e.g. ``4``
``value_range``        JSON ``[low, high]`` of the network's output
``generator_settings`` JSON of settings the weights need (may be ``{}``)
``srtoolbox_version``  the version that wrote the file
``config_hash``        sha256 of the training config text (or empty)
``iterations``         training iterations behind the weights (or empty)
=====================  ==============================================
"""
import json
import os
import os.path as osp
from typing import Any, Optional, Tuple

import torch

from ...utils.fileio import atomic_path
from ...version import __version__

__all__ = ['SafetensorsError', 'is_safetensors', 'read_safetensors',
           'write_safetensors', 'METADATA_KEYS']

METADATA_KEYS = ('architecture', 'generator_cfg', 'scale', 'value_range',
                 'generator_settings', 'srtoolbox_version', 'config_hash',
                 'iterations')


class SafetensorsError(ValueError):
    """A ``.safetensors`` file that cannot be read (truncated, not one)."""


def is_safetensors(path: str) -> Any:
    """True for a ``.safetensors`` name, or a file whose first bytes are a
    safetensors header (8-byte length, then ``{``)."""
    path = os.fspath(path)
    if path.lower().endswith('.safetensors'):
        return True
    try:
        with open(path, 'rb') as f:
            head = f.read(9)
    except OSError:
        return False
    if len(head) < 9 or head[8:9] != b'{':
        return False
    size = int.from_bytes(head[:8], 'little')
    return 0 < size <= osp.getsize(path) - 8


def read_safetensors(path: str) -> Any:
    """``(state dict on the CPU, metadata dict)``; decoded JSON values are
    left to the caller.

    Raises:
        FileNotFoundError: no such file.
        SafetensorsError: the file is truncated or not a safetensors file.
    """
    from safetensors import SafetensorError, safe_open
    path = os.fspath(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'weights file not found: {path}')
    size = osp.getsize(path)
    try:
        with safe_open(path, framework='pt', device='cpu') as f:
            metadata = dict(f.metadata() or {})
            state_dict = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError, RuntimeError, ValueError) as err:
        raise SafetensorsError(
            f'{path}: not a readable .safetensors file ({size} bytes; '
            f'truncated or damaged? {err})') from None
    return state_dict, metadata


def _json(value):
    return json.dumps(value, sort_keys=True, default=_not_json)


def _not_json(value):
    raise TypeError(f'{value!r} ({type(value).__name__}) cannot be written '
                    'to safetensors metadata')


def write_safetensors(state_dict: dict, path: str,
                      generator_cfg: Optional[dict] = None,
                      scale: Optional[int] = None,
                      value_range: Tuple[float, ...] = (0.0, 1.0),
                      settings: Optional[Any] = None, config_hash: str = '',
                      iterations: Optional[Any] = None,
                      overwrite: bool = False) -> str:
    """Write a generator's weights and metadata atomically.

    Args:
        state_dict (dict): name -> tensor (copied contiguous; tensors that
            share memory are written separately).
        path (str): ``.safetensors`` file; an existing file is kept unless
            ``overwrite``.
        generator_cfg (dict | None): ``type`` + keyword arguments.
        scale (int | None): upscaling factor.

    Returns:
        str: ``path``.
    """
    from safetensors.torch import save_file

    path = os.fspath(path)
    if osp.exists(path) and not overwrite:
        raise FileExistsError(
            f'{path} exists; pass overwrite=True (--overwrite) to replace it')
    tensors = {k: v.detach().to('cpu').contiguous().clone()
               for k, v in state_dict.items() if torch.is_tensor(v)}
    cfg = dict(generator_cfg or {})
    metadata = {
        'architecture': str(cfg.get('type', '')),
        'generator_cfg': _json(cfg),
        'scale': '' if scale is None else str(int(scale)),
        'value_range': _json([float(v) for v in value_range]),
        'generator_settings': _json(dict(settings or {})),
        'srtoolbox_version': __version__,
        'config_hash': config_hash or '',
        'iterations': '' if iterations is None else str(int(iterations)),
    }
    with atomic_path(path) as tmp:
        save_file(tensors, tmp, metadata=metadata)
    return path
