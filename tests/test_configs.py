"""Every config builds; Python and YAML twins are the same experiment."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.runner import Runner

from srtoolbox.engine.launch import _dataset_paths, load_config

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.*'),
                         recursive=True)
    if '_base_' not in p and p.endswith(('.py', '.yaml')))


def _offline(cfg_model):
    """No VGG file and no SRResNet checkpoint here: build without them."""
    if isinstance(cfg_model, dict):
        if cfg_model.get('type') == 'PerceptualLoss':
            cfg_model['pretrained'] = None
        if 'pretrained_generator' in cfg_model:
            cfg_model['pretrained_generator'] = None
        for value in cfg_model.values():
            _offline(value)
    elif isinstance(cfg_model, list):
        for value in cfg_model:
            _offline(value)
    return cfg_model


def test_configs_found():
    assert len(CONFIGS) >= 15


@pytest.mark.parametrize('path', CONFIGS,
                         ids=[osp.relpath(p, REPO) for p in CONFIGS])
def test_config_builds(path, monkeypatch):
    monkeypatch.chdir(REPO)  # data paths in configs are relative to the repo
    cfg = load_config(path)
    assert cfg.default_scope == 'srtoolbox'
    model = ROOT_MODELS.build(_offline(cfg.model))
    assert isinstance(model, torch.nn.Module)
    assert hasattr(model, 'generator')
    for split in ('train', 'val'):
        loader = cfg.get(f'{split}_dataloader')
        assert loader is not None, f'{path}: no {split}_dataloader'
        paths = _dataset_paths(loader.dataset)
        if all(osp.exists(p) for p, _ in paths):  # demo data: build it too
            dataset = Runner.build_dataloader(loader).dataset
            assert len(dataset) > 0
    if 'demo' not in path:
        assert cfg.train_cfg.max_iters >= 100000, 'paper recipes are long'
        assert cfg.get('data_preparation'), \
            f'{path}: says nothing about how to prepare its data'


def _built(cfg):
    model = ROOT_MODELS.build(_offline(cfg.model))
    train = Runner.build_dataloader(cfg.train_dataloader)
    val = Runner.build_dataloader(cfg.val_dataloader)
    return model, train, val


def test_yaml_twin_builds_identical_model_and_dataloaders(monkeypatch):
    monkeypatch.chdir(REPO)
    py = load_config('configs/srresnet/srresnet_x4_demo.py')
    yml = load_config('configs/srresnet/srresnet_x4_demo.yaml')
    for key in ('model', 'train_dataloader', 'val_dataloader',
                'optim_wrapper', 'param_scheduler', 'train_cfg',
                'val_evaluator', 'default_hooks', 'custom_hooks'):
        assert py[key] == yml[key], key
    (m1, t1, v1), (m2, t2, v2) = _built(py), _built(yml)
    s1, s2 = m1.state_dict(), m2.state_dict()
    assert list(s1) == list(s2)
    assert all(s1[k].shape == s2[k].shape for k in s1)
    assert m1.data_preprocessor.gt_range == m2.data_preprocessor.gt_range
    assert t1.batch_size == t2.batch_size == 16
    assert repr(t1.dataset.pipeline) == repr(t2.dataset.pipeline)
    assert t1.dataset.data_list == t2.dataset.data_list
    assert [d.name for d in v1.dataset.datasets] == \
        [d.name for d in v2.dataset.datasets] == ['Set5', 'Set14']


@pytest.mark.parametrize('name', ['srresnet_x4_demo.py',
                                  'srresnet_x4_demo.yaml'])
def test_cfg_options_apply_to_python_and_yaml(name):
    cfg = load_config(osp.join(REPO, 'configs', 'srresnet', name),
                      {'train_cfg.max_iters': 7,
                       'model.generator.num_blocks': 3,
                       'optim_wrapper.optimizer.lr': 5e-4})
    assert cfg.train_cfg.max_iters == 7
    assert cfg.model.generator.num_blocks == 3
    assert cfg.optim_wrapper.optimizer.lr == 5e-4


def test_missing_config_and_bad_extension(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.py does not exist'):
        load_config(str(tmp_path / 'nope.py'))
    bad = tmp_path / 'cfg.txt'
    bad.write_text('x = 1')
    with pytest.raises(ValueError, match="not '.txt'"):
        load_config(str(bad))
