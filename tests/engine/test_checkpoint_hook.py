"""Atomic checkpoint files and removal only after a successful save."""
import os

import pytest

from srtoolbox.engine.checkpoint_hook import (AtomicLocalBackend,
                                              ResumableCheckpointHook,
                                              atomic_write)


def test_atomic_write_replaces_or_leaves_the_old_file(tmp_path,
                                                      monkeypatch):
    path = tmp_path / 'iter_1.pth'
    atomic_write(b'old', path)
    atomic_write(b'new', path)
    assert path.read_bytes() == b'new'

    def interrupted(src, dst):
        # the data is in the temporary file; the rename never happens
        assert open(src, 'rb').read() == b'newer'
        raise KeyboardInterrupt

    monkeypatch.setattr(os, 'replace', interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(b'newer', path)
    monkeypatch.undo()
    assert path.read_bytes() == b'new'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['iter_1.pth']


def test_backend_writes_atomically_and_defers_removals(tmp_path):
    backend = AtomicLocalBackend()
    old, new = tmp_path / 'iter_1.pth', tmp_path / 'iter_2.pth'
    backend.put(b'1', old)
    backend.put_text('iter_1.pth', tmp_path / 'last_checkpoint')
    with backend.deferred_removals():
        backend.remove(old)
        assert old.exists()  # still there while the new one is written
        backend.put(b'2', new)
    assert not old.exists() and new.read_bytes() == b'2'

    backend.put(b'1', old)
    with pytest.raises(OSError), backend.deferred_removals():
        backend.remove(old)
        raise OSError('disk full')
    assert old.exists()  # a failed save removes nothing


def test_hook_writes_through_the_atomic_backend_by_default():
    assert ResumableCheckpointHook(interval=1).backend_args == dict(
        backend='atomic_local')
    custom = dict(backend='local')
    assert ResumableCheckpointHook(
        interval=1, backend_args=custom).backend_args == custom
