"""Atomic file writes: a reader sees the old file or the new one, never half.

Every file srtoolbox writes for a user (checkpoints, images, results, ONNX
models) goes through :func:`atomic_path`: the data is written to a temporary
file in the destination folder (``os.replace`` cannot cross file systems),
which is renamed over the destination only once it is complete; on any
failure the temporary file is removed.
"""
import errno
import os
import os.path as osp
import re
import uuid
from contextlib import contextmanager

__all__ = ['atomic_path', 'TMP_NAME', 'OutputWriteError', 'make_folder']

# what atomic_path names its temporary files: .<name>.<12 hex>.tmp
TMP_NAME = re.compile(r'^\..+\.[0-9a-f]{12}\.tmp$')


class OutputWriteError(OSError):
    """An output could not be written (a file in the way of its folder, no
    permission, a full disk); the message names the output, never the
    temporary file, and says that an existing output is unchanged."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.errno = code


def make_folder(folder, output=None):
    """``os.makedirs(folder, exist_ok=True)``; on failure an
    :class:`OutputWriteError` naming ``output`` (default: ``folder``) and
    what is in the way (a file where a folder should be, a permission)."""
    folder = os.fspath(folder)
    try:
        os.makedirs(folder, exist_ok=True)
        return
    except OSError as err:
        reason = f'cannot create the folder {folder} ({err.strerror or err})'
        code = err.errno
    parent = osp.abspath(folder)
    while parent != osp.dirname(parent) and not osp.exists(parent):
        parent = osp.dirname(parent)
    if osp.exists(parent) and not osp.isdir(parent):
        reason, code = f'{parent} is a file, not a folder', errno.ENOTDIR
    raise OutputWriteError(f'cannot write {output or folder}: {reason}', code)


@contextmanager
def atomic_path(path):
    """Yield a fresh temporary path; on success it replaces ``path``.

    The folder of ``path`` is created if needed. The temporary name
    matches :data:`TMP_NAME`, so leftovers of a killed process can be
    recognised. An ``OSError`` while writing or renaming (full disk, no
    permission) becomes an :class:`OutputWriteError` naming ``path``; the
    temporary file is removed and an existing ``path`` is untouched.
    Example::

        with atomic_path('out.png') as tmp:
            with open(tmp, 'xb') as f:
                f.write(data)
    """
    path = os.fspath(path)
    folder = osp.dirname(osp.abspath(path))
    make_folder(folder, path)
    tmp = osp.join(folder, f'.{osp.basename(path)}.{uuid.uuid4().hex[:12]}'
                   '.tmp')
    existed = osp.exists(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except FileExistsError:
        raise
    except OSError as err:
        if isinstance(err, OutputWriteError):
            raise
        kept = f'; the existing {path} is unchanged' if existed else ''
        raise OutputWriteError(
            f'cannot write {path} (in {folder}): {err.strerror or err}{kept}',
            err.errno) from err
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
