"""Losses, each registered in ``LOSSES``: pixel, perceptual, adversarial."""
from .adversarial import GANLoss, TVLoss
from .perceptual import PerceptualLoss
from .pixel import CharbonnierLoss, FFTLoss, L1Loss, MSELoss

__all__ = ['L1Loss', 'MSELoss', 'CharbonnierLoss', 'FFTLoss',
           'PerceptualLoss', 'GANLoss', 'TVLoss']
