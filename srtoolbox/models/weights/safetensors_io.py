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
from typing import Any, Optional, Tuple, Union

import torch
import safetensors
import safetensors.torch

from ...utils.fileio import atomic_path
from ...version import __version__
from .finite import check_finite_weights

__all__ = ['SafetensorsError', 'is_safetensors', 'read_safetensors',
           'write_safetensors', 'check_metadata', 'decode_generator_cfg',
           'METADATA_KEYS']

METADATA_KEYS = ('architecture', 'generator_cfg', 'scale', 'value_range',
                 'generator_settings', 'srtoolbox_version', 'config_hash',
                 'iterations')


class SafetensorsError(ValueError):
    """A ``.safetensors`` file that cannot be read (truncated, not one)."""


def is_safetensors(path: Union[str, 'os.PathLike[str]']) -> Any:
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


def read_safetensors(path: Union[str, 'os.PathLike[str]']) -> Any:
    """``(state dict on the CPU, metadata dict)``; decoded JSON values are
    left to the caller, checked by :func:`check_metadata`.

    Raises:
        FileNotFoundError: no such file.
        SafetensorsError: the file is truncated or not a safetensors file,
            or srtoolbox's metadata in it is malformed (file and key named).
    """
    path = os.fspath(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'weights file not found: {path}')
    size = osp.getsize(path)
    try:
        with safetensors.safe_open(path, framework='pt', device='cpu') as f:
            metadata = dict(f.metadata() or {})
            state_dict = {k: f.get_tensor(k) for k in f.keys()}
    except (safetensors.SafetensorError, OSError, RuntimeError,
            ValueError) as err:
        raise SafetensorsError(
            f'{path}: not a readable .safetensors file ({size} bytes; '
            f'truncated or damaged? {err})') from None
    check_metadata(metadata, path)
    return state_dict, metadata


def _decoded(metadata, key, path):
    try:
        return json.loads(metadata[key])
    except ValueError as err:
        raise SafetensorsError(
            f'{path}: metadata {key} is not valid JSON ({err}): '
            f'{metadata[key][:80]!r}') from None


def check_metadata(metadata: dict, path: str) -> None:
    """Raise :class:`SafetensorsError` naming ``path`` and the key when a
    metadata value srtoolbox reads (non-empty) is not what
    :func:`write_safetensors` writes: ``generator_cfg`` a JSON object with
    a ``type``, ``generator_settings`` a JSON object, ``value_range`` a
    JSON ``[low, high]`` of numbers with low < high, ``scale`` an integer.
    Other keys (another writer's) are left alone."""
    for key in ('generator_cfg', 'generator_settings'):
        if not metadata.get(key):
            continue
        value = _decoded(metadata, key, path)
        if not isinstance(value, dict):
            raise SafetensorsError(
                f'{path}: metadata {key} must be a JSON object '
                f'({{"name": value, ...}}), got a {type(value).__name__}: '
                f'{metadata[key][:80]!r}')
        if key == 'generator_cfg' and not isinstance(value.get('type'), str):
            raise SafetensorsError(
                f'{path}: metadata generator_cfg has no "type" (the '
                f'architecture\'s registered name): {metadata[key][:80]!r}')
    if metadata.get('value_range'):
        value = _decoded(metadata, 'value_range', path)
        if not (isinstance(value, list) and len(value) == 2 and all(
                isinstance(v, (int, float)) and not isinstance(v, bool)
                for v in value) and value[0] < value[1]):
            raise SafetensorsError(
                f'{path}: metadata value_range must be [low, high] with two '
                f'numbers, low < high (e.g. [0.0, 1.0]), got '
                f'{metadata["value_range"][:80]!r}')
    scale = metadata.get('scale')
    if scale and not (scale.isdigit() and int(scale) >= 1):
        raise SafetensorsError(f'{path}: metadata scale must be a positive '
                               f'integer, got {scale[:80]!r}')


def _json(value):
    return json.dumps(value, sort_keys=True, default=_not_json)


# a torch.nn class in a generator's settings (SwinIR's and HAT's
# norm_layer=nn.LayerNorm), written by name: {"__class__": "torch.nn.X"}
_CLASS_KEY = '__class__'


def _not_json(value):
    if isinstance(value, type) and \
            getattr(torch.nn, value.__name__, None) is value:
        return {_CLASS_KEY: f'torch.nn.{value.__name__}'}
    raise TypeError(f'{value!r} ({type(value).__name__}) cannot be written '
                    'to safetensors metadata')


def decode_generator_cfg(text: str, source: str = 'metadata') -> dict:
    """The ``generator_cfg`` metadata (JSON) as a dict, classes written by
    name turned back into classes; only ``torch.nn`` modules are read back
    (metadata never imports anything)."""
    def restore(obj):
        if set(obj) != {_CLASS_KEY}:
            return obj
        name = str(obj[_CLASS_KEY])
        cls = getattr(torch.nn, name[len('torch.nn.'):], None) \
            if name.startswith('torch.nn.') else None
        if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
            raise SafetensorsError(
                f'{source}: generator_cfg names the class {name!r}; only '
                'torch.nn modules are read back from metadata')
        return cls
    return json.loads(text, object_hook=restore)


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

    Raises:
        NonFiniteWeightsError: a tensor holds NaN/Inf (nothing is written).
    """
    path = os.fspath(path)
    if osp.exists(path) and not overwrite:
        raise FileExistsError(
            f'{path} exists; pass overwrite=True (--overwrite) to replace it')
    check_finite_weights(state_dict, f'weights for {path}')
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
    # serialized, then written by Python: a full disk or a forbidden folder
    # is an OSError naming the output (atomic_path), not a Rust error
    # naming the temporary file
    data = safetensors.torch.save(tensors, metadata=metadata)
    with atomic_path(path) as tmp:
        with open(tmp, 'xb') as f:
            f.write(data)
    return path
