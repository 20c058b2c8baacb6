"""Run a data-preparation job over many images: processes, order, progress.

Shared by :mod:`srtoolbox.datasets.lmdb` (building, inspecting) and
:mod:`srtoolbox.datasets.subimages`: :func:`run_ordered` maps a function over
items in worker processes and yields the results in order as they arrive;
:func:`check_on_error` and :func:`listing` give every command the same
``'stop'``/``'skip'`` option and the same many-problem messages.

Why not ``mmengine.utils.track_parallel_progress``: it returns the list of
all results only once every item is done, so (1) every encoded image of a
dataset would sit in memory at once, (2) an LMDB build could commit nothing
before the end, so an interruption would lose all the work that resuming is
there to keep, and ``on_error='stop'`` could not stop at the first bad
image; (3) ``Pool.imap`` queues every task at once; (4) its pool is neither
terminated on an exception nor stopped when the parent is killed, and its
bar cannot be switched off (``progress=False``).
"""
import multiprocessing
import os
import threading
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Generator, Sequence

from tqdm import tqdm

__all__ = ['run_ordered', 'default_workers', 'check_on_error', 'listing']

MAX_LISTED = 20  # lines of a problem list shown in an error message


def default_workers() -> Any:
    """``min(8, cpu_count)``: decoding PNG/JPEG scales to a few cores."""
    return max(1, min(8, os.cpu_count() or 1))


def check_on_error(on_error: Any) -> None:
    if on_error not in ('stop', 'skip'):
        raise ValueError(
            f"on_error must be 'stop' or 'skip', got {on_error!r}")


def listing(lines: Any, limit: Any = MAX_LISTED) -> Any:
    """``lines`` indented one per line, the first ``limit`` of them."""
    lines = [str(line) for line in lines]
    text = '\n  ' + '\n  '.join(lines[:limit])
    if len(lines) > limit:
        text += f'\n  ... and {len(lines) - limit} more'
    return text


def _exit_with_parent(parent_pid):
    """Worker initializer: exit when the parent dies (e.g. killed with -9),
    instead of waiting forever on its task queue."""

    def watch():
        while os.getppid() == parent_pid:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def run_ordered(func: Callable[[Any], Any], items: Sequence[Any],
                workers: int, desc: str, progress: bool,
                unit: str = 'img') -> Generator[Any, None, None]:
    """Yield ``func(item)`` for every item, in order, with a progress bar.

    ``workers > 1`` runs ``func`` (picklable) in that many processes; at most
    a few items per worker are in flight, so memory stays flat on any
    dataset size. Closing the generator early (an error, ``on_error='stop'``)
    cancels what is queued and waits for the workers.
    """
    bar = tqdm(total=len(items), desc=desc, unit=unit, disable=not progress,
               dynamic_ncols=True)
    try:
        if workers <= 1 or len(items) <= 1:
            for item in items:
                result = func(item)
                bar.update()
                yield result
            return
        pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context(),
            initializer=_exit_with_parent, initargs=(os.getpid(),))
        try:
            todo = iter(items)
            pending: deque = deque()
            for item in todo:
                pending.append(pool.submit(func, item))
                if len(pending) >= 4 * workers:
                    break
            while pending:
                result = pending.popleft().result()
                for item in todo:  # refill by one
                    pending.append(pool.submit(func, item))
                    break
                bar.update()
                yield result
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    finally:
        bar.close()
