"""Losses, each registered in ``LOSSES``: pixel, perceptual, adversarial,
structural (SSIM), frequency, colour and artifact (LDL)."""
from .adversarial import GANLoss, TVLoss
from . import gan_formulations  # noqa: F401 (registers the formulations)
from .color import ColorLoss, LumaLoss
from .dists_loss import DISTSLoss
from .focal_frequency import FocalFrequencyLoss
from .ldl import LDLLoss
from .lpips_loss import LPIPSLoss  # noqa: F401 (registers it)
from .perceptual import PerceptualLoss
from .pixel import CharbonnierLoss, FFTLoss, L1Loss, MSELoss
from .ssim_loss import MSSSIML1Loss, MSSSIMLoss, SSIMLoss

__all__ = ['L1Loss', 'MSELoss', 'CharbonnierLoss', 'FFTLoss',
           'PerceptualLoss', 'GANLoss', 'TVLoss', 'SSIMLoss', 'MSSSIMLoss',
           'MSSSIML1Loss', 'FocalFrequencyLoss', 'ColorLoss', 'LumaLoss',
           'LDLLoss', 'DISTSLoss']
