"""A loader worker's own death reaches the user, not a config-format error.

mmengine pretty-prints the config with yapf inside a bare ``except:`` that
re-raises ``SyntaxError('Failed to format the config file')``; a DataLoader
worker killed while that runs (torch raises its "DataLoader worker ... is
killed by signal" error from a SIGCHLD handler, i.e. from whatever line the
main process is on) used to surface as that SyntaxError, hiding the cause.
``load_config`` turns the formatting off, so nothing runs under that except.
The race itself is timing-dependent; this test makes the formatter raise the
way the signal handler would, deterministically.
"""
import os.path as osp

import pytest

from srtoolbox.engine.launch import load_config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'srresnet', 'msrresnet_x4_demo.py')


class WorkerKilled(RuntimeError):
    """Stands in for torch's error raised from the SIGCHLD handler."""


def test_config_text_is_not_run_through_the_formatter(monkeypatch):
    import mmengine.config.config as mmengine_config

    def dies(*args, **kwargs):
        raise WorkerKilled('DataLoader worker (pid 1) is killed by signal: '
                           'Bus error')
    monkeypatch.setattr(mmengine_config, 'FormatCode', dies)
    cfg = load_config(CONFIG)
    text = cfg.pretty_text  # what the Runner logs and dumps
    assert "type='MSRResNet'" in text.replace('"', "'")


def test_the_masking_this_guards_against_is_real(monkeypatch):
    # mmengine's default (formatting on) turns the worker's error into a
    # SyntaxError: if this ever stops failing, the guard above is moot
    import mmengine.config.config as mmengine_config
    from mmengine.config import Config

    def dies(*args, **kwargs):
        raise WorkerKilled('killed by signal')
    monkeypatch.setattr(mmengine_config, 'FormatCode', dies)
    with pytest.raises(SyntaxError, match='Failed to format'):
        Config.fromfile(CONFIG).pretty_text


def test_unformatted_dump_loads_back(tmp_path):
    cfg = load_config(CONFIG)
    path = tmp_path / 'dumped.py'
    cfg.dump(str(path))
    again = load_config(str(path))
    assert again.model.generator.type == 'MSRResNet'
    assert again.train_cfg.max_iters == cfg.train_cfg.max_iters
