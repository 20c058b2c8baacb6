"""RealESRNet and RealESRGAN: training on LR images synthesised on the fly
(Wang et al., "Real-ESRGAN: Training Real-World Blind Super-Resolution with
Pure Synthetic Data", ICCVW 2021).

Both override only the data step (``prepare_batch``), on the training
device, as the released training code's ``feed_data``:

1. the data preprocessor moves the GT crops (``inputs``) and the kernels the
   dataset drew (:class:`~srtoolbox.datasets.RealESRGANDataset`) to the
   device;
2. :class:`~srtoolbox.degradations.SecondOrderDegradation` sharpens the GT
   (USM), degrades it twice, rounds the LR to 8 bits and crops ``gt_size``;
3. the training-pair pool (``queue_size``) mixes pairs of several batches;
   its contents are part of the checkpoint (exact ``--resume``).

The targets are ``gt`` and ``gt_usm`` (the sharpened GT); each loss names
its own (``l1_gt_usm``, ``percep_gt_usm``, ``gan_gt_usm`` set the released
choices, ``model.losses.<name>.target`` any other). Then RealESRNet takes
:class:`SRModel`'s step and RealESRGAN :class:`SRGAN`'s (generator, then
discriminator: the released order). Validation and prediction are
:class:`SRModel`'s (EMA generator).
"""
from typing import Any, ClassVar, Optional, Tuple

import torch

from ..degradations import TrainingPairPool
from ..registry import DEGRADATIONS, MODELS
from .gan_model import SRGAN
from .sr_model import SRModel

__all__ = ['RealESRNet', 'RealESRGAN']


class _SynthesisMixin:
    """Builds the degradation model and runs the data step."""
    TARGETS: ClassVar[Tuple[str, ...]] = ('gt', 'gt_usm')

    def _init_synthesis(self, degradation, queue_size, **usm_targets):
        cfg = dict(degradation or dict(type='SecondOrderDegradation'))
        cfg.setdefault('type', 'SecondOrderDegradation')
        self.degradation = DEGRADATIONS.build(cfg)
        self.pool = TrainingPairPool(queue_size)
        low, high = self.data_preprocessor.gt_range
        if (low, high) != (0.0, 1.0):
            raise ValueError(
                f'{type(self).__name__} trains on HR in [0, 1]; set '
                f'data_preprocessor.gt_range=(0, 1), got {(low, high)}')
        for name, usm in usm_targets.items():  # the released switches
            if self.loss_targets.get(name) is None:  # not named in the config
                self.loss_targets[name] = 'gt_usm' if usm else 'gt'

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

    def prepare_batch(self, data):
        """Synthesis + pool: ``(lq, dict(gt=..., gt_usm=...))``."""
        lq, gt, gt_usm = self.synthesize(self.data_preprocessor(data, True))
        return lq, dict(gt=gt, gt_usm=gt_usm, lq=lq)

    # the pool is training state: saved with the weights, restored on resume
    def training_state(self):
        state = super().training_state()
        pool = self.pool
        if pool.queue_lq is not None:
            state.update(pool_lq=pool.queue_lq, pool_gt=pool.queue_gt,
                         pool_ptr=torch.tensor(pool.ptr, dtype=torch.int64))
        return state

    def load_training_state(self, state):
        super().load_training_state(state)
        pool = self.pool
        pool.queue_lq = pool.queue_gt = None
        pool.ptr = 0
        if 'pool_lq' in state:
            device = next(self.generator.parameters()).device
            pool.queue_lq = state['pool_lq'].to(device).clone()
            pool.queue_gt = state['pool_gt'].to(device).clone()
            pool.ptr = int(state['pool_ptr'])


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
        pretrained_generator (str | dict | None): as :class:`SRModel`
            (released: ESRGAN's DF2K+OST model).
        data_preprocessor, ema_decay, channels_last, init_cfg, losses: as
            :class:`SRModel`.
    """

    def __init__(self, generator: dict, pixel_loss: Optional[dict] = None,
                 degradation: Optional[dict] = None, queue_size: int = 180,
                 gt_usm: bool = True, **kwargs: Any):
        super().__init__(generator, pixel_loss=pixel_loss or dict(
            type='L1Loss'), **kwargs)
        self._init_synthesis(degradation, queue_size, pix=gt_usm)
        self.gt_usm = gt_usm


@MODELS.register_module()
class RealESRGAN(_SynthesisMixin, SRGAN):
    """Real-ESRGAN: L1 + perceptual + GAN with a U-Net discriminator.

    Args:
        generator, discriminator, gan_loss, pixel_loss, perceptual_loss,
        disc_steps, disc_init_steps, pretrained_generator, update_order,
        fallback_to_mse_without_vgg, losses: as :class:`SRGAN` (the
            discriminator may return a logit map; ``gan_loss`` averages
            over it). Released order: G then D (BasicSR 1.4.2
            ``RealESRGANModel``).
        degradation (dict), queue_size (int): as :class:`RealESRNet`.
        l1_gt_usm, percep_gt_usm, gan_gt_usm (bool): which losses compare
            with the sharpened GT (released: True, True, False).
        data_preprocessor, ema_decay, channels_last, init_cfg: as
            :class:`SRModel`.
    """
    DEFAULT_UPDATE_ORDER = 'g_then_d'

    def __init__(self, generator: dict, discriminator: dict, gan_loss: dict,
                 *, degradation: Optional[dict] = None,
                 queue_size: int = 180, l1_gt_usm: bool = True,
                 percep_gt_usm: bool = True, gan_gt_usm: bool = False,
                 **kwargs: Any):
        super().__init__(generator, discriminator, gan_loss, **kwargs)
        self._init_synthesis(degradation, queue_size, pix=l1_gt_usm,
                             perceptual=percep_gt_usm, gan=gan_gt_usm)
        self.l1_gt_usm = l1_gt_usm
        self.percep_gt_usm = percep_gt_usm
        self.gan_gt_usm = gan_gt_usm
