import math

import pytest
import torch

from srtoolbox.models.losses import GANLoss, TVLoss
from srtoolbox.registry import LOSSES

X = torch.tensor([[-2.0], [0.0], [0.5], [3.0]])


def softplus(v):
    return math.log1p(math.exp(v))


def mean(values):
    return sum(values) / len(values)


XS = [-2.0, 0.0, 0.5, 3.0]
# BCE-with-logits against label 1 is softplus(-x), against 0 softplus(x)
EXPECTED = {
    ('vanilla', True): mean([softplus(-v) for v in XS]),
    ('vanilla', False): mean([softplus(v) for v in XS]),
    ('lsgan', True): mean([(v - 1)**2 for v in XS]),
    ('lsgan', False): mean([v**2 for v in XS]),
    ('wgan', True): -mean(XS),
    ('wgan', False): mean(XS),
    ('wgan_softplus', True): mean([softplus(-v) for v in XS]),
    ('wgan_softplus', False): mean([softplus(v) for v in XS]),
    ('hinge', True): mean([max(0, 1 - v) for v in XS]),
    ('hinge', False): mean([max(0, 1 + v) for v in XS]),
}


@pytest.mark.parametrize('gan_type, real', list(EXPECTED))
def test_gan_loss_discriminator(gan_type, real):
    loss = GANLoss(gan_type=gan_type, loss_weight=0.1)
    value = loss(X, real, is_disc=True)  # loss_weight not applied to D
    assert value.item() == pytest.approx(EXPECTED[gan_type, real], rel=1e-6)


@pytest.mark.parametrize('gan_type', GANLoss.GAN_TYPES)
def test_gan_loss_generator_weighted(gan_type):
    loss = GANLoss(gan_type=gan_type, loss_weight=0.1)
    # the generator wants its output judged real
    expected = -mean(XS) if gan_type == 'hinge' else \
        EXPECTED[gan_type, True]
    value = loss(X, True, is_disc=False)
    assert value.item() == pytest.approx(0.1 * expected, rel=1e-6)


def test_vanilla_generator_is_non_saturating_minus_log_d():
    value = GANLoss()(X, True, is_disc=False)
    d = torch.sigmoid(X)
    assert value.item() == pytest.approx(-torch.log(d).mean().item(),
                                         rel=1e-6)


def test_gan_loss_labels_and_reduction():
    loss = GANLoss(gan_type='lsgan', real_label_val=0.9, fake_label_val=0.1,
                   reduction='none')
    assert torch.allclose(loss(X, True, is_disc=True), (X - 0.9)**2)
    assert torch.allclose(loss(X, False, is_disc=True), (X - 0.1)**2)
    total = GANLoss(gan_type='wgan', reduction='sum')(X, True, is_disc=True)
    assert total.item() == pytest.approx(-sum(XS))


def test_gan_loss_bad_arguments():
    with pytest.raises(ValueError, match='gan_type'):
        GANLoss(gan_type='ragan')
    with pytest.raises(ValueError, match='reduction'):
        GANLoss(reduction='avg')


def test_relativistic_average_by_hand():
    real = torch.tensor([[1.0], [2.0]])
    fake = torch.tensor([[-1.0], [0.5], [0.0]])
    mean_real, mean_fake = 1.5, -0.5 / 3
    # D_Ra(a, b) = sigmoid(C(a) - E[C(b)]); -log sigmoid(t) = softplus(-t),
    # -log(1 - sigmoid(t)) = softplus(t)
    d_real_term = mean([softplus(-(r - mean_fake)) for r in (1.0, 2.0)])
    d_fake_term = mean([softplus(f - mean_real) for f in (-1.0, 0.5, 0.0)])
    g_real_term = mean([softplus(r - mean_fake) for r in (1.0, 2.0)])
    g_fake_term = mean([softplus(-(f - mean_real)) for f in (-1.0, 0.5, 0.0)])
    loss = LOSSES.build(dict(type='GANLoss', gan_type='vanilla',
                             loss_weight=5e-3))
    d = loss.relativistic_average(real, fake, is_disc=True)
    g = loss.relativistic_average(real, fake, is_disc=False)
    assert d.item() == pytest.approx((d_real_term + d_fake_term) / 2,
                                     rel=1e-6)
    assert g.item() == pytest.approx(5e-3 * (g_real_term + g_fake_term) / 2,
                                     rel=1e-6)


def test_relativistic_average_gradient_through_means():
    real = torch.tensor([[1.0], [2.0]], requires_grad=True)
    fake = torch.tensor([[-1.0], [0.5]], requires_grad=True)
    GANLoss().relativistic_average(real, fake, is_disc=False).backward()
    assert real.grad.abs().sum() > 0 and fake.grad.abs().sum() > 0


def test_tv_loss():
    x = torch.tensor([[[[0.0, 1.0, 3.0], [2.0, 2.0, 2.0]]]])  # 1x1x2x3
    # vertical |2-0|,|2-1|,|2-3| -> mean 4/3; horizontal 1,2,0,0 -> mean 3/4
    assert TVLoss(loss_weight=2.0)(x).item() == pytest.approx(
        2 * (4 / 3 + 3 / 4))
    assert TVLoss(reduction='sum')(x).item() == pytest.approx(4 + 3)
    assert TVLoss()(torch.ones(2, 3, 4, 4)).item() == 0
    with pytest.raises(ValueError, match='reduction'):
        TVLoss(reduction='none')
