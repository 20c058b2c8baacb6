"""The Real-ESRGAN configs carry the released options; the YAML twin is the
same experiment as the Python config."""
import os.path as osp

from srtoolbox.engine.launch import load_config

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _load(name):
    return load_config(osp.join(REPO, 'configs', 'realesrgan', name))


def test_yaml_twin_equals_python():
    py, yml = _load('realesrgan_x4plus.py'), _load('realesrgan_x4plus.yaml')
    for key in ('model', 'train_dataloader', 'val_dataloader',
                'optim_wrapper', 'param_scheduler', 'train_cfg',
                'val_evaluator', 'default_hooks', 'model_wrapper_cfg'):
        assert py[key] == yml[key], key
    assert yml.data_preparation == py.data_preparation


def test_released_options():
    net, gan = _load('realesrnet_x4plus.py'), _load('realesrgan_x4plus.py')
    for cfg in (net, gan):
        deg = cfg.model.degradation
        assert (deg.resize_prob, deg.resize_range) == ([0.2, 0.7, 0.1],
                                                       [0.15, 1.5])
        assert (deg.resize_prob2, deg.resize_range2) == ([0.3, 0.4, 0.3],
                                                         [0.3, 1.2])
        assert deg.noise_range == [1, 30] and deg.noise_range2 == [1, 25]
        assert deg.jpeg_range == deg.jpeg_range2 == [30, 95]
        assert deg.gt_size == cfg.train_dataloader.dataset.gt_size == 256
        assert cfg.model.queue_size == 180 and cfg.model.ema_decay == 0.999
        assert cfg.train_dataloader.batch_size == 12
        data = cfg.train_dataloader.dataset
        assert data.first_kernel.blur_sigma == [0.2, 3]
        assert data.second_kernel.blur_sigma == [0.2, 1.5]
        assert data.final_sinc.prob == 0.8
    assert net.optim_wrapper.optimizer.lr == 2e-4
    assert net.train_cfg.max_iters == 1_000_000
    assert gan.optim_wrapper.generator.optimizer.lr == 1e-4
    assert gan.optim_wrapper.discriminator.optimizer.betas == [0.9, 0.99]
    assert gan.train_cfg.max_iters == 400_000
    assert gan.model.gan_loss.loss_weight == 0.1
    assert gan.model.perceptual_loss.layer_weights == {
        'conv1_2': 0.1, 'conv2_2': 0.1, 'conv3_4': 1.0, 'conv4_4': 1.0,
        'conv5_4': 1.0}
    compact = _load('realesr_compact_x4.py')
    assert compact.model.generator.num_conv == 32
