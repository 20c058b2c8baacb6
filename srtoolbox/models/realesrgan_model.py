"""RealESRNet and RealESRGAN: training on LR images synthesised on the fly
(Wang et al., "Real-ESRGAN: Training Real-World Blind Super-Resolution with
Pure Synthetic Data", ICCVW 2021).

The data step of each iteration, on the training device (GPU when there is
one), as the released training code's ``feed_data``:

1. the data preprocessor moves the GT crops (``inputs``) and the kernels the
   dataset drew (:class:`~srtoolbox.datasets.RealESRGANDataset`) to the
   device;
2. :class:`~srtoolbox.degradations.SecondOrderDegradation` sharpens the GT
   (USM), degrades it twice, rounds the LR to 8 bits and crops ``gt_size``;
3. the training-pair pool (``queue_size``) mixes pairs of several batches.

Then RealESRNet takes one L1 step; RealESRGAN one generator step (L1 +
VGG19 perceptual + GAN against the U-Net discriminator, whose frozen
judgement of the new output drives the adversarial term) followed by one
discriminator step on the real GT and the (detached) output, the released
order. Validation and prediction are :class:`SRModel`'s (EMA generator).
"""
import torch
from mmengine.logging import print_log
from mmengine.optim import OptimWrapperDict

from ..degradations import TrainingPairPool
from ..registry import DEGRADATIONS, MODELS
from ..utils.module_utils import unwrap_model
from .gan_model import SRGAN
from .sr_model import SRModel
from .weights import load_pretrained_generator

__all__ = ['RealESRNet', 'RealESRGAN']


class _SynthesisMixin:
    """Builds the degradation model and runs the data step."""

    def _init_synthesis(self, degradation, queue_size):
        cfg = dict(degradation or dict(type='SecondOrderDegradation'))
        cfg.setdefault('type', 'SecondOrderDegradation')
        self.degradation = DEGRADATIONS.build(cfg)
        self.pool = TrainingPairPool(queue_size)
        low, high = self.data_preprocessor.gt_range
        if (low, high) != (0.0, 1.0):
            raise ValueError(
                f'{type(self).__name__} trains on HR in [0, 1]; set '
                f'data_preprocessor.gt_range=(0, 1), got {(low, high)}')

    @torch.no_grad()
    def synthesize(self, data):
        """Preprocessed batch -> ``(lq, gt, gt_usm)`` after the pool.

        ``data['inputs']``: GT ``(B, 3, S, S)`` in [0, 1];
        ``data['data_samples']``: ``kernel1``, ``kernel2``, ``sinc_kernel``
        ``(B, K, K)``. Returns LR ``(B, 3, s, s)`` and GT, sharpened GT
        ``(B, 3, gt_size, gt_size)``, all float32 in [0, 1].
        """
        samples = data['data_samples']
        missing = [k for k in ('kernel1', 'kernel2', 'sinc_kernel')
                   if k not in samples]
        if missing:
            raise KeyError(
                f'{type(self).__name__} needs the kernels a '
                f'RealESRGANDataset draws; the batch lacks {missing}')
        gt = data['inputs'].float().contiguous()
        out = self.degradation(gt, samples['kernel1'], samples['kernel2'],
                               samples['sinc_kernel'])
        lq, gt = self.pool(out['lq'], out['gt'])
        if self.degradation.usm is None:
            return lq, gt, gt
        # sharpen again: the pool swapped GT crops (released code)
        return lq, gt, self.degradation.usm(gt)

    def _load_pretrained(self):
        if self.pretrained_generator is None:
            return
        generator = unwrap_model(self.generator)
        file = load_pretrained_generator(generator, self.pretrained_generator)
        if self.ema_decay is not None:
            self.generator_ema.load_state_dict(generator.state_dict())
        print_log(f'{type(self).__name__}: generator initialised from {file}',
                  logger='current')


