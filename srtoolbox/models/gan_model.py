"""SRGAN and ESRGAN: what one adversarial training iteration does.

One iteration (Goodfellow et al.'s Algorithm 1, which SRGAN follows with
k = ``disc_steps`` = 1):

1. the generator makes ``fake = G(lq)``, with gradients only when the
   generator is updated in this iteration;
2. discriminator step: D on the real HR batch, backward; D on
   ``fake.detach()``, backward (two separate passes, never one
   concatenated batch); one optimizer step;
3. generator step (every ``disc_steps``-th iteration once ``disc_init_steps``
   discriminator-only iterations have passed): content losses plus the
   adversarial loss of the just-updated D, whose parameters are frozen; one
   optimizer step; then the EMA of the generator, if any.

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
  ESRGAN's generator step, of the fake batch for ESRGAN's real-half loss,
  the generator on discriminator-only iterations) run under
  ``torch.no_grad()``, so they neither build a graph nor arm a DDP reducer;
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
import copy
import logging
import os
import os.path as osp

import torch
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS
from torch import nn

from ..registry import DISCRIMINATORS, LOSSES, MODELS
from ..utils.module_utils import unwrap_model
from .sr_model import SRModel, build_pixel_loss
from .weights import load_pretrained_generator

__all__ = ['SRGAN', 'ESRGAN', 'MultiOptimWrapperConstructor']


def _as_floats(log_vars):
    return {k: float(v.detach()) if torch.is_tensor(v) else float(v)
            for k, v in log_vars.items()}


def _vgg_weights_file(perceptual_cfg):
    """The VGG19 file a PerceptualLoss config reads, or None (random VGG)."""
    from .losses.perceptual import torchvision_vgg19_path
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
        gan_loss (dict): ``GANLoss`` config; its ``loss_weight`` is the
            adversarial weight of the generator (SRGAN: 1e-3).
        pixel_loss (dict | None): pixel content loss (``loss_pix``).
        perceptual_loss (dict | None): VGG content loss
            (``loss_perceptual``); give it ``input_range`` = ``gt_range``.
        disc_steps (int): discriminator updates per generator update (the
            paper's k). Default: 1.
        disc_init_steps (int): discriminator-only iterations at the start.
            Default: 0.
        pretrained_generator (str | None): checkpoint file, or a work dir
            whose ``last_checkpoint`` names one, to start the generator from
            (SRGAN starts from the MSE-trained SRResNet). Loaded with
            ``weights_only=True`` when training starts (``init_weights``),
            not at build time, so testing a config does not need it. A
            resumed run overwrites it with its own checkpoint, but the file
            must still exist (or set this to None).
        losses (dict | None): more content losses, ``name -> config``, each
            logged as ``loss_<name>`` (see :class:`SRModel`).
        fallback_to_mse_without_vgg (bool): when the VGG19 weights file of
            ``perceptual_loss`` is missing, log a warning and train the
            paper's SRGAN-MSE variant (MSE content loss) instead of failing.
            For demos only. Default: False (a missing file raises
            ``FileNotFoundError`` naming it).
        data_preprocessor, ema_decay, channels_last, nonfinite_loss,
        init_cfg, max_consecutive_skips: as :class:`SRModel`.

    ``optim_wrapper`` must hold one wrapper per network, named
    ``generator`` and ``discriminator`` (built by
    :class:`MultiOptimWrapperConstructor`). ``train_step`` logs
    ``loss_pix`` / ``loss_perceptual`` / ``loss_gan`` (generator
    iterations), ``loss_d_real``, ``loss_d_fake``, and ``d_real_prob``,
    ``d_fake_prob``: the mean of sigmoid(D(x)) and sigmoid(D(G(z))) before
    the discriminator's update.
    """

    def __init__(self, generator, discriminator, gan_loss, pixel_loss=None,
                 perceptual_loss=None, disc_steps=1, disc_init_steps=0,
                 pretrained_generator=None, fallback_to_mse_without_vgg=False,
                 data_preprocessor=None, ema_decay=None,
                 channels_last='auto', nonfinite_loss='raise', init_cfg=None,
                 losses=None, max_consecutive_skips=100):
        if not isinstance(disc_steps, int) or disc_steps < 1:
            raise ValueError(f'disc_steps must be an integer >= 1, got '
                             f'{disc_steps!r}')
        if not isinstance(disc_init_steps, int) or disc_init_steps < 0:
            raise ValueError(f'disc_init_steps must be an integer >= 0, got '
                             f'{disc_init_steps!r}')
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
        perceptual = build_pixel_loss(perceptual_loss,
                                      'model.perceptual_loss')
        super().__init__(generator, pixel_loss=pixel_loss,
                         data_preprocessor=data_preprocessor,
                         ema_decay=ema_decay, channels_last=channels_last,
                         nonfinite_loss=nonfinite_loss, init_cfg=init_cfg,
                         losses=losses,
                         max_consecutive_skips=max_consecutive_skips)
        self.perceptual_loss = perceptual
        self.discriminator = DISCRIMINATORS.build(discriminator)
        self.gan_loss = LOSSES.build(gan_loss)
        self.disc_steps = disc_steps
        self.disc_init_steps = disc_init_steps
        self.pretrained_generator = pretrained_generator
        self._local_iter = 0
        self.apply_memory_format()
        self.check_value_ranges()

    # ------------------------------------------------------------ weights
    def init_weights(self):
        """mmengine's initialisation, then the pretrained generator."""
        super().init_weights()
        if self.pretrained_generator is None:
            return
        weights = load_pretrained_generator(self, self.pretrained_generator)
        print_log(f'{type(self).__name__}: generator initialised from '
                  f'{weights.source}', logger='current')

    # ---------------------------------------------------------- schedule
    def _current_iter(self):
        """The runner's iteration (0-based), or a local count without one."""
        return self._iteration()

    def is_generator_iter(self, it):
        """Whether iteration ``it`` (0-based) also updates the generator.

        The first ``disc_init_steps`` iterations train D alone; after that,
        every ``disc_steps``-th iteration ends with a G update, so each G
        update follows ``disc_steps`` D updates.
        """
        if it < self.disc_init_steps:
            return False
        return (it - self.disc_init_steps + 1) % self.disc_steps == 0

    # -------------------------------------------------------------- step
    def forward(self, inputs, data_samples=None, mode='tensor'):
        if mode == 'loss':
            raise NotImplementedError(
                f'{type(self).__name__} trains through train_step (two '
                'optimizers). Under DDP wrap it with model_wrapper_cfg=dict('
                "type='SRDistributedDataParallel'), one DDP per network")
        return super().forward(inputs, data_samples, mode)

    def train_step(self, data, optim_wrapper):
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
        data = self.data_preprocessor(data, True)
        lq, gt = data['inputs'], data['data_samples']['gt']
        update_g = self.is_generator_iter(self._current_iter())
        self._local_iter += 1

        with g_wrapper.optim_context(self.generator):
            if update_g:
                fake = self.generator(lq)
            else:
                with torch.no_grad():
                    fake = self.generator(lq)
        log_vars = self.discriminator_step(gt, fake.detach(), d_wrapper)
        if update_g:
            log_vars.update(self.generator_step(fake, gt, g_wrapper))
        return log_vars

    def discriminator_step(self, gt, fake, optim_wrapper):
        """Update D on real ``gt`` and ``fake`` (detached), in ``gt_range``.

        Two forwards, each with its own backward; one optimizer step.
        """
        disc = self.discriminator
        unwrap_model(disc).requires_grad_(True)
        with optim_wrapper.optim_context(disc):
            real_logits = disc(gt).float()
            loss_real = self.gan_loss(real_logits, True, is_disc=True)
        optim_wrapper.backward(loss_real)
        with optim_wrapper.optim_context(disc):
            fake_logits = disc(fake).float()
            loss_fake = self.gan_loss(fake_logits, False, is_disc=True)
        optim_wrapper.backward(loss_fake)
        log_vars = _as_floats(dict(
            loss_d_real=loss_real, loss_d_fake=loss_fake,
            d_real_prob=torch.sigmoid(real_logits.detach()).mean(),
            d_fake_prob=torch.sigmoid(fake_logits.detach()).mean()))
        self._finish_step(optim_wrapper, log_vars)
        return log_vars

    def adversarial_loss(self, disc, fake, gt):
        """The generator's adversarial term; ``disc`` is frozen.

        SRGAN: -log D(G(z)) (non-saturating), times ``gan_loss.loss_weight``.
        """
        return self.gan_loss(disc(fake).float(), True, is_disc=False)

    def generator_step(self, fake, gt, optim_wrapper):
        """Content + adversarial losses for ``fake = G(lq)``; one G update."""
        disc = unwrap_model(self.discriminator)  # no DDP: D gets no gradients
        disc.requires_grad_(False)
        try:
            with optim_wrapper.optim_context(self.generator):
                output = fake.float()
                losses = self.content_losses(output, gt)
                if self.perceptual_loss is not None:
                    losses['loss_perceptual'] = self.perceptual_loss(
                        output, gt)
                losses['loss_gan'] = self.adversarial_loss(disc, fake, gt)
            total = sum(losses.values())
            log_vars = _as_floats(losses)
            if self.check_finite(log_vars):
                optim_wrapper.update_params(total)
                self.update_ema()
        finally:
            disc.requires_grad_(True)
        return log_vars

    def _finish_step(self, optim_wrapper, log_vars):
        """Step (losses finite) or skip, then clear the gradients."""
        if self.check_finite(log_vars):
            optim_wrapper.step()
        optim_wrapper.zero_grad()


