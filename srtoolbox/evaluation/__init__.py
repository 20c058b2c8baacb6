"""PSNR/SSIM/NIQE/LPIPS functions and the mmengine metrics around them."""
from .functional import calculate_psnr, calculate_ssim
from .lpips import calculate_lpips
from .metrics import LPIPS, NIQE, PSNR, SSIM
from .niqe import calculate_niqe
from .perceptual_best import PerceptualBest

__all__ = ['calculate_psnr', 'calculate_ssim', 'calculate_niqe',
           'calculate_lpips', 'PSNR', 'SSIM', 'NIQE', 'LPIPS',
           'PerceptualBest']
