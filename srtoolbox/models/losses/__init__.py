"""Losses, each registered in ``LOSSES``: pixel, perceptual, adversarial."""
from .adversarial import GANLoss, TVLoss
from . import gan_formulations  # noqa: F401 (registers the formulations)
from .lpips_loss import LPIPSLoss  # noqa: F401 (registers it)
from .perceptual import PerceptualLoss
from .pixel import CharbonnierLoss, FFTLoss, L1Loss, MSELoss

__all__ = ['L1Loss', 'MSELoss', 'CharbonnierLoss', 'FFTLoss',
           'PerceptualLoss', 'GANLoss', 'TVLoss']
