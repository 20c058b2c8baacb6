"""#13.6 / #17.7: config mistakes are named errors (key and file) when the
config is loaded, before any iteration; --cfg-options keeps paths intact."""
import os.path as osp

import pytest

from srtoolbox.engine.config_checks import ConfigError
from srtoolbox.engine.launch import load_config, prepare_train_config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(REPO, 'configs', 'srresnet', 'msrresnet_x4_demo.py')
RRDB = osp.join(REPO, 'configs', 'esrgan', 'rrdbnet_psnr_x4.py')
SRGAN_DEMO = osp.join(REPO, 'configs', 'srgan', 'srgan_x4_demo.py')


def _child(tmp_path, text, name='child.py', base=DEMO):
    path = tmp_path / name
    path.write_text(f'_base_ = [{base!r}]\n' + text)
    return str(path)


def _train(path, options=None):
    cfg = load_config(path, options)
    return prepare_train_config(cfg, config_path=path,
                                work_dir='/nonexistent', check_data=False)


def test_unknown_argument_after_type_change_hints_delete(tmp_path):
    path = _child(tmp_path, "model = dict(generator=dict(type='EDSR'))\n",
                  base=RRDB)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    msg = str(err.value)
    # RRDBNet's num_feat is fine for EDSR; its num_grow_ch is not
    assert 'model.generator.num_grow_ch' in msg
    assert 'EDSR takes no argument' in msg and RRDB in msg
    assert '_delete_=True' in msg and "'RRDBNet'" in msg
    ok = _child(tmp_path, "model = dict(generator=dict(_delete_=True, "
                "type='EDSR', upscale=4))\n", 'ok.py', base=RRDB)
    load_config(ok)


def test_misspelt_argument_suggests_the_right_one(tmp_path):
    path = _child(tmp_path, 'model = dict(generator=dict(num_feats=32))\n')
    with pytest.raises(ConfigError, match=r"model\.generator\.num_feats.*"
                       r"did you mean 'num_feat'"):
        load_config(path)


def test_schedule_follows_max_iters_from_cfg_options():
    cfg = _train(DEMO, {'train_cfg.max_iters': 90})
    assert cfg.param_scheduler[0]['T_max'] == 90  # was 360 = max_iters


def test_schedule_that_does_not_fit_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r'param_scheduler\[0\].*ends at '
                       r'iteration 360.*max_iters = 90'):
        _train(DEMO, {'train_cfg.max_iters': 90,
                      'param_scheduler.0.eta_min': 0.0})
    path = _child(tmp_path, 'train_cfg = dict(max_iters=100)\n')
    with pytest.raises(ConfigError, match=path):
        _train(path)


def test_hr_crop_differs_from_discriminator_input(tmp_path):
    path = _child(tmp_path, 'gt_size = 64\ntrain_dataloader = dict(dataset=dict('
                  'pipeline=[dict(type="PairedRandomCrop", gt_size=64, '
                  'scale=4), dict(type="BicubicDownsample", scale=4), '
                  'dict(type="PackSRInputs")]))\n', base=SRGAN_DEMO)
    with pytest.raises(ConfigError, match=r'gt_size = 64.*discriminator\.'
                       r'input_size = 96'):
        load_config(path)


def test_quoted_base_variable_is_named(tmp_path):
    path = _child(tmp_path, "work_dir = '{{_base_.scale}}'\n")
    with pytest.raises(ConfigError, match=r"work_dir.*quoted.*"
                       r"without quotes: work_dir = \{\{_base_\.scale\}\}"):
        load_config(path)


def test_negative_lr_and_zero_batch(tmp_path):
    path = _child(tmp_path, 'optim_wrapper = dict(optimizer=dict(lr=-1e-4))'
                  '\n')
    with pytest.raises(ConfigError, match=r'optim_wrapper\.optimizer\.lr = '
                       r'-0\.0001 is negative'):
        load_config(path)
    with pytest.raises(ConfigError, match=r'train_dataloader\.batch_size = 0'):
        load_config(DEMO, {'train_dataloader.batch_size': 0})


def test_generator_scale_differs_from_dataset(tmp_path):
    with pytest.raises(ConfigError, match=r'train_dataloader\.dataset.*scale '
                       r'= 4 but model\.generator\.upscale = 2'):
        load_config(DEMO, {'model.generator.upscale': 2})


@pytest.mark.parametrize('ext,text,line', [
    ('.py', "x = 1\ny = dict(a=1,\nz = 3\n", 2),
    ('.yaml', "a: 1\nb: [1, 2\nc: 3\n", 3)])
def test_syntax_error_names_file_and_line(tmp_path, ext, text, line):
    bad = tmp_path / f'bad{ext}'
    bad.write_text(text)
    child = tmp_path / 'child.py'
    child.write_text(f'_base_ = [{str(bad)!r}]\n')
    with pytest.raises(ConfigError, match=rf'{bad}, line {line}'):
        load_config(str(child))


def test_cfg_options_keep_paths_with_spaces_and_commas():
    from tools.train import parse_args
    args = parse_args([DEMO, '--cfg-options', 'work_dir=/tmp/my runs/a',
                       'data_root="/data/a,b"', 'x=1,2'])
    assert args.cfg_options == {'work_dir': '/tmp/my runs/a',
                                'data_root': '/data/a,b', 'x': [1, 2]}
    for bad in (['work_dir=/tmp/a,b'], ['work_dir=/tmp/my', 'runs']):
        with pytest.raises(SystemExit):
            parse_args([DEMO, '--cfg-options', *bad])


def test_step_decay_beyond_the_end_is_said_not_refused(tmp_path):
    path = _child(tmp_path, 'train_cfg = dict(max_iters=100)\n'
                  "param_scheduler = [dict(type='MultiStepLR', by_epoch=False,"
                  ' milestones=[50, 200], gamma=0.5)]\n')
    cfg = _train(path)  # no error
    assert cfg.param_scheduler[0]['milestones'] == [50, 200]
    # and a max_iters override stretches the milestones with it
    cfg = _train(path, {'train_cfg.max_iters': 1000})
    assert cfg.param_scheduler[0]['milestones'] == [50, 200]  # not followed


def test_step_milestones_follow_max_iters():
    rrdb = load_config(RRDB, {'train_cfg.max_iters': 1000})
    assert rrdb.param_scheduler[0]['milestones'] == [200, 400, 600, 800]
