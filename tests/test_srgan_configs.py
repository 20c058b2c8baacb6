"""Every SRGAN/ESRGAN config builds; the YAML twin equals its Python config."""
import glob
import json
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapperDict, build_optim_wrapper
from mmengine.registry import init_default_scope

import srtoolbox.datasets  # noqa: F401 (registration)
import srtoolbox.engine  # noqa: F401
import srtoolbox.models  # noqa: F401
from srtoolbox.engine.launch import DataNotFoundError, check_data_paths
from srtoolbox.registry import DATASETS, MODELS

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    osp.relpath(p, REPO)
    for pattern in ('configs/srgan/*.py', 'configs/srgan/*.yaml',
                    'configs/esrgan/*.py',
                    # SRGAN's Table 1 SRResNet-VGG22, an SRResNet variant
                    'configs/srresnet/srresnet_vgg22_x4.py')
    for p in glob.glob(osp.join(REPO, pattern)))


def load(path):
    return Config.fromfile(osp.join(REPO, path))


def plain(value):
    """Config values as JSON would hold them (tuples become lists)."""
    if hasattr(value, 'to_dict'):
        value = value.to_dict()
    return json.loads(json.dumps(value))


def build_model(model_cfg):
    """The model with random VGG weights (none are downloaded in tests),
    on the meta device: arguments and shapes are checked without the cost
    of initialising ~40M weights on a shared CPU."""
    cfg = plain(model_cfg)
    for key in ('perceptual_loss', 'pixel_loss'):
        if (cfg.get(key) or {}).get('type') == 'PerceptualLoss':
            cfg[key]['pretrained'] = None
    init_default_scope('srtoolbox')
    with torch.device('meta'):
        return MODELS.build(cfg)


def test_configs_found():
    names = {osp.basename(p) for p in CONFIGS}
    assert {'srgan_x4.py', 'srgan_x4.yaml', 'srgan_mse_x4.py',
            'srgan_vgg22_x4.py', 'srgan_vgg54_x4.py', 'srresnet_vgg22_x4.py',
            'msrgan_x4.py', 'srgan_x4_demo.py', 'esrgan_x4.py',
            'rrdbnet_psnr_x4.py'} <= names


@pytest.mark.parametrize('path', CONFIGS)
def test_config_builds(path):
    cfg = load(path)
    with open(osp.join(REPO, path), encoding='utf-8') as f:
        assert f.readline().startswith('#'), 'first line: where it is from'
    model = build_model(cfg.model)
    assert type(model).__name__ == cfg.model.type
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    if cfg.model.type in ('SRGAN', 'ESRGAN'):
        assert isinstance(wrapper, OptimWrapperDict)
        assert set(wrapper.keys()) == {'generator', 'discriminator'}
        assert cfg.model_wrapper_cfg.type == 'SRDistributedDataParallel'
        assert cfg.model_wrapper_cfg.broadcast_buffers is False
        perceptual = cfg.model.get('perceptual_loss')
        if perceptual:  # the VGG sees images in the generator's range
            assert tuple(perceptual.input_range) == tuple(
                cfg.model.data_preprocessor.gt_range)
    try:
        check_data_paths(cfg)
    except DataNotFoundError as err:
        # the message names the missing path and how to make it
        assert cfg.train_dataloader.dataset.gt_folder in str(err)
        assert 'tools/create_lmdb.py' in str(err)
        return
    # data present (the demo): the datasets build
    init_default_scope('srtoolbox')
    assert len(DATASETS.build(plain(cfg.train_dataloader.dataset))) > 0
    assert len(DATASETS.build(plain(cfg.val_dataloader.dataset))) > 0


def test_srgan_recipe_is_the_papers():
    cfg = load('configs/srgan/srgan_x4.py')
    model = cfg.model
    assert model.generator.type == 'SRResNet'
    assert model.discriminator == dict(type='SRGANDiscriminator',
                                       num_feat=64, input_size=96)
    assert tuple(model.data_preprocessor.gt_range) == (-1.0, 1.0)
    assert model.perceptual_loss.layer_weights == {'relu5_4': 1.0}
    assert model.perceptual_loss.feature_scale == pytest.approx(1 / 12.75)
    assert model.gan_loss.loss_weight == 1e-3
    assert cfg.train_dataloader.batch_size == 16
    assert cfg.train_cfg.max_iters == 200000
    assert cfg.param_scheduler[0].milestones == [100000]
    assert load('configs/srgan/srgan_vgg22_x4.py').model.perceptual_loss \
        .layer_weights == {'relu2_2': 1.0}
    assert load('configs/srgan/srgan_mse_x4.py').model.perceptual_loss \
        is None


def test_yaml_twin_equals_python_config():
    py, yml = load('configs/srgan/srgan_x4.py'), load(
        'configs/srgan/srgan_x4.yaml')
    for key in ('model', 'train_dataloader', 'val_dataloader',
                'test_dataloader', 'optim_wrapper', 'param_scheduler',
                'train_cfg', 'model_wrapper_cfg', 'val_evaluator'):
        assert plain(py[key]) == plain(yml[key]), key
    shapes = [{k: tuple(v.shape)
               for k, v in build_model(c.model).state_dict().items()}
              for c in (py, yml)]
    assert shapes[0] == shapes[1]


def test_folder_or_lmdb_is_a_dataset_option(tmp_path):
    cfg = load('configs/srgan/srgan_x4.py')
    # storage is detected from the path: pointing gt_folder at a folder of
    # images is the one option that switches from the LMDB
    assert cfg.train_dataloader.dataset.gt_folder.endswith('.lmdb')
    assert cfg.train_dataloader.dataset.backend_args is None
    cfg.merge_from_dict({
        'train_dataloader.dataset.gt_folder': osp.join(REPO, 'data', 'demo',
                                                       'Set5'),
    })
    init_default_scope('srtoolbox')
    dataset = DATASETS.build(plain(cfg.train_dataloader.dataset))
    assert len(dataset) == 5
    assert dataset[0]['data_samples']['gt'].shape == (3, 96, 96)


def test_train_without_data_exits_naming_the_path(tmp_path):
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', 'configs/srgan/srgan_x4.py',
         '--work-dir', str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert 'data/imagenet/train_hr.lmdb' in proc.stderr
    assert 'tools/create_lmdb.py' in proc.stderr
    assert 'vgg19-dcbb9e9d.pth' in proc.stderr  # and where the VGG goes

