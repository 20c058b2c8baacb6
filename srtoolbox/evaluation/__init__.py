"""PSNR/SSIM functions and the mmengine metrics around them."""
from .functional import calculate_psnr, calculate_ssim
from .metrics import PSNR, SSIM

__all__ = ['calculate_psnr', 'calculate_ssim', 'PSNR', 'SSIM']
