"""The adversarial training step, one for every GAN model (SRGAN, ESRGAN,
Real-ESRGAN and any new variant).

One iteration:

1. ``prepare_batch``: the data preprocessor (Real-ESRGAN: synthesis and the
   training-pair pool) gives the LR batch and the targets (``gt``,
   ``gt_usm``...); each loss compares with the target its config names;
2. the generator makes ``fake = G(lq)``, with gradients only when the
   generator is updated in this iteration;
3. the discriminator step and the generator step, in ``update_order``:
   ``'d_then_g'`` (Goodfellow et al.'s Algorithm 1, which the SRGAN paper
   follows with k = ``disc_steps`` = 1: G's adversarial term uses the
   just-updated D) or ``'g_then_d'`` (BasicSR 1.4.2's ``SRGANModel``,
   ``ESRGANModel`` and ``RealESRGANModel``, the released ESRGAN and
   Real-ESRGAN recipes). D step: the formulation's two terms (real, then
   fake), each forward followed by its backward; one update through D's
   optim wrapper (``accumulative_counts`` works). G step (every
   ``disc_steps``-th iteration once ``disc_init_steps`` D-only iterations
   have passed): content losses plus the adversarial term of the frozen D;
   one update; then the EMA of the generator. An update whose loss is NaN
   or Inf is skipped by its optim wrapper (the engine's policy,
   :mod:`srtoolbox.engine.nonfinite`), and the EMA follows it.

The adversarial objective is a registered formulation
(:mod:`.losses.gan_formulations`): standard (non-saturating), least
squares, hinge, relativistic average (ESRGAN). A variant overrides
``prepare_batch`` or the targets, never the step.

Both networks see images in the data preprocessor's ``gt_range`` (HR in
[-1, 1] for SRGAN). Validation and prediction are :class:`SRModel`'s (the EMA
generator when there is one).

Distributed training (DDP): each network needs a DDP wrapper of its own (one
wrapper around both would expect gradients for every parameter in every
backward pass) and the model's own ``train_step`` must run. srtoolbox's
``SRDistributedDataParallel`` (what ``tools/train.py --launcher`` uses, and
what the GAN configs name in ``model_wrapper_cfg``) and mmengine's
``MMSeparateDistributedDataParallel`` both do that. The step is written so
that the BatchNorm discriminator cannot trip DDP:

* every forward through a DDP-wrapped network that builds a graph is
  followed by its own backward before the next forward (D on real, backward;
  D on fake, backward). With ``broadcast_buffers=True`` DDP overwrites the
  BatchNorm running statistics in place at every forward, and cuDNN's
  BatchNorm keeps them for its backward pass, so two forwards before one
  backward fail with "modified by an inplace operation" on GPUs (PyTorch
  issues #22095 and #175024; BasicSR's fix, PR #278, is the same split);
* forwards whose outputs are constants (D's judgement of the real batch in
  ESRGAN's generator step, of the fake batch for its real-half loss, the
  generator on discriminator-only iterations) run under ``torch.no_grad()``;
* the generator's adversarial term runs the *unwrapped* discriminator with
  ``requires_grad`` off: D receives no gradient, and its DDP wrapper neither
  broadcasts buffers mid-step nor prepares a gradient reduction that no
  backward pass would complete;
* the configs set ``broadcast_buffers=False``: each rank keeps its own
  BatchNorm running statistics. The discriminator always runs in training
  mode (batch statistics), so its running statistics are never used. A
  BatchNorm generator (SRResNet) gets SyncBatchNorm on CUDA and rank 0's
  running statistics after every step elsewhere
  (``SRDistributedDataParallel``), so all ranks validate one network.

``tests/models/test_gan_model.py`` trains both wrappers for a few
iterations on two CPU processes (gloo) with either ``broadcast_buffers``
setting and checks that the ranks' weights stay identical.
"""
import logging
import os
import os.path as osp
from typing import Any, ClassVar, Dict, Optional, Type, Union

import torch
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch import nn

from ..registry import DISCRIMINATORS, LOSSES, MODELS
from ..utils.module_utils import unwrap_model
from .losses.gan_formulations import (AdversarialFormulation,
                                      RelativisticAverageGANLoss,
                                      StandardGANLoss, as_formulation)
from .losses.perceptual import torchvision_vgg19_path
from .optim_constructor import MultiOptimWrapperConstructor
from .sr_model import SRModel, build_pixel_loss, pop_target

