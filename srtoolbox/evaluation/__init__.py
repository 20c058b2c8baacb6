"""PSNR/SSIM/NIQE functions and the mmengine metrics around them."""
from .functional import calculate_psnr, calculate_ssim
from .metrics import NIQE, PSNR, SSIM
from .niqe import calculate_niqe

__all__ = ['calculate_psnr', 'calculate_ssim', 'calculate_niqe', 'PSNR',
           'SSIM', 'NIQE']
