"""The one adversarial step: update order, D accumulation, per-loss targets,
formulations, and every configured loss trained by every model."""
import copy

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch.nn import functional as F

from srtoolbox.models import SRGAN  # noqa: F401 (registration)
from srtoolbox.registry import LOSSES, MODELS

GEN = dict(type='SRResNet', num_feat=8, num_blocks=1)
DISC = dict(type='SRGANDiscriminator', num_feat=8, input_size=32)
DEGRADATION = dict(type='SecondOrderDegradation', scale=4, gt_size=32)


def _delta_kernels(n, size=21):
    k = torch.zeros(n, size, size)
    k[:, size // 2, size // 2] = 1
    return k


def adam(net, lr=1e-3, **kwargs):
    return OptimWrapper(torch.optim.Adam(net.parameters(), lr=lr), **kwargs)


def wrappers(model, **d_kwargs):
    return OptimWrapperDict(generator=adam(model.generator),
                            discriminator=adam(model.discriminator,
                                               **d_kwargs))


def gan(type_='SRGAN', **kwargs):
    torch.manual_seed(0)
    cfg = dict(type=type_, generator=GEN, discriminator=DISC,
               pixel_loss=dict(type='L1Loss'),
               gan_loss=dict(type='GANLoss', loss_weight=0.1))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def batch(n=2, seed=1):
    g = torch.Generator().manual_seed(seed)
    return dict(inputs=torch.rand(n, 3, 8, 8, generator=g),
                data_samples=dict(gt=torch.rand(n, 3, 32, 32, generator=g)))


def step(model, optim, data, it=0):
    MessageHub.get_current_instance().update_info('iter', it)
    return model.train_step(copy.deepcopy(data), optim)


@pytest.mark.parametrize('order', ['d_then_g', 'g_then_d'])
def test_update_order_decides_which_d_judges_the_generator(order):
    model = gan(pixel_loss=None, update_order=order)
    data = batch()
    before = copy.deepcopy(model)
    log = step(model, wrappers(model), data)
    with torch.no_grad():
        fake = before.generator(data['inputs'])
        gt = data['data_samples']['gt']
        old_d = before.adversarial_loss(before.discriminator, fake, gt)
        new_d = model.adversarial_loss(model.discriminator, fake, gt)
    judged_by = old_d if order == 'g_then_d' else new_d
    assert log['loss_gan'] == pytest.approx(judged_by.item(), rel=1e-6)
    assert old_d.item() != pytest.approx(new_d.item(), rel=1e-6)


def test_defaults_follow_the_released_recipes():
    assert gan().update_order == 'd_then_g'  # SRGAN paper, Algorithm 1
    assert gan('ESRGAN').update_order == 'g_then_d'  # BasicSR ESRGANModel
    with pytest.raises(ValueError, match='update_order'):
        gan(update_order='both')


def test_discriminator_accumulates_through_its_optim_wrapper():
    model = gan()
    optim = wrappers(model, accumulative_counts=2)
    params = dict(model.discriminator.named_parameters())
    d0 = {k: v.detach().clone() for k, v in params.items()}
    step(model, optim, batch(seed=1), it=0)
    assert all(torch.equal(v, params[k]) for k, v in d0.items())
    grads = [p.grad for p in model.discriminator.parameters()]
    assert all(g is not None and g.abs().sum() > 0 for g in grads)
    step(model, optim, batch(seed=2), it=1)
    assert optim['discriminator'].optimizer.state[next(
        model.discriminator.parameters())]['step'] == 1
    assert any(not torch.equal(v, params[k]) for k, v in d0.items())


def test_each_loss_compares_with_the_target_it_names():
    model = MODELS.build(dict(
        type='RealESRNet', generator=dict(type='SRVGGNetCompact', num_feat=8,
                                          num_conv=1),
        degradation=DEGRADATION, queue_size=0,
        losses=dict(sharp=dict(type='MSELoss', target='gt_usm'),
                    plain=dict(type='MSELoss'))))
    lq, gt, usm = torch.rand(2, 3, 8, 8), torch.rand(2, 3, 32, 32), \
        torch.rand(2, 3, 32, 32)
    model.prepare_batch = lambda data: (lq, dict(gt=gt, gt_usm=usm))
    with torch.no_grad():
        out = model.generator(lq)
    log = model.train_step({}, adam(model.generator))
    assert log['loss_sharp'].item() == pytest.approx(
        F.mse_loss(out, usm).item(), rel=1e-5)
    assert log['loss_plain'].item() == pytest.approx(
        F.mse_loss(out, gt).item(), rel=1e-5)
    # released switch: the L1 of RealESRNet compares with the sharpened GT
    assert log['loss_pix'].item() == pytest.approx(
        (out - usm).abs().mean().item(), rel=1e-5)
    with pytest.raises(ValueError, match=r"fft.target='gt_usm'.*gt$"):
        MODELS.build(dict(type='SRModel', generator=GEN, losses=dict(
            fft=dict(type='FFTLoss', target='gt_usm'))))


class MeanLogit(torch.nn.Module):
    def forward(self, x):
        return x.mean(dim=(1, 2, 3)).unsqueeze(1)


@pytest.mark.parametrize('name, d_real, d_fake, g_fake', [
    ('StandardGANLoss', lambda r: F.softplus(-r), lambda f: F.softplus(f),
     lambda f: F.softplus(-f)),
    ('LSGANLoss', lambda r: (r - 1)**2, lambda f: f**2,
     lambda f: (f - 1)**2),
    ('HingeGANLoss', lambda r: F.relu(1 - r), lambda f: F.relu(1 + f),
     lambda f: -f),
])
def test_formulations_match_their_formulas(name, d_real, d_fake, g_fake):
    loss = LOSSES.build(dict(type=name, loss_weight=0.5))
    real = torch.tensor([0.3, -0.7]).view(2, 1, 1, 1).expand(2, 3, 4, 4)
    fake = torch.tensor([0.2, 1.5]).view(2, 1, 1, 1).expand(2, 3, 4, 4)
    r, f = torch.tensor([[0.3], [-0.7]]), torch.tensor([[0.2], [1.5]])
    (lr, _), (lf, _) = list(loss.discriminator_terms(MeanLogit(), real,
                                                     fake))
    assert lr.item() == pytest.approx(d_real(r).mean().item(), rel=1e-6)
    assert lf.item() == pytest.approx(d_fake(f).mean().item(), rel=1e-6)
    assert loss.generator_loss(MeanLogit(), fake, real).item() == \
        pytest.approx(0.5 * g_fake(f).mean().item(), rel=1e-6)


def _synth_batch(n=2):
    # 96 px crops, as RealESRGANDataset's crop_pad_size in the model tests
    delta = _delta_kernels(n)
    g = torch.Generator().manual_seed(3)
    return dict(inputs=torch.rand(n, 3, 96, 96, generator=g),
                data_samples=dict(kernel1=delta, kernel2=delta.clone(),
                                  sinc_kernel=delta.clone()))


MODELS_UNDER_TEST = {
    'SRModel': dict(type='SRModel', generator=GEN,
                    pixel_loss=dict(type='L1Loss')),
    'RealESRNet': dict(type='RealESRNet', generator=dict(
        type='SRVGGNetCompact', num_feat=8, num_conv=1),
        degradation=DEGRADATION, queue_size=0),
    'SRGAN': dict(type='SRGAN', generator=GEN, discriminator=DISC,
                  pixel_loss=dict(type='L1Loss'),
                  gan_loss=dict(type='GANLoss', loss_weight=0.1)),
    'ESRGAN': dict(type='ESRGAN', generator=GEN, discriminator=DISC,
                   pixel_loss=dict(type='L1Loss'),
                   gan_loss=dict(type='RelativisticAverageGANLoss',
                                 loss_weight=0.1)),
    'RealESRGAN': dict(type='RealESRGAN', generator=dict(
        type='SRVGGNetCompact', num_feat=8, num_conv=1),
        discriminator=dict(type='UNetDiscriminatorSN', num_feat=4),
        pixel_loss=dict(type='L1Loss'),
        gan_loss=dict(type='GANLoss', loss_weight=0.1),
        degradation=DEGRADATION, queue_size=0),
}


def _one_step(cfg, losses):
    torch.manual_seed(0)
    model = MODELS.build(dict(cfg, losses=losses))
    gan_model = 'discriminator' in cfg
    data = _synth_batch() if 'degradation' in cfg else batch()
    optim = wrappers(model) if gan_model else adam(model.generator)
    torch.manual_seed(1)
    log = step(model, optim, data)
    return log, model.generator.state_dict()


@pytest.mark.parametrize('name', sorted(MODELS_UNDER_TEST))
def test_every_configured_loss_is_logged_and_trained(name):
    cfg = MODELS_UNDER_TEST[name]
    extra = dict(fft=dict(type='FFTLoss', loss_weight=1.0),
                 charb=dict(type='CharbonnierLoss', loss_weight=1.0))
    log, plain = _one_step(cfg, None)
    assert not {'loss_fft', 'loss_charb'} & set(log)
    log_extra, trained = _one_step(cfg, extra)
    assert {'loss_fft', 'loss_charb'} <= set(log_extra), name
    # the same seed and batch: the extra losses alone move the weights
    assert any(not torch.equal(plain[k], trained[k]) for k in plain), name


def test_a_loss_that_needs_the_ema_output_gets_it():
    """LDL's artifact map is refined by the EMA generator's output (BasicSR
    RealESRGANModel's output_ema), which the step computes for it."""
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='SRModel', generator=GEN, pixel_loss=None, ema_decay=0.5,
        losses=dict(ldl=dict(type='LDLLoss'))))
    with torch.no_grad():  # an EMA that differs from the generator
        for p in model.generator_ema.parameters():
            p.add_(0.05 * torch.randn_like(p))
    data = batch()
    lq, gt = data['inputs'], data['data_samples']['gt']
    with torch.no_grad():
        out, out_ema = model.generator(lq), model.generator_ema(lq)
    ldl = LOSSES.build(dict(type='LDLLoss'))
    log = model.train_step(copy.deepcopy(data), adam(model.generator))
    assert log['loss_ldl'].item() == pytest.approx(
        ldl(out, gt, out_ema).item(), rel=1e-5)
    assert ldl(out, gt, out_ema).item() != pytest.approx(
        ldl(out, gt).item(), rel=1e-5)