@MODELS.register_module()
class ESRGAN(SRGAN):
    """ESRGAN (Wang et al., ECCVW 2018): SRGAN with a relativistic average
    discriminator (``GANLoss.relativistic_average``) for both networks.

    Same arguments as :class:`SRGAN`; the ESRGAN recipe is L1 x 1e-2, VGG19
    conv5_4 (before activation, L1) x 1 and RaGAN x 5e-3 with the
    VGG-style 128x128 discriminator (``configs/esrgan/esrgan_x4.py``).

    ``d_real_prob`` / ``d_fake_prob`` are the relativistic probabilities
    D_Ra(x_r, x_f) = sigmoid(C(x_r) - E[C(x_f)]) and D_Ra(x_f, x_r).
    """

    def discriminator_step(self, gt, fake, optim_wrapper):
        """L_D^Ra in two backward passes (real, then fake).

        Each half uses the other batch's mean logit as a constant, so the
        two graphs stay separate; the value is exactly
        ``gan_loss.relativistic_average(real, fake, is_disc=True)``.
        """
        disc = self.discriminator
        unwrap_model(disc).requires_grad_(True)
        with torch.no_grad(), optim_wrapper.optim_context(disc):
            fake_mean = unwrap_model(disc)(fake).float().mean()
        with optim_wrapper.optim_context(disc):
            real_logits = disc(gt).float()
            loss_real = self.gan_loss(real_logits - fake_mean, True,
                                      is_disc=True) / 2
        optim_wrapper.backward(loss_real)
        real_mean = real_logits.detach().mean()
        with optim_wrapper.optim_context(disc):
            fake_logits = disc(fake).float()
            loss_fake = self.gan_loss(fake_logits - real_mean, False,
                                      is_disc=True) / 2
        optim_wrapper.backward(loss_fake)
        log_vars = _as_floats(dict(
            loss_d_real=loss_real, loss_d_fake=loss_fake,
            d_real_prob=torch.sigmoid(real_logits.detach() -
                                      fake_logits.detach().mean()).mean(),
            d_fake_prob=torch.sigmoid(fake_logits.detach() -
                                      real_mean).mean()))
        self._finish_step(optim_wrapper, log_vars)
        return log_vars

    def adversarial_loss(self, disc, fake, gt):
        """L_G^Ra: real logits are constants, fake logits carry gradients."""
        with torch.no_grad():
            real_logits = disc(gt).float()
        fake_logits = disc(fake).float()
        return self.gan_loss.relativistic_average(real_logits, fake_logits,
                                                  is_disc=False)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MultiOptimWrapperConstructor:
    """One optimizer wrapper per named sub-network (GANs).

    mmengine 0.10 builds a dict of optimizer wrappers only from a
    constructor; this one reads every key of ``optim_wrapper`` other than
    ``constructor`` as the name of a sub-network of the model and builds its
    wrapper with mmengine's default constructor::

        optim_wrapper = dict(
            constructor='MultiOptimWrapperConstructor',
            generator=dict(type='OptimWrapper',
                           optimizer=dict(type='Adam', lr=1e-4)),
            discriminator=dict(type='OptimWrapper',
                               optimizer=dict(type='Adam', lr=1e-4)))

    A wrapper may carry its own ``paramwise_cfg``. Returns an
    ``OptimWrapperDict``; parameter schedulers given as a list apply to
    every wrapper.
    """

    def __init__(self, optim_wrapper_cfg, paramwise_cfg=None):
        if paramwise_cfg is not None:
            raise ValueError('MultiOptimWrapperConstructor: put paramwise_cfg '
                             'inside each network\'s wrapper config')
        if not optim_wrapper_cfg:
            raise ValueError('MultiOptimWrapperConstructor: no wrappers '
                             'configured')
        self.optim_wrapper_cfg = copy.deepcopy(dict(optim_wrapper_cfg))

    def __call__(self, model):
        model = unwrap_model(model)
        wrappers = {}
        for name, cfg in self.optim_wrapper_cfg.items():
            network = getattr(model, name, None)
            if not isinstance(network, nn.Module):
                children = ', '.join(n for n, m in model.named_children()
                                     if any(True for _ in m.parameters()))
                raise ValueError(
                    f'optim_wrapper.{name}: {type(model).__name__} has no '
                    f'sub-network {name!r}; its trainable ones are: '
                    f'{children}')
            cfg = dict(cfg)
            paramwise = cfg.pop('paramwise_cfg', None)
            wrappers[name] = DefaultOptimWrapperConstructor(
                cfg, paramwise)(network)
        return OptimWrapperDict(**wrappers)
