"""tools/benchmark_train.py turns a config into each timed setting."""
import importlib.util
import os.path as osp

from srtoolbox.engine.launch import load_config

from .tiny_run import REPO


def _tool():
    spec = importlib.util.spec_from_file_location(
        'benchmark_train', osp.join(REPO, 'tools', 'benchmark_train.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_settings_change_only_format_precision_and_compile():
    tool = _tool()
    cfg = load_config(osp.join(REPO, 'configs', 'srresnet',
                               'srresnet_x4_demo.py'))
    fp32 = tool.setting_config(cfg, 'fp32', 7, 'w')
    assert fp32.model.channels_last is False
    assert fp32.model.data_preprocessor.channels_last is False
    assert fp32.optim_wrapper.type == 'OptimWrapper'
    assert 'dtype' not in fp32.optim_wrapper and not fp32.compile
    assert fp32.train_cfg.max_iters == 7 and fp32.val_dataloader is None
    assert fp32.model.generator == cfg.model.generator
    bf16 = tool.setting_config(cfg, 'bf16', 7, 'w')
    assert bf16.model.data_preprocessor.channels_last is True
    assert bf16.optim_wrapper.dtype == 'bfloat16'
    assert tool.setting_config(cfg, 'compile', 7, 'w').compile is True


def test_short_timing_runs_pass_the_schedule_check():
    from srtoolbox.engine.config_checks import check_schedule
    cfg = load_config(osp.join(REPO, 'configs', 'srresnet',
                               'msrresnet_x4_demo.py'))
    short = _tool().setting_config(cfg, 'channels_last', 4, 'w')
    check_schedule(short)  # the cosine schedule ends with the run
    assert short.param_scheduler[0].T_max == 4
