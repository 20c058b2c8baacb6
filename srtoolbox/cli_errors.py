"""How ``srt`` and every ``tools/*.py`` report an expected error: one line.

A bad file, a wrong option or a full disk is the user's to fix, not a bug:
the tool prints one line, ``error: <message>`` on stderr, and exits with
status 1. The message names the file and the key or option (the code that
raises says so; see docs/errors.md). ``--debug`` anywhere on the command
line, or ``SRTOOLBOX_DEBUG=1`` in the environment, shows the traceback
instead. Errors of other types (``TypeError``, ``AttributeError``, ...) are
bugs and keep their traceback.

Every tool's ``main`` is wrapped by :func:`tool_main`, so ``python
tools/X.py``, ``srt X`` and ``main(argv)`` from Python behave alike. This
module imports nothing but the standard library: ``--help`` stays fast.
"""
import functools
import os
import pickle
import re
import sys

__all__ = ['ToolError', 'EXPECTED', 'one_line', 'debug_requested',
           'tool_main', 'DEBUG_ENV']

DEBUG_ENV = 'SRTOOLBOX_DEBUG'


class ToolError(Exception):
    """An expected error whose message is already what the user reads (a
    tool adding the config file or the option to a lower layer's error)."""


# What bad input raises: files (OSError, and DamagedLmdbError,
# FileExistsError...), values (ValueError: config, metadata, images),
# missing keys (KeyError: registry misses), refused weights (RuntimeError:
# mismatching names/shapes; FloatingPointError: NaN/Inf weights;
# UnpicklingError: unsafe checkpoints), MemoryError (too large an image),
# ImportError (an optional package not installed: onnx, tensorboard).
EXPECTED = (ToolError, OSError, ValueError, KeyError, RuntimeError,
            MemoryError, FloatingPointError, pickle.UnpicklingError,
            ImportError)

# torch's DataLoader re-raises a worker's exception with this header and
# the worker's whole traceback as its message
_WORKER = re.compile(r'^Caught \w+ in DataLoader worker process \d+\.')


def one_line(err):
    """The message of ``err`` as one line.

    A ``KeyError`` loses its quotes; a DataLoader worker's re-raised
    exception becomes the worker's own message (the last line of the
    traceback it carries, without the ``module.Class:`` prefix); a message
    over several lines (a list of missing folders, torch's size mismatches)
    is joined with ``'; '`` (``' '`` after a line ending in ``:``).
    """
    if isinstance(err, KeyError) and len(err.args) == 1 and \
            isinstance(err.args[0], str):
        text = err.args[0]
    else:
        text = str(err)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and _WORKER.match(lines[0]):
        last = lines[-1]
        head, sep, rest = last.partition(': ')
        lines = [rest if sep and re.fullmatch(r'[\w.]+', head) else last]
    out = ''
    for line in lines:
        if out:
            out += ' ' if out.endswith(':') else '; '
        out += line
    return out or type(err).__name__


def debug_requested(argv):
    """``(debug, argv without --debug)``: ``--debug`` in ``argv`` or
    ``SRTOOLBOX_DEBUG`` set to something other than ``''``/``0``."""
    argv = list(argv)
    debug = '--debug' in argv
    argv = [a for a in argv if a != '--debug']
    env = os.environ.get(DEBUG_ENV, '').strip().lower()
    return debug or env not in ('', '0', 'false', 'no'), argv


def tool_main(main):
    """Wrap a tool's ``main(argv=None)``: expected errors (:data:`EXPECTED`)
    become ``error: <one line>`` on stderr and the return value 1, unless
    :func:`debug_requested`."""

    @functools.wraps(main)
    def wrapper(argv=None):
        argv = sys.argv[1:] if argv is None else argv
        debug, argv = debug_requested(argv)
        if debug:
            return main(argv)
        try:
            return main(argv)
        except EXPECTED as err:
            sys.stdout.flush()
            print(f'error: {one_line(err)}', file=sys.stderr, flush=True)
            return 1

    return wrapper
