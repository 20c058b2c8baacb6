"""PSNR/SSIM/NIQE/LPIPS/DISTS functions and the mmengine metrics around
them."""
from .dists import calculate_dists
from .functional import calculate_psnr, calculate_ssim
from .lpips import calculate_lpips
from .metrics import DISTS, LPIPS, NIQE, PSNR, SSIM
from .niqe import calculate_niqe
from .perceptual_best import PerceptualBest

__all__ = ['calculate_psnr', 'calculate_ssim', 'calculate_niqe',
           'calculate_lpips', 'calculate_dists', 'PSNR', 'SSIM', 'NIQE',
           'LPIPS', 'DISTS', 'PerceptualBest']
