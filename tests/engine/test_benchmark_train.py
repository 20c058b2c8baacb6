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


def test_compile_wins_only_when_it_pays_for_itself_over_the_demo():
    tool = _tool()
    rows = [dict(setting='bf16', runner_s_per_iter=0.50),
            dict(setting='bf16_compile', runner_s_per_iter=0.40,
                 compile_s=30.0),
            dict(setting='channels_last', runner_s_per_iter=0.50),
            dict(setting='compile', runner_s_per_iter=0.45, compile_s=30.0)]
    tool.compile_verdicts(rows, budget=360)
    # 360 x 0.10 s = 36 s saved > 30 s; 360 x 0.05 s = 18 s < 30 s
    assert rows[1]['compile_wins_over_360'] is True
    assert rows[3]['compile_wins_over_360'] is False
    assert 'compile_wins_over_360' not in rows[0]


def test_clock_gives_per_iteration_times_after_warmup():
    clock = _tool()._Clock()
    clock.wall = [0.0, 1.0, 1.5, 2.5, 2.75]  # iterations 1-5 end here
    clock.cpu = [0.0, 0.5, 0.75, 1.0, 1.5]
    # warm-up 1: iterations 2-5 took 1.0, 0.5, 1.0 and 0.25 s (wall) and
    # 0.5, 0.25, 0.25 and 0.5 s (CPU)
    assert clock.per_iter(1) == (0.75, 0.25, 0.375)
    # warm-up 2: iterations 3-5
    assert clock.per_iter(2) == (0.5, 0.25, 0.25)


def test_tiny_and_bf16_compile_are_options():
    tool = _tool()
    args = tool.parse_args(['c.py', '--tiny', '--settings', '--threads',
                            '1'])
    assert args.tiny and args.settings == [] and args.threads == 1
    cfg = load_config(osp.join(REPO, 'configs', 'srresnet',
                               'msrresnet_x4_demo.py'))
    both = tool.setting_config(cfg, 'bf16_compile', 7, 'w')
    assert both.compile is True and both.optim_wrapper.dtype == 'bfloat16'


def test_batch_shapes_of_lr_made_on_the_device_and_in_workers():
    """The demo data leaves the LR to the device (the sample's ``inputs``
    is empty): the bare loop's LR shape follows from the scale, as the
    workers' LR would have it."""
    tool = _tool()
    cfg = load_config(osp.join(REPO, 'configs', 'srresnet',
                               'msrresnet_x4_demo.py'))
    assert cfg.train_dataloader.dataset.pipeline[1].on_device is True
    device = tool._batch_shapes(cfg)
    cfg.train_dataloader.dataset.pipeline[1].on_device = False
    workers = tool._batch_shapes(cfg)
    assert device == workers == ((16, 3, 24, 24), (16, 3, 96, 96))


def test_runs_get_their_own_experiment_names():
    """Two short timing runs in one second must not share mmengine's
    logger and visualizer (the first's work dir is deleted by then)."""
    tool = _tool()
    cfg = load_config(osp.join(REPO, 'configs', 'srresnet',
                               'msrresnet_x4_demo.py'))
    names = {tool.setting_config(cfg, 'bf16', 3, 'w').experiment_name
             for _ in range(3)}
    assert len(names) == 3


def test_bare_step_profile_names_the_operators_per_iteration():
    tool = _tool()
    cfg = load_config(osp.join(REPO, 'configs', 'srresnet',
                               'msrresnet_x4_demo.py'), dict(tool.TINY_OPTIONS))
    shapes = tool._batch_shapes(cfg)
    bare = tool.time_bare_step(cfg, 'fp32', 1, 1, shapes, with_details=True,
                               profile_iters=2)
    rows = bare['profile']
    assert rows == sorted(rows, key=lambda r: -r['self_ms'])
    conv = [r for r in rows if 'convolution' in r['name']]
    assert conv and all(r['self_ms'] > 0 for r in conv)
    # per iteration, whatever the shapes they are grouped by: the backward
    # of the generator's 7 convolutions (1 block, x4: first, 2 in the
    # block, 2 upsampling, HR, last) once each
    assert sum(r['calls'] for r in rows
               if r['name'] == 'aten::convolution_backward') == 7
    lines = tool.profile_table(rows, bare['seconds'], limit=5)
    assert len(lines) == 5 and '%' in lines[0]
