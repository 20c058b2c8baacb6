"""Checkpoint files, safely: ``weights_only`` loading and atomic saving.

Every file is read with ``torch.load(..., weights_only=True)``: tensors,
containers and plain numbers only, never arbitrary pickled code. A few
harmless types that mmengine's ``Runner`` writes into every checkpoint
(``message_hub`` log buffers, numpy arrays and scalars) are let through by
name; anything else is refused with the file and the offending type named.
Writes go to a temporary file that replaces the target only when complete.
"""
import io
import os
import os.path as osp
import pickle
import re

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

from .fileio import atomic_path

try:
    from numpy._core import multiarray
except ImportError:  # numpy < 2
    from numpy.core import multiarray  # type: ignore[no-redef]

__all__ = ['UnsafeCheckpointError', 'load_checkpoint_file',
           'save_checkpoint_file', 'checkpoint_safe_globals']


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds pickled objects that ``weights_only`` refuses."""


def _history_buffer_getattr(obj, name):
    """The one ``getattr`` mmengine's pickled ``HistoryBuffer`` needs.

    A ``HistoryBuffer`` pickles its statistics methods as
    ``getattr(HistoryBuffer, 'mean')``; the real ``getattr`` would let a file
    reach any attribute, so only those lookups are allowed.
    """
    # the class dict is filled only when a first buffer is created, so the
    # four built-in statistics are allowed by name
    allowed = {'min', 'max', 'mean', 'current'}
    allowed.update(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(obj, name)
    raise UnsafeCheckpointError(
        f'refusing getattr({obj!r}, {name!r}) while loading a checkpoint')


def checkpoint_safe_globals():
    """Types beyond tensors that may appear in a training checkpoint."""
    allowed = [np.ndarray, np.dtype]
    allowed += [type(np.dtype(c)) for c in '?bBhHiIlLqQefdgFD']
    for name in ('_reconstruct', 'scalar'):
        # files written under numpy 1 and 2 name the module differently
        for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
            allowed.append((getattr(multiarray, name), f'{module}.{name}'))
    allowed.append(HistoryBuffer)
    allowed.append((_history_buffer_getattr, 'builtins.getattr'))
    return allowed


def load_checkpoint_file(path):
    """Load a checkpoint on the CPU with ``weights_only=True``.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        UnsafeCheckpointError: the file holds pickled objects other than
            tensors, containers, numbers and the mmengine/numpy types above.
    """
    path = os.fspath(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint not found: {path}')
    try:
        with torch.serialization.safe_globals(checkpoint_safe_globals()):
            return torch.load(path, map_location='cpu', weights_only=True)
    except Exception as e:  # noqa: B902 (torch raises many kinds)
        refusal = _refusal(e)
        if refusal is None:
            raise RuntimeError(
                f'{path}: not a readable torch checkpoint '
                f'({type(e).__name__}: {_short(e)})') from e
        raise UnsafeCheckpointError(
            f'{path}: refused to load: it holds pickled objects that are not '
            'plain weights, and srtoolbox never unpickles arbitrary code '
            '(torch.load weights_only=True). If you trust the file, re-save '
            'just its tensors (e.g. its state dict) with torch.save. '
            f'Refused: {refusal}') from None


# what torch's weights-only unpickler says when it refuses a global
_REFUSALS = ('Unsupported global', 'unsupported GLOBAL', 'Can only build',
             'Can only create', 'Trying to call reduce', 'refusing getattr')
_GLOBAL = re.compile(r'GLOBAL\s+([\w.]+)')


def _refusal(err):
    """What a weights-only error refused (``global posix.system``, ...),
    or None if it is not a refusal. torch's advice to retry with
    ``weights_only=False`` is never passed on."""
    if not isinstance(err, pickle.UnpicklingError):
        return None
    text = str(err)
    if not any(r in text for r in _REFUSALS):
        return None
    found = _GLOBAL.search(text)
    if found:
        return f'global {found.group(1)}'
    for line in text.splitlines():
        if any(r in line for r in _REFUSALS):
            return line.replace('WeightsUnpickler error:', '').split(
                '. Please use')[0].strip()
    return None


def _short(err, limit=300):
    text = ' '.join(str(err).split())
    # drop torch's advice to retry with weights_only=False
    _, found, rest = text.partition('WeightsUnpickler error:')
    text = rest.split(' Check the documentation')[0].strip() if found \
        else text
    if 'weights_only' in text and 'False' in text:
        text = text.split(' In PyTorch 2.6')[0]
        text = re.sub(r'Re-running `torch\.load`.*?trusted source\.', '',
                      text).strip()
    return text if len(text) <= limit else text[:limit] + '...'


def save_checkpoint_file(obj, path, overwrite=False):
    """``torch.save`` to ``path`` atomically (temp file + ``os.replace``).

    Readers never see a half-written file: the data goes to a temporary file
    in the same folder first. Raises ``FileExistsError`` if ``path`` exists
    and ``overwrite`` is False.
    """
    path = os.fspath(path)
    if osp.exists(path) and not overwrite:
        raise FileExistsError(
            f'{path} exists; pass overwrite=True (--overwrite) to replace it')
    # serialized first: torch.save streaming into a file turns a full disk
    # into "unexpected pos N vs M"; a plain write says ENOSPC (and mmengine
    # serializes training checkpoints the same way)
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    with atomic_path(path) as tmp:
        with open(tmp, 'xb') as f:
            f.write(buffer.getbuffer())
            f.flush()
            os.fsync(f.fileno())
    return path
