"""RealESRGANDataset, RealESRNet and RealESRGAN: seeded data with 0 and 2
loader workers, named config errors, a few training iterations of each."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch.utils.data import DataLoader

from srtoolbox.degradations import DegradationConfigError
from srtoolbox.engine.resume import ResumableInfiniteSampler, SeededSamples
from srtoolbox.registry import DATASETS, MODELS

DEMO = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))), 'data', 'demo')

DATASET = dict(type='RealESRGANDataset', data_root=DEMO,
               gt_folder='Set5', scale=4, gt_size=32, crop_pad_size=96)
DEGRADATION = dict(type='SecondOrderDegradation', scale=4, gt_size=32)


def _batches(num_workers, n=2, batch_size=2):
    dataset = DATASETS.build(DATASET)
    loader = DataLoader(SeededSamples(dataset), batch_size=batch_size,
                        sampler=ResumableInfiniteSampler(dataset, seed=3),
                        num_workers=num_workers)
    out = []
    for batch in loader:
        out.append(batch)
        if len(out) == n:
            break
    return out


def test_dataset_items():
    item = DATASETS.build(DATASET)[0]
    assert item['inputs'].shape == (3, 96, 96)
    samples = item['data_samples']
    for key in ('kernel1', 'kernel2', 'sinc_kernel'):
        assert samples[key].shape == (21, 21)
        assert abs(float(samples[key].sum()) - 1) < 1e-4
    assert samples['key']


def test_same_batches_with_0_and_2_workers():
    a, b = _batches(0), _batches(2)
    for x, y in zip(a, b):
        assert torch.equal(x['inputs'], y['inputs'])
        for key in ('kernel1', 'kernel2', 'sinc_kernel'):
            assert torch.equal(x['data_samples'][key],
                               y['data_samples'][key])
    assert not torch.equal(a[0]['inputs'], a[1]['inputs'])


@pytest.mark.parametrize('change, match', [
    (dict(gt_size=16), 'gt_size 16 is smaller than the largest blur'),
    (dict(first_kernel=dict(kernel_sizes=(7, 10))), 'odd'),
    (dict(second_kernel=dict(kernel_prob=(1, 1, 0, 0, 0, 0))), 'sum to 1'),
    (dict(crop_pad_size=24), 'crop_pad_size 24 must be'),
])
def test_dataset_bad_options(change, match):
    with pytest.raises(DegradationConfigError, match=match):
        DATASETS.build(dict(DATASET, **change))


def _esrnet():
    return MODELS.build(dict(
        type='RealESRNet',
        generator=dict(type='RRDBNet', upscale=4, num_feat=8, num_blocks=1,
                       num_grow_ch=4),
        degradation=DEGRADATION, queue_size=4, ema_decay=0.999))


def _esrgan():
    return MODELS.build(dict(
        type='RealESRGAN',
        generator=dict(type='SRVGGNetCompact', upscale=4, num_feat=8,
                       num_conv=2),
        discriminator=dict(type='UNetDiscriminatorSN', num_feat=8),
        pixel_loss=dict(type='L1Loss'),
        perceptual_loss=dict(
            type='PerceptualLoss', criterion='l1', pretrained=None,
            layer_weights={'conv1_2': 0.1, 'conv2_2': 0.1, 'conv3_4': 1,
                           'conv4_4': 1, 'conv5_4': 1}),
        gan_loss=dict(type='GANLoss', gan_type='vanilla', loss_weight=0.1),
        degradation=DEGRADATION, queue_size=4, ema_decay=0.999))


def _adam(net):
    return OptimWrapper(torch.optim.Adam(net.parameters(), lr=1e-3))


def test_realesrnet_trains_and_is_seeded():
    batches = _batches(0, n=3)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = _esrnet()
        before = copy.deepcopy(model.generator.state_dict())
        wrapper = _adam(model.generator)
        logs = [model.train_step(b, wrapper)['loss_pix'] for b in batches]
        runs.append(logs)
        assert model.pool.ptr == 4  # the pool filled, then mixed
    assert runs[0] == runs[1]  # same seed: same LR images, same losses
    assert all(torch.isfinite(torch.as_tensor(v)) for v in runs[0])
    moved = any(not torch.equal(before[k], v)
                for k, v in model.generator.state_dict().items())
    assert moved
    ema = model.generator_ema.state_dict()
    assert any(not torch.equal(ema[k], v)
               for k, v in model.generator.state_dict().items())


def test_realesrgan_trains():
    torch.manual_seed(0)
    model = _esrgan()
    wrappers = OptimWrapperDict(generator=_adam(model.generator),
                                discriminator=_adam(model.discriminator))
    d_before = copy.deepcopy(model.discriminator.state_dict())
    for batch in _batches(0, n=2):
        logs = model.train_step(batch, wrappers)
    assert {'loss_pix', 'loss_perceptual', 'loss_gan', 'loss_d_real',
            'loss_d_fake', 'd_real_prob', 'd_fake_prob'} <= set(logs)
    assert all(torch.isfinite(torch.tensor(v)) for v in logs.values())
    assert any(not torch.equal(d_before[k], v)
               for k, v in model.discriminator.state_dict().items())
    # validation path: plain LR in, SR out
    model.eval()
    out = model.predict(torch.rand(1, 3, 8, 8))
    assert out[0]['pred'].shape == (32, 32, 3)


def test_models_refuse_other_gt_ranges():
    with pytest.raises(ValueError, match='gt_range'):
        MODELS.build(dict(
            type='RealESRNet', generator=dict(type='SRVGGNetCompact'),
            data_preprocessor=dict(type='SRDataPreprocessor',
                                   gt_range=(-1, 1))))
