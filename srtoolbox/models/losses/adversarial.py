"""Adversarial losses (SRGAN, ESRGAN) and the total-variation regulariser.

``GANLoss`` takes the discriminator's raw logits and says whether they should
be judged real or fake, and whether the discriminator or the generator is
being trained. ``loss_weight`` applies to the generator side only (as in
BasicSR): the discriminator's loss is its own objective, the generator's is
one term among pixel and perceptual losses.

``GANLoss.relativistic_average`` is ESRGAN's relativistic average GAN
(Wang et al., ECCVW 2018, Eq. 1-2): with C the raw discriminator output and
D_Ra(a, b) = sigmoid(C(a) - E[C(b)]),

    L_D = -E[log D_Ra(x_r, x_f)] - E[log(1 - D_Ra(x_f, x_r))]
    L_G = -E[log(1 - D_Ra(x_r, x_f))] - E[log D_Ra(x_f, x_r)]

Both terms are BCE-with-logits on shifted logits; as in the official ESRGAN
code and BasicSR's ``ESRGANModel``, the two terms are averaged (halved sum),
and ``loss_weight`` multiplies the generator's average.
"""
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ...registry import LOSSES
from .pixel import reduce_loss

__all__ = ['GANLoss', 'TVLoss']


@LOSSES.register_module()
class GANLoss(nn.Module):
    """GAN loss on raw discriminator logits.

    Args:
        gan_type (str): one of
            ``'vanilla'``: BCE-with-logits against the real / fake label; for
            the generator (``target_is_real=True``) this is the paper's
            non-saturating -log D(G(z)) (SRGAN, Eq. 6).
            ``'lsgan'``: (x - label)^2.
            ``'wgan'``: -x for real, x for fake.
            ``'wgan_softplus'``: softplus(-x) for real, softplus(x) for fake.
            ``'hinge'``: discriminator relu(1 - x) real, relu(1 + x) fake;
            generator -x (and x for a fake target).
            Default: ``'vanilla'``.
        loss_weight (float): factor on the generator's loss only.
            Default: 1.0.
        real_label_val (float): target of real logits ('vanilla', 'lsgan').
            Default: 1.0.
        fake_label_val (float): target of fake logits ('vanilla', 'lsgan').
            Default: 0.0.
        reduction (str): 'mean' | 'sum' | 'none'. Default: 'mean'.

    ``forward(logits, target_is_real, is_disc)``: ``logits`` of any shape,
    e.g. ``(N, 1)``; returns a scalar (or the element-wise loss for
    'none').
    """
    GAN_TYPES = ('vanilla', 'lsgan', 'wgan', 'wgan_softplus', 'hinge')

    def __init__(self, *, gan_type: str = 'vanilla', loss_weight: float = 1.0,
                 real_label_val: float = 1.0, fake_label_val: float = 0.0,
                 reduction: str = 'mean') -> None:
        super().__init__()
        if gan_type not in self.GAN_TYPES:
            raise ValueError(f'GANLoss: gan_type must be one of '
                             f'{self.GAN_TYPES}, got {gan_type!r}')
        if reduction not in ('mean', 'sum', 'none'):
            raise ValueError(f"GANLoss: reduction must be 'mean', 'sum' or "
                             f"'none', got {reduction!r}")
        self.gan_type = gan_type
        self.loss_weight = loss_weight
        self.real_label_val = real_label_val
        self.fake_label_val = fake_label_val
        self.reduction = reduction

    def _elementwise(self, x, target_is_real, is_disc):
        if self.gan_type in ('vanilla', 'lsgan'):
            label = self.real_label_val if target_is_real else \
                self.fake_label_val
            target = torch.full_like(x, label)
            if self.gan_type == 'vanilla':
                return F.binary_cross_entropy_with_logits(
                    x, target, reduction='none')
            return (x - target)**2
        if self.gan_type == 'wgan':
            return -x if target_is_real else x
        if self.gan_type == 'wgan_softplus':
            return F.softplus(-x) if target_is_real else F.softplus(x)
        # hinge
        if is_disc:
            return F.relu(1 - x) if target_is_real else F.relu(1 + x)
        return -x if target_is_real else x

    def forward(self, logits: Tensor, target_is_real: bool,
                is_disc: bool) -> Tensor:
        """Loss of ``logits`` judged as real (``target_is_real``) or fake.

        Args:
            logits (Tensor): raw discriminator outputs, e.g. ``(N, 1)``.
            target_is_real (bool): whether they should be judged real.
            is_disc (bool): True when training the discriminator (no
                ``loss_weight``), False for the generator.
        """
        loss = reduce_loss(
            self._elementwise(logits, target_is_real, is_disc),
            self.reduction)
        return loss if is_disc else self.loss_weight * loss

    def relativistic_average(self, real_logits: Tensor, fake_logits: Tensor, *,
                             is_disc: bool) -> Tensor:
        """ESRGAN's relativistic average loss (see the module docstring).

        Args:
            real_logits (Tensor): C(x_r), discriminator logits of HR images.
            fake_logits (Tensor): C(x_f), logits of generated images.
            is_disc (bool): True for L_D (real judged real, fake judged
                fake), False for L_G (the reverse, times ``loss_weight``).

        Returns:
            Tensor: half the sum of the two terms. Gradients flow through
            both arguments, the batch means included (the official ESRGAN
            code); pass ``.detach()`` ed logits for the term you want
            constant, e.g. ``real_logits`` in the generator step.
        """
        real_vs_fake = real_logits - fake_logits.mean()
        fake_vs_real = fake_logits - real_logits.mean()
        real_term = self(real_vs_fake, is_disc, is_disc)
        fake_term = self(fake_vs_real, not is_disc, is_disc)
        return (real_term + fake_term) / 2

    def extra_repr(self) -> Any:
        return (f'gan_type={self.gan_type!r}, loss_weight={self.loss_weight}, '
                f'real_label_val={self.real_label_val}, '
                f'fake_label_val={self.fake_label_val}, '
                f'reduction={self.reduction!r}')


@LOSSES.register_module()
class TVLoss(nn.Module):
    """Anisotropic total variation, a smoothness regulariser.

    ``mean|x[..., 1:, :] - x[..., :-1, :]| + mean|x[..., 1:] - x[..., :-1]|``
    (or the two sums), times ``loss_weight``.

    Args:
        loss_weight (float): Default: 1.0.
        reduction (str): 'mean' | 'sum'. Default: 'mean'.

    ``forward(x)``: ``x`` is ``(N, C, H, W)``; returns a scalar.
    """

    def __init__(self, *, loss_weight: float = 1.0,
                 reduction: str = 'mean') -> None:
        super().__init__()
        if reduction not in ('mean', 'sum'):
            raise ValueError(f"TVLoss: reduction must be 'mean' or 'sum' "
                             f"(the two directions differ in size), got "
                             f"{reduction!r}")
        self.loss_weight = loss_weight
        self.reduction = reduction

    def forward(self, x: Tensor) -> Tensor:
        dh = (x[..., 1:, :] - x[..., :-1, :]).abs()
        dw = (x[..., 1:] - x[..., :-1]).abs()
        return self.loss_weight * (reduce_loss(dh, self.reduction) +
                                   reduce_loss(dw, self.reduction))
