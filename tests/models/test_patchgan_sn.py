"""PatchGAN with spectral normalisation: pix2pix's shapes, parameter count
and 70x70 receptive field, the multi-scale option, and one SRGAN step."""
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS

from srtoolbox.models.discriminators import PatchGANDiscriminatorSN
from srtoolbox.registry import DISCRIMINATORS, MODELS


def test_parameter_count_and_patch_map():
    model = DISCRIMINATORS.build(dict(type='PatchGANDiscriminatorSN'))
    # pix2pix's NLayerDiscriminator (3 layers, 64 features) without its
    # BatchNorms, every conv with a bias:
    #   3*64*16 + 64 + 64*128*16 + 128 + 128*256*16 + 256
    #   + 256*512*16 + 512 + 512*1*16 + 1 = 2,764,737
    assert sum(p.numel() for p in model.parameters()) == 2_764_737
    # 128 -> 64 -> 32 -> 16 (stride 2) -> 15 -> 14 (4x4, stride 1)
    assert model(torch.rand(2, 3, 128, 128)).shape == (2, 1, 14, 14)
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 5 and all(hasattr(c, 'weight_orig') for c in convs)


def test_each_logit_sees_a_70x70_patch():
    torch.manual_seed(0)
    model = PatchGANDiscriminatorSN(num_feat=4)
    x = torch.rand(1, 3, 128, 128, requires_grad=True)
    model(x)[0, 0, 7, 7].backward()
    rows = x.grad.abs().sum((0, 1, 3)).nonzero()
    cols = x.grad.abs().sum((0, 1, 2)).nonzero()
    assert int(rows.max() - rows.min()) + 1 == 70
    assert int(cols.max() - cols.min()) + 1 == 70


def test_multi_scale_concatenates_each_scale():
    model = PatchGANDiscriminatorSN(num_feat=8, num_scales=3)
    out = model(torch.rand(2, 3, 96, 96))
    # 96 -> 10x10 patches; pooled 48 -> 4x4; pooled 24 -> 1x1
    assert out.shape == (2, 100 + 16 + 1)
    with pytest.raises(ValueError, match=r'at least 96x96, got 64x64'):
        model(torch.rand(1, 3, 64, 64))
    with pytest.raises(ValueError, match='num_scales must be an int >= 1'):
        PatchGANDiscriminatorSN(num_scales=0)


def test_trains_in_the_srgan_step():
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='SRGAN',
        generator=dict(type='SRResNet', num_feat=8, num_blocks=1),
        discriminator=dict(type='PatchGANDiscriminatorSN', num_feat=8,
                           num_scales=2),
        pixel_loss=dict(type='L1Loss'), perceptual_loss=None,
        gan_loss=dict(type='GANLoss', gan_type='vanilla', loss_weight=0.1),
        data_preprocessor=dict(type='SRDataPreprocessor')))
    optim = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type='MultiOptimWrapperConstructor', optim_wrapper_cfg=dict(
            generator=dict(optimizer=dict(type='Adam', lr=1e-3)),
            discriminator=dict(optimizer=dict(type='Adam', lr=1e-3)))))(
                model)
    before = [p.detach().clone() for p in model.discriminator.parameters()]
    MessageHub.get_current_instance().update_info('iter', 0)
    log = model.train_step(dict(
        inputs=torch.rand(2, 3, 12, 12),
        data_samples=dict(gt=torch.rand(2, 3, 48, 48))), optim)
    assert {'loss_gan', 'loss_d_real', 'loss_d_fake'} <= set(log)
    assert all(torch.isfinite(torch.tensor(v)) for v in log.values())
    assert any(not torch.equal(a, b) for a, b in
               zip(before, model.discriminator.parameters()))
