"""Adversarial formulations: how the GAN step judges D and G.

A formulation is the one swappable piece of :class:`~..gan_model.SRGAN`'s
step that depends on the GAN objective. It runs the discriminator itself,
because formulations differ in which forwards they need (a relativistic
loss compares with the other batch's mean logit):

* ``discriminator_terms(disc, real, fake)`` yields ``(loss, logits)`` for
  the real batch, then for the fake one, each from its own forward; the step
  back-propagates each loss before asking for the next (one forward, one
  backward: what DDP with a BatchNorm discriminator needs);
* ``generator_loss(disc, fake, real)``: the generator's adversarial term,
  times ``loss_weight``, with ``disc`` frozen;
* ``probabilities(real_logits, fake_logits)``: what is logged as
  ``d_real_prob`` / ``d_fake_prob``.

Registered in ``LOSSES``: ``StandardGANLoss`` (``gan_type='vanilla'``:
non-saturating, SRGAN; ``'lsgan'``; ``'hinge'``; ``'wgan'``...),
``LSGANLoss``, ``HingeGANLoss`` and ``RelativisticAverageGANLoss`` (ESRGAN).
A model given a plain ``GANLoss`` config uses it as ``StandardGANLoss``.
"""
from typing import Any, Generator, Optional, Tuple, Type

import torch
from torch import Tensor, nn

from ...registry import LOSSES
from ...utils.module_utils import unwrap_model
from .adversarial import GANLoss

__all__ = ['AdversarialFormulation', 'StandardGANLoss', 'LSGANLoss',
           'HingeGANLoss', 'RelativisticAverageGANLoss', 'as_formulation']


class AdversarialFormulation(nn.Module):
    """Base: a ``GANLoss`` criterion on logits (``gan_type``,
    ``loss_weight`` on the generator's term, label values)."""

    def __init__(self, *, gan_type: str = 'vanilla', loss_weight: float = 1.0,
                 real_label_val: float = 1.0, fake_label_val: float = 0.0,
                 criterion: Optional[GANLoss] = None) -> None:
        super().__init__()
        self.criterion = criterion if criterion is not None else GANLoss(
            gan_type=gan_type, loss_weight=loss_weight,
            real_label_val=real_label_val, fake_label_val=fake_label_val)

    @property
    def loss_weight(self) -> float:
        return self.criterion.loss_weight

    def discriminator_terms(self, disc: nn.Module, real: Tensor,
                            fake: Tensor
                            ) -> Generator[Tuple[Tensor, Tensor], None, None]:
        raise NotImplementedError

    def generator_loss(self, disc: nn.Module, fake: Tensor,
                       real: Tensor) -> Tensor:
        raise NotImplementedError

    def probabilities(self, real_logits: Tensor,
                      fake_logits: Tensor) -> Tuple[Tensor, Tensor]:
        return (torch.sigmoid(real_logits).mean(),
                torch.sigmoid(fake_logits).mean())


@LOSSES.register_module()
class StandardGANLoss(AdversarialFormulation):
    """D judges each batch alone: ``L_D = l(D(x_r), real) + l(D(x_f),
    fake)``, ``L_G = w * l(D(G(z)), real)`` (the non-saturating -log D(G(z))
    for ``'vanilla'``, SRGAN Eq. 6)."""

    def discriminator_terms(self, disc: nn.Module, real: Tensor,
                            fake: Tensor
                            ) -> Generator[Tuple[Tensor, Tensor], None, None]:
        logits = disc(real).float()
        yield self.criterion(logits, True, is_disc=True), logits.detach()
        logits = disc(fake).float()
        yield self.criterion(logits, False, is_disc=True), logits.detach()

    def generator_loss(self, disc: nn.Module, fake: Tensor,
                       real: Tensor) -> Tensor:
        return self.criterion(disc(fake).float(), True, is_disc=False)


@LOSSES.register_module()
class LSGANLoss(StandardGANLoss):
    """Least squares GAN (Mao et al. 2017): ``(D(x) - label)^2``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(gan_type='lsgan', **kwargs)


@LOSSES.register_module()
class HingeGANLoss(StandardGANLoss):
    """Hinge GAN: D ``relu(1 - D(x_r)) + relu(1 + D(x_f))``, G ``-D(x_f)``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(gan_type='hinge', **kwargs)


@LOSSES.register_module()
class RelativisticAverageGANLoss(AdversarialFormulation):
    """ESRGAN's relativistic average GAN (Wang et al. 2018, Eq. 1-2), with
    ``D_Ra(a, b) = sigmoid(C(a) - E[C(b)])`` and the two terms averaged, as
    the official code and BasicSR's ``ESRGANModel``.

    The discriminator's loss is taken in two backward passes (real, then
    fake); each half uses the other batch's mean logit as a constant, from a
    gradient-free forward first for the fake batch (three D forwards in all,
    BasicSR's order). The generator's term treats the real logits as
    constants.
    """

    def discriminator_terms(self, disc: nn.Module, real: Tensor,
                            fake: Tensor
                            ) -> Generator[Tuple[Tensor, Tensor], None, None]:
        with torch.no_grad():
            fake_mean = unwrap_model(disc)(fake).float().mean()
        real_logits = disc(real).float()
        yield (self.criterion(real_logits - fake_mean, True, is_disc=True) /
               2, real_logits.detach())
        real_mean = real_logits.detach().mean()
        fake_logits = disc(fake).float()
        yield (self.criterion(fake_logits - real_mean, False, is_disc=True) /
               2, fake_logits.detach())

    def generator_loss(self, disc: nn.Module, fake: Tensor,
                       real: Tensor) -> Tensor:
        with torch.no_grad():
            real_logits = disc(real).float()
        fake_logits = disc(fake).float()
        return self.criterion.relativistic_average(real_logits, fake_logits,
                                                   is_disc=False)

    def probabilities(self, real_logits: Tensor,
                      fake_logits: Tensor) -> Tuple[Tensor, Tensor]:
        return (torch.sigmoid(real_logits - fake_logits.mean()).mean(),
                torch.sigmoid(fake_logits - real_logits.mean()).mean())


def as_formulation(
        loss: object,
        default: Type[AdversarialFormulation] = StandardGANLoss
) -> AdversarialFormulation:
    """A built ``gan_loss``: a formulation as is; a plain ``GANLoss``
    wrapped in ``default``."""
    if isinstance(loss, AdversarialFormulation):
        return loss
    if isinstance(loss, GANLoss):
        return default(criterion=loss)
    raise TypeError(f'model.gan_loss must be a GANLoss or an adversarial '
                    f'formulation ({", ".join(__all__[1:5])}), got '
                    f'{type(loss).__name__}')