@MODELS.register_module()
class RealESRNet(_SynthesisMixin, SRModel):
    """The PSNR-oriented stage of Real-ESRGAN: generator + L1 on
    synthesised pairs.

    Args:
        generator (dict): e.g. ``RRDBNet`` or ``SRVGGNetCompact``.
        pixel_loss (dict): Default ``L1Loss``.
        degradation (dict): a ``DEGRADATIONS`` config; default
            ``SecondOrderDegradation`` with the paper's options.
        queue_size (int): training-pair pool size (a multiple of the batch
            size; 0 disables it). Released: 180.
        gt_usm (bool): L1 against the sharpened GT (released: True).
        pretrained_generator (str | None): checkpoint (or work dir) to start
            the generator from, loaded when training starts (released:
            ESRGAN's DF2K+OST model).
        data_preprocessor, ema_decay, channels_last, nonfinite_loss,
        init_cfg: as :class:`SRModel`.
    """

    def __init__(self, generator, pixel_loss=None, degradation=None,
                 queue_size=180, gt_usm=True, pretrained_generator=None,
                 **kwargs):
        super().__init__(generator, pixel_loss=pixel_loss or dict(
            type='L1Loss'), **kwargs)
        self._init_synthesis(degradation, queue_size)
        self.gt_usm = gt_usm
        self.pretrained_generator = pretrained_generator

    def init_weights(self):
        super().init_weights()
        self._load_pretrained()

    def train_step(self, data, optim_wrapper):
        data = self.data_preprocessor(data, True)
        lq, gt, gt_usm = self.synthesize(data)
        batch = dict(inputs=lq,
                     data_samples=dict(gt=gt_usm if self.gt_usm else gt))
        with optim_wrapper.optim_context(self):
            losses = self._run_forward(batch, mode='loss')
        parsed, log_vars = self.parse_losses(losses)
        if self.check_finite(log_vars):
            optim_wrapper.update_params(parsed)
            self.update_ema()
        return log_vars


@MODELS.register_module()
class RealESRGAN(_SynthesisMixin, SRGAN):
    """Real-ESRGAN: L1 + perceptual + GAN with a U-Net discriminator.

    Args:
        generator, discriminator, gan_loss, pixel_loss, perceptual_loss,
        disc_steps, disc_init_steps, pretrained_generator,
        fallback_to_mse_without_vgg: as :class:`SRGAN` (the discriminator may
            return a logit map; ``gan_loss`` averages over it).
        degradation (dict), queue_size (int): as :class:`RealESRNet`.
        l1_gt_usm, percep_gt_usm, gan_gt_usm (bool): which losses compare
            with the sharpened GT (released: True, True, False).
        data_preprocessor, ema_decay, channels_last, nonfinite_loss,
        init_cfg: as :class:`SRModel`.

    Logs ``loss_pix``, ``loss_perceptual``, ``loss_gan`` (generator
    iterations), ``loss_d_real``, ``loss_d_fake``, ``d_real_prob``,
    ``d_fake_prob``.
    """

    def __init__(self, generator, discriminator, gan_loss, *,
                 degradation=None, queue_size=180, l1_gt_usm=True,
                 percep_gt_usm=True, gan_gt_usm=False, **kwargs):
        super().__init__(generator, discriminator, gan_loss, **kwargs)
        self._init_synthesis(degradation, queue_size)
        self.l1_gt_usm = l1_gt_usm
        self.percep_gt_usm = percep_gt_usm
        self.gan_gt_usm = gan_gt_usm

    def train_step(self, data, optim_wrapper):
        """Generator step, then discriminator step (the released order)."""
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
        lq, gt, gt_usm = self.synthesize(data)
        update_g = self.is_generator_iter(self._current_iter())
        self._local_iter += 1
        with g_wrapper.optim_context(self.generator):
            if update_g:
                fake = self.generator(lq)
            else:
                with torch.no_grad():
                    fake = self.generator(lq)
        log_vars = {}
        if update_g:
            log_vars.update(self.real_generator_step(
                fake, gt_usm if self.l1_gt_usm else gt,
                gt_usm if self.percep_gt_usm else gt, g_wrapper))
        log_vars.update(self.discriminator_step(
            gt_usm if self.gan_gt_usm else gt, fake.detach(), d_wrapper))
        return log_vars

    def real_generator_step(self, fake, l1_gt, percep_gt, optim_wrapper):
        """L1 (vs ``l1_gt``) + perceptual (vs ``percep_gt``) + GAN with the
        frozen discriminator; one generator update and the EMA."""
        disc = unwrap_model(self.discriminator)  # no DDP: D gets no gradients
        disc.requires_grad_(False)
        try:
            with optim_wrapper.optim_context(self.generator):
                losses = {}
                output = fake.float()
                if self.pixel_loss is not None:
                    losses['loss_pix'] = self.pixel_loss(output, l1_gt)
                if self.perceptual_loss is not None:
                    losses['loss_perceptual'] = self.perceptual_loss(
                        output, percep_gt)
                losses['loss_gan'] = self.adversarial_loss(disc, fake, None)
            total = sum(losses.values())
            log_vars = {k: float(v.detach()) for k, v in losses.items()}
            if self.check_finite(log_vars):
                optim_wrapper.update_params(total)
                self.update_ema()
        finally:
            disc.requires_grad_(True)
        return log_vars

