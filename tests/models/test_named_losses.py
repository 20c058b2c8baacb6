"""model.losses (named losses), model.pixel_loss as a list, FFTLoss."""
import pytest
import torch

from srtoolbox.models import SRGAN, SRModel  # noqa: F401 (registration)
from srtoolbox.registry import LOSSES, MODELS

GEN = dict(type='MSRResNet', upscale=4, num_feat=8, num_blocks=1)


def test_fft_loss_is_l1_of_the_real_and_imaginary_spectrum():
    torch.manual_seed(0)
    pred, target = torch.rand(2, 3, 8, 6), torch.rand(2, 3, 8, 6)
    loss = LOSSES.build(dict(type='FFTLoss', loss_weight=0.5))
    fp, ft = torch.fft.rfft2(pred), torch.fft.rfft2(target)
    expected = 0.5 * torch.cat([(fp.real - ft.real).abs().flatten(),
                                (fp.imag - ft.imag).abs().flatten()]).mean()
    assert loss(pred, target).item() == pytest.approx(expected.item(),
                                                      rel=1e-6)
    assert loss(pred, pred).item() == 0
    ortho = LOSSES.build(dict(type='FFTLoss', norm='ortho'))
    assert ortho(pred, target).item() == pytest.approx(
        expected.item() * 2 / (8 * 6) ** 0.5, rel=1e-5)
    with pytest.raises(ValueError, match='norm'):
        LOSSES.build(dict(type='FFTLoss', norm='bogus'))
    # half precision in, float32 FFT
    assert loss(pred.bfloat16(), target.bfloat16()).dtype == torch.float32


def test_named_losses_are_summed_and_logged_by_name():
    model = MODELS.build(dict(
        type='SRModel', generator=GEN, pixel_loss=dict(type='MSELoss'),
        losses=dict(l1=dict(type='L1Loss', loss_weight=2.0),
                    fft=dict(type='FFTLoss', loss_weight=0.05))))
    out, gt = torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8)
    losses = model.content_losses(out, gt)
    assert list(losses) == ['loss_pix', 'loss_l1', 'loss_fft']
    assert losses['loss_l1'].item() == pytest.approx(
        2 * (out - gt).abs().mean().item(), rel=1e-6)
    # losses hold no weights: checkpoints keep their layout
    assert all(k.startswith(('generator.', 'data_preprocessor'))
               for k in model.state_dict())


def test_pixel_loss_list_is_a_build_error_pointing_to_losses():
    with pytest.raises(TypeError, match=r'model\.losses=dict\(l1='):
        MODELS.build(dict(type='SRModel', generator=GEN, pixel_loss=[
            dict(type='L1Loss'), dict(type='FFTLoss')]))
    with pytest.raises(TypeError, match='dict of name'):
        MODELS.build(dict(type='SRModel', generator=GEN,
                          losses=[dict(type='L1Loss')]))
    with pytest.raises(ValueError, match='losses.pix: loss_pix'):
        MODELS.build(dict(type='SRModel', generator=GEN,
                          losses=dict(pix=dict(type='L1Loss'))))
    with pytest.raises(ValueError, match="'a-b' is not a valid name"):
        MODELS.build(dict(type='SRModel', generator=GEN,
                          losses={'a-b': dict(type='L1Loss')}))


def test_gan_generator_step_logs_named_losses():
    from mmengine.logging import MessageHub
    from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='SRGAN', generator=GEN,
        discriminator=dict(type='SRGANDiscriminator', num_feat=8,
                           input_size=32),
        gan_loss=dict(type='GANLoss', loss_weight=1e-2),
        losses=dict(l1=dict(type='L1Loss'), fft=dict(type='FFTLoss',
                                                      loss_weight=0.05))))
    optim = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type='MultiOptimWrapperConstructor', optim_wrapper_cfg=dict(
            generator=dict(optimizer=dict(type='Adam', lr=1e-3)),
            discriminator=dict(optimizer=dict(type='Adam', lr=1e-3)))))(
                model)
    MessageHub.get_current_instance().update_info('iter', 0)
    data = dict(inputs=torch.rand(2, 3, 8, 8),
                data_samples=dict(gt=torch.rand(2, 3, 32, 32)))
    log = model.train_step(data, optim)
    assert {'loss_l1', 'loss_fft', 'loss_gan'} <= set(log)
    assert 'loss_pix' not in log
