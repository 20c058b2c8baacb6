"""Let mmengine's resume work under torch's safe ``weights_only`` loading.

torch >= 2.6 loads checkpoints with ``weights_only=True``: only tensors,
containers and allowlisted globals are unpickled. mmengine 0.10.7 saves its
``MessageHub`` (``HistoryBuffer`` objects holding numpy arrays, whose
statistics methods pickle as ``getattr(HistoryBuffer, 'mean')``) in every
checkpoint, so ``--resume`` fails with an ``UnpicklingError``. Instead of
turning safe loading off, we allowlist exactly those globals, the same list
:func:`srtoolbox.utils.checkpoint_io.load_checkpoint_file` uses (``getattr`` only
through a shim that allows ``HistoryBuffer``'s statistics).
"""
import torch
from mmengine.logging import HistoryBuffer

from ..utils.checkpoint_io import checkpoint_safe_globals

__all__ = ['allow_mmengine_checkpoints']



def allow_mmengine_checkpoints():
    """Allowlist mmengine's logging state and numpy arrays.

    Idempotent, and safe to call again before each load: torch's
    ``safe_globals`` context manager (used by
    :func:`srtoolbox.utils.checkpoint_io.load_checkpoint_file`) restores the list
    it found on entry, which drops globals added while it was open.
    """
    if HistoryBuffer not in torch.serialization.get_safe_globals():
        torch.serialization.add_safe_globals(checkpoint_safe_globals())
