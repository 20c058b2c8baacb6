"""What ``--resume`` reads from a work dir, and the checks before it does.

``last_checkpoint`` names the newest checkpoint *relative to the work dir*
(``iter_500.pth``), so a copied or moved work dir resumes from its own
files, never from the place it was copied from. Files written by mmengine
or by older versions hold an absolute or a cwd-relative path: the work
dir's own copy of that file is preferred.

Before resuming, :func:`check_resume_fits` compares the checkpoint's
tensors with the model built from the config, so an architecture change
is refused naming the keys, instead of the optimizer failing with a size
mismatch deep inside ``torch.optim``.
"""
import os
import os.path as osp

import torch

from ..models.weights import state_dict_mismatches
from ..utils.checkpoint_io import load_checkpoint_file
from ..utils.fileio import atomic_write
from ..utils.module_utils import unwrap_model
from .safe_checkpoint import allow_mmengine_checkpoints

__all__ = ['NotResumableError', 'MARKER', 'record_last_checkpoint', 'latest_checkpoint',
           'open_training_checkpoint', 'check_resume_fits']

MARKER = 'last_checkpoint'


class NotResumableError(ValueError):
    """``--resume`` was given a file that is not a training checkpoint, or
    one that does not fit the model."""


def record_last_checkpoint(work_dir, path):
    """Point ``<work_dir>/last_checkpoint`` at ``path`` (atomically):
    relative to the work dir when ``path`` is inside it."""
    path = os.fspath(path)
    rel = osp.relpath(osp.abspath(path), osp.abspath(work_dir))
    if not rel.startswith(os.pardir):
        path = rel
    atomic_write(path.encode('utf-8'), osp.join(work_dir, MARKER))


def latest_checkpoint(work_dir):
    """The checkpoint ``<work_dir>/last_checkpoint`` names, or None when
    the work dir has none yet (no marker).

    A relative name is the work dir's; for an absolute or cwd-relative one
    (mmengine's, older files) the work dir's own file of that name wins.

    Raises:
        FileNotFoundError: the marker names a file found nowhere.
    """
    marker = osp.join(work_dir, MARKER)
    if not osp.isfile(marker):
        return None
    with open(marker, encoding='utf-8') as f:
        recorded = f.read().strip()
    if not recorded:
        return None
    parts = osp.normpath(recorded).split(os.sep)
    # own files first: iter_5.pth, then ckpts/iter_5.pth, ... (a copy)
    candidates = [osp.join(work_dir, *parts[-n:])
                  for n in range(1, len(parts) + 1) if parts[-n]]
    candidates.append(recorded)
    for candidate in candidates:
        if osp.isfile(candidate):
            return candidate
    raise FileNotFoundError(
        f'{marker} names {recorded!r}, which is not in {work_dir} (nor '
        'there): give the checkpoint to resume from as --resume CKPT')


def open_training_checkpoint(path):
    """The checkpoint at ``path``, memory-mapped where torch can (a large
    file costs no copy), read ``weights_only``."""
    # the process-wide allowlist, not torch's safe_globals context: leaving
    # that context here drops what the Runner allowlisted for its resume
    allow_mmengine_checkpoints()
    try:
        return torch.load(path, map_location='cpu', weights_only=True,
                          mmap=True)
    except Exception:  # noqa: B902 (legacy format, refusal: explained)
        return load_checkpoint_file(path)
    finally:
        allow_mmengine_checkpoints()


def _names(items, limit=6):
    shown = ', '.join(map(str, items[:limit]))
    return shown + (f' (+{len(items) - limit} more)' if len(items) > limit
                    else '')


def check_resume_fits(model, path):
    """Raise ``NotResumableError`` naming the keys in which the tensors of
    checkpoint ``path`` and ``model`` (built from the config) differ."""
    saved = open_training_checkpoint(path).get('state_dict') or {}
    # the step's training state (train_state.*: counters, the pair pool)
    # comes and goes with the run, not with the architecture
    saved, ours = ({k: v for k, v in sd.items()
                    if not k.startswith('train_state.')}
                   for sd in (saved, unwrap_model(model).state_dict()))
    only_saved, only_model, shapes = state_dict_mismatches(saved, ours)
    if not (only_saved or only_model or shapes):
        return
    lines = []
    if shapes:
        lines.append('shapes differ: ' + _names(
            [f'{k} {tuple(a)} in the checkpoint vs {tuple(b)}'
             for k, a, b in shapes]))
    if only_model:
        lines.append('not in the checkpoint: ' + _names(only_model))
    if only_saved:
        lines.append('not in the model: ' + _names(only_saved))
    raise NotResumableError(
        f'--resume {path}: the checkpoint does not fit the model this '
        f'config builds ({"; ".join(lines)}). The architecture changed '
        'since it was saved: resume with the config it was trained with, '
        'or start a new run in another --work-dir (load_from=CKPT to start '
        'from its weights where they fit).')
