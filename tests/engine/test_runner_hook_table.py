"""SRRunner.call_hook skips only mmengine's no-op Hook methods."""
from mmengine.hooks import Hook

from srtoolbox.engine.runner import _does_something


class _Private(Hook):
    def _after_iter(self, runner, batch_idx, data_batch=None, outputs=None,
                    mode='train'):
        pass


class _Public(Hook):
    def before_train_iter(self, runner, batch_idx, data_batch=None):
        pass


def test_hooks_that_act_are_called_and_no_ops_skipped():
    private, public, plain = _Private(), _Public(), Hook()
    # Hook.after_train_iter forwards to the overridden _after_iter
    assert _does_something(private, 'after_train_iter')
    assert _does_something(private, 'after_val_iter')
    assert not _does_something(private, 'before_train_iter')
    assert _does_something(public, 'before_train_iter')
    assert not _does_something(public, 'after_train_iter')
    assert not any(_does_something(plain, name) for name in (
        'before_run', 'after_train_iter', 'before_save_checkpoint'))
    # a method set on the instance counts; an unknown name does not
    plain.after_train = lambda runner: None
    assert _does_something(plain, 'after_train')
    assert not _does_something(plain, 'no_such_event')
