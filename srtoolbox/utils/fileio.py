"""Atomic file writes: a reader sees the old file or the new one, never half.

Every file srtoolbox writes for a user (checkpoints, images, results, ONNX
models) goes through :func:`atomic_path`: the data is written to a temporary
file in the destination folder (``os.replace`` cannot cross file systems),
which is renamed over the destination only once it is complete; on any
failure the temporary file is removed.
"""
import os
import os.path as osp
import re
import uuid
from contextlib import contextmanager

__all__ = ['atomic_path', 'TMP_NAME']

# what atomic_path names its temporary files: .<name>.<12 hex>.tmp
TMP_NAME = re.compile(r'^\..+\.[0-9a-f]{12}\.tmp$')


@contextmanager
def atomic_path(path):
    """Yield a fresh temporary path; on success it replaces ``path``.

    The folder of ``path`` is created if needed. The temporary name
    matches :data:`TMP_NAME`, so leftovers of a killed process can be
    recognised. Example::

        with atomic_path('out.png') as tmp:
            with open(tmp, 'xb') as f:
                f.write(data)
    """
    path = os.fspath(path)
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = osp.join(folder, f'.{osp.basename(path)}.{uuid.uuid4().hex[:12]}'
                   '.tmp')
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