__all__ = ['SRGAN', 'ESRGAN', 'MultiOptimWrapperConstructor']


def _detached(log_vars):
    """Logged values as detached 0-dim tensors on their device: the engine
    reads them every ``log_interval`` iterations (no host sync per value
    and iteration on a GPU; docs/benchmarks.md)."""
    return {k: v.detach() if torch.is_tensor(v) else v
            for k, v in log_vars.items()}


def _vgg_weights_file(perceptual_cfg):
    """The VGG19 file a PerceptualLoss config reads, or None (random VGG)."""
    pretrained = perceptual_cfg.get('pretrained', 'torchvision')
    if pretrained is None:
        return None
    if pretrained == 'torchvision':
        return torchvision_vgg19_path()
    return os.fspath(pretrained)


@MODELS.register_module()
class SRGAN(SRModel):
    """Generator + discriminator trained adversarially (Ledig et al. 2017).

    Args:
        generator (dict): a network in ``GENERATORS``.
        discriminator (dict): a network in ``DISCRIMINATORS`` (raw logits).
        gan_loss (dict): the adversarial formulation: ``GANLoss`` (used as
            ``StandardGANLoss``; :class:`ESRGAN` uses it as
            ``RelativisticAverageGANLoss``) or any formulation of
            :mod:`.losses.gan_formulations`; its ``loss_weight`` is the
            adversarial weight of the generator (SRGAN: 1e-3). ``target=``
            names the batch D sees as real (default ``gt``).
        pixel_loss (dict | None): pixel content loss (``loss_pix``).
        perceptual_loss (dict | None): VGG content loss
            (``loss_perceptual``); give it ``input_range`` = ``gt_range``.
        disc_steps (int): discriminator updates per generator update (the
            paper's k). Default: 1.
        disc_init_steps (int): discriminator-only iterations at the start.
            Default: 0.
        update_order (str | None): ``'d_then_g'`` or ``'g_then_d'`` (see
            the module docstring); None: the class's released default
            (SRGAN ``'d_then_g'``, ESRGAN and Real-ESRGAN ``'g_then_d'``).
        pretrained_generator (str | dict | None): as :class:`SRModel`
            (SRGAN starts from the MSE-trained SRResNet). Loaded when
            training starts (``init_weights``), not at build time, so
            testing a config does not need it; a resumed run overwrites it.
        losses (dict | None): more content losses, ``name -> config``, each
            logged as ``loss_<name>``, each with an optional ``target``.
        fallback_to_mse_without_vgg (bool): when the VGG19 weights file of
            ``perceptual_loss`` is missing, log a warning and train the
            paper's SRGAN-MSE variant (MSE content loss) instead of failing.
            For demos only. Default: False (a missing file raises
            ``FileNotFoundError`` naming it).
        data_preprocessor, ema_decay, channels_last, init_cfg: as
            :class:`SRModel`.

    ``optim_wrapper`` must hold one wrapper per network, named
    ``generator`` and ``discriminator`` (built by
    :class:`MultiOptimWrapperConstructor`). ``train_step`` logs the content
    losses, ``loss_gan`` (generator iterations), ``loss_d_real``,
    ``loss_d_fake``, and ``d_real_prob``, ``d_fake_prob`` (the
    formulation's probabilities of D's judgements before its update).
    """
    UPDATE_ORDERS = ('d_then_g', 'g_then_d')
    DEFAULT_UPDATE_ORDER = 'd_then_g'
    DEFAULT_FORMULATION: ClassVar[Type[AdversarialFormulation]] = \
        StandardGANLoss

    def __init__(self, generator: dict, discriminator: dict, gan_loss: dict,
                 pixel_loss: Optional[dict] = None,
                 perceptual_loss: Optional[dict] = None,
                 disc_steps: int = 1, disc_init_steps: int = 0,
                 pretrained_generator: Union[str, dict, None] = None,
                 fallback_to_mse_without_vgg: bool = False,
                 data_preprocessor: Optional[dict] = None,
                 ema_decay: Optional[float] = None,
                 channels_last: Union[bool, str] = 'auto',
                 init_cfg: Optional[dict] = None,
                 losses: Optional[Dict[str, dict]] = None,
                 update_order: Optional[str] = None):
        if not isinstance(disc_steps, int) or disc_steps < 1:
            raise ValueError(f'disc_steps must be an integer >= 1, got '
                             f'{disc_steps!r}')
        if not isinstance(disc_init_steps, int) or disc_init_steps < 0:
            raise ValueError(f'disc_init_steps must be an integer >= 0, got '
                             f'{disc_init_steps!r}')
        update_order = update_order or self.DEFAULT_UPDATE_ORDER
        if update_order not in self.UPDATE_ORDERS:
            raise ValueError(f'update_order must be one of '
                             f'{self.UPDATE_ORDERS}, got {update_order!r}')
        self.vgg_fallback = False
        if perceptual_loss is not None and fallback_to_mse_without_vgg:
            vgg_file = _vgg_weights_file(perceptual_loss)
            if vgg_file is not None and not osp.isfile(vgg_file):
                if pixel_loss is not None or losses:
                    raise ValueError(
                        'fallback_to_mse_without_vgg replaces a VGG-only '
                        'content loss by MSE; this config also has a '
                        'pixel_loss or losses')
                print_log(
                    f'VGG19 weights not found at {vgg_file}: running the '
                    "paper's SRGAN-MSE variant (MSE content loss + "
                    'adversarial loss) instead of the VGG content loss. Put '
                    f'the file there for the VGG loss (see the config\'s '
                    'data_preparation).', logger='current',
                    level=logging.WARNING)
                perceptual_loss = None
                pixel_loss = dict(type='MSELoss')
                self.vgg_fallback = True
        # first, so that a missing VGG19 file fails before the networks
        # are built
        perceptual_loss, percep_target = self._target_of(
            perceptual_loss, 'model.perceptual_loss')
        perceptual = build_pixel_loss(perceptual_loss,
                                      'model.perceptual_loss')
        gan_loss, gan_target = self._target_of(gan_loss, 'model.gan_loss')
        super().__init__(generator, pixel_loss=pixel_loss,
                         data_preprocessor=data_preprocessor,
                         ema_decay=ema_decay, channels_last=channels_last,
                         init_cfg=init_cfg, losses=losses,
                         pretrained_generator=pretrained_generator)
        self.loss_targets.update(perceptual=percep_target, gan=gan_target)
        self.perceptual_loss = perceptual
        self.discriminator = DISCRIMINATORS.build(discriminator)
        self.gan_loss = as_formulation(LOSSES.build(gan_loss),
                                       self.DEFAULT_FORMULATION)
        self.disc_steps = disc_steps
        self.disc_init_steps = disc_init_steps
        self.update_order = update_order
        self._local_iter = 0
        self.apply_memory_format()
        self.check_value_ranges()

    @classmethod
    def _target_of(cls, cfg, key):
        return pop_target(cfg, key, cls.TARGETS)

    # ---------------------------------------------------------- schedule
    def is_generator_iter(self, it: int) -> bool:
        """Whether iteration ``it`` (0-based) also updates the generator.

        The first ``disc_init_steps`` iterations train D alone; after that,
        every ``disc_steps``-th iteration ends with a G update, so each G
        update follows ``disc_steps`` D updates.
        """
        if it < self.disc_init_steps:
            return False
        return (it - self.disc_init_steps + 1) % self.disc_steps == 0

    # -------------------------------------------------------------- step
    def forward(self, inputs: torch.Tensor,
                data_samples: Optional[Dict[str, Any]] = None,
                mode: str = 'tensor') -> Any:
        if mode == 'loss':
            raise NotImplementedError(
                f'{type(self).__name__} trains through train_step (two '
                'optimizers). Under DDP wrap it with model_wrapper_cfg=dict('
                "type='SRDistributedDataParallel'), one DDP per network")
        return super().forward(inputs, data_samples, mode)

    def train_step(self, data: Dict[str, Any],
                   optim_wrapper: OptimWrapperDict) -> Dict[str, float]:
        """One iteration; see the module docstring.

        Args:
            data (dict): a batch from the dataloader.
            optim_wrapper (OptimWrapperDict): ``generator`` and
                ``discriminator`` wrappers.

        Returns:
            dict[str, float]: the logged values.
        """
        if not isinstance(optim_wrapper, OptimWrapperDict) or {
                'generator', 'discriminator'} - set(optim_wrapper.keys()):
            raise TypeError(
                f'{type(self).__name__} needs an OptimWrapperDict with '
                "'generator' and 'discriminator' wrappers; configure "
                "optim_wrapper=dict(constructor='MultiOptimWrapperConstructor'"
                ', generator=dict(...), discriminator=dict(...))')
        g_wrapper = optim_wrapper['generator']
        d_wrapper = optim_wrapper['discriminator']
        lq, targets = self.prepare_batch(data)
        update_g = self.is_generator_iter(self._iteration())
        self._local_iter += 1

        with g_wrapper.optim_context(self.generator):
            if update_g:
                fake = self.generator(lq)
            else:
                with torch.no_grad():
                    fake = self.generator(lq)
        log_vars = {}
        g_first = self.update_order == 'g_then_d'
        if update_g and g_first:
            log_vars.update(self.generator_step(fake, targets, g_wrapper))
        log_vars.update(self.discriminator_step(
            self.target('gan', targets), fake.detach(), d_wrapper))
        if update_g and not g_first:
            log_vars.update(self.generator_step(fake, targets, g_wrapper))
        return log_vars

    def discriminator_step(self, real: torch.Tensor, fake: torch.Tensor,
                           optim_wrapper: OptimWrapper) -> Dict[str, float]:
        """Update D on ``real`` and ``fake`` (detached), in ``gt_range``:
        the formulation's two terms, each forward followed by its backward;
        one update through ``optim_wrapper.update_params``."""
        disc = self.discriminator
        unwrap_model(disc).requires_grad_(True)
        terms = self.gan_loss.discriminator_terms(disc, real, fake)
        with optim_wrapper.optim_context(disc):
            loss_real, real_logits = next(terms)
        optim_wrapper.backward(optim_wrapper.scale_loss(loss_real))
        # the two halves are one accumulation step: the wrapper counts one
        # backward per iteration (its update_params below counts it)
        optim_wrapper._inner_count -= 1
        with optim_wrapper.optim_context(disc):
            loss_fake, fake_logits = next(terms)
        terms.close()
        real_prob, fake_prob = self.gan_loss.probabilities(real_logits,
                                                           fake_logits)
        log_vars = _detached(dict(
            loss_d_real=loss_real, loss_d_fake=loss_fake,
            d_real_prob=real_prob, d_fake_prob=fake_prob))
        optim_wrapper.update_params(loss_fake)
        return log_vars

    def adversarial_loss(self, disc: nn.Module, fake: torch.Tensor,
                         real: torch.Tensor) -> torch.Tensor:
        """The generator's adversarial term (the formulation's), with
        ``disc`` frozen; SRGAN: -log D(G(z)) times ``loss_weight``."""
        return self.gan_loss.generator_loss(disc, fake, real)

    def generator_step(self, fake: torch.Tensor, targets: Dict[str, Any],
                       optim_wrapper: OptimWrapper) -> Dict[str, float]:
        """Content + adversarial losses for ``fake = G(lq)``, each against
        its target; one G update and the EMA."""
        disc = unwrap_model(self.discriminator)  # no DDP: D gets no gradients
        disc.requires_grad_(False)
        try:
            with optim_wrapper.optim_context(self.generator):
                output = fake.float()
                losses = self.content_losses(output, targets)
                if self.perceptual_loss is not None:
                    losses['loss_perceptual'] = self.perceptual_loss(
                        output, self.target('perceptual', targets))
                losses['loss_gan'] = self.adversarial_loss(
                    disc, fake, self.target('gan', targets))
            total = sum(losses.values())
            log_vars = _detached(losses)
            optim_wrapper.update_params(total)
            self.update_ema(getattr(optim_wrapper, 'last_step_skipped',
                                    False))
        finally:
            disc.requires_grad_(True)
        return log_vars


@MODELS.register_module()
class ESRGAN(SRGAN):
    """ESRGAN (Wang et al., ECCVW 2018): SRGAN whose ``gan_loss`` is the
    relativistic average formulation (``RelativisticAverageGANLoss``; a
    plain ``GANLoss`` config is used as one) and whose updates follow the
    released code (BasicSR 1.4.2 ``ESRGANModel``: G then D).

    Same arguments as :class:`SRGAN`; the ESRGAN recipe is L1 x 1e-2, VGG19
    conv5_4 (before activation, L1) x 1 and RaGAN x 5e-3 with the
    VGG-style 128x128 discriminator (``configs/esrgan/esrgan_x4.py``).
    ``d_real_prob`` / ``d_fake_prob`` are D_Ra(x_r, x_f) and D_Ra(x_f, x_r).
    """
    DEFAULT_UPDATE_ORDER = 'g_then_d'
    DEFAULT_FORMULATION = RelativisticAverageGANLoss
