"""Real-ESRGAN's second-order degradation model, batched on the device.

For a batch of GT crops and the kernels the dataset drew for them
(:class:`~srtoolbox.degradations.kernels.BlurKernelSampler`), one call
does what the released training code's ``feed_data`` does (Wang et al.,
ICCVW 2021, Sec. 3 and Fig. 2):

1. optional unsharp masking of the GT (``usm_sharp``); the LR is made from
   the sharpened GT;
2. first degradation: blur with ``kernel1``, random resize (up / down /
   keep, area / bilinear / bicubic), Gaussian or Poisson noise (colour or
   gray), JPEG at a random quality;
3. second degradation: blur with ``kernel2`` with ``second_blur_prob``,
   random resize relative to the LR size, noise, then in a random order
   (probability 1/2 each) either [resize to the LR size + final sinc, JPEG]
   or [JPEG, resize to the LR size + final sinc];
4. rounding to 8 bits, and one random ``gt_size`` crop of the batch (the
   same position for GT and LR, as the released code).

:class:`TrainingPairPool` is the released code's queue that mixes pairs of
successive batches. Scalar draws use torch's CPU generator, noise the
device's; both are seeded by the runner, so the result does not depend on
the number of loader workers.
"""
from typing import Any, Sequence, Tuple

import torch

from ..registry import DEGRADATIONS
from .errors import DegradationConfigError, check_prob, check_range
from .filtering import USMSharp, filter2d
from .jpeg import jpeg_compress
from .noise import random_add_noise
from .resize import RESIZE_MODES, RandomResize, _choice, interpolate

__all__ = ['SecondOrderDegradation', 'TrainingPairPool',
           'paired_random_crop']


def paired_random_crop(gts: Any, lq: Any, gt_size: int, scale: int) -> Any:
    """Crop every GT batch in ``gts`` to ``gt_size`` and ``lq`` to
    ``gt_size // scale`` at one random position (multiples of ``scale``)."""
    h, w = lq.shape[-2:]
    size = gt_size // scale
    if h < size or w < size:
        raise ValueError(f'LR {h}x{w} is smaller than the LR crop {size} '
                         f'(gt_size {gt_size} / scale {scale})')
    top = int(torch.randint(h - size + 1, ()))
    left = int(torch.randint(w - size + 1, ()))
    lq = lq[..., top:top + size, left:left + size]
    gts = [g[..., top * scale:(top + size) * scale,
             left * scale:(left + size) * scale] for g in gts]
    return gts, lq


@DEGRADATIONS.register_module()
class SecondOrderDegradation:
    """The whole synthetic LR generation of Real-ESRGAN.

    Defaults are the released options (``train_realesrgan_x4plus.yml``);
    the names are theirs. Ranges are (min, max); ``*_prob`` of resizes are
    (up, down, keep).

    Args:
        scale (int): SR scale.
        gt_size (int | None): GT crop after degradation (paper: 256);
            None keeps the whole image (LR size H // scale).
        usm_sharp (bool): sharpen the GT before degrading it.
        resize_prob, resize_range, gaussian_noise_prob, noise_range,
        poisson_scale_range, gray_noise_prob, jpeg_range: first stage.
        second_blur_prob, resize_prob2, resize_range2, gaussian_noise_prob2,
        noise_range2, poisson_scale_range2, gray_noise_prob2, jpeg_range2:
            second stage.
        final_sinc_first_prob (float): probability of [resize + sinc, JPEG]
            rather than [JPEG, resize + sinc]. Default: 0.5.
        resize_modes (tuple): interpolation modes. Default: area, bilinear,
            bicubic.
        usm_radius (int): USM Gaussian size. Default: 50 (-> 51).
        gray_noise_field (str): ``'batch'``: gray Gaussian noise is one field
            for the batch, scaled per image (the released code);
            ``'image'``: one field per image. Default: ``'batch'``.

    ``__call__(gt, kernel1, kernel2, sinc_kernel)``: ``gt`` ``(B, 3, H, W)``
    in [0, 1], kernels ``(B, k, k)``; returns ``dict(lq=(B, 3, s, s),
    gt=(B, 3, S, S), gt_usm=...)`` with S = ``gt_size`` (or H), s = S //
    scale, lq rounded to 8-bit levels; ``gt_usm`` is the sharpened GT (the
    GT itself when ``usm_sharp`` is False).
    """

    def __init__(self, *, scale: int = 4, gt_size: int = 256,
                 usm_sharp: bool = True,
                 resize_prob: Tuple[float, ...] = (0.2, 0.7, 0.1),
                 resize_range: Tuple[float, ...] = (0.15, 1.5),
                 gaussian_noise_prob: float = 0.5,
                 noise_range: Tuple[int, ...] = (1, 30),
                 poisson_scale_range: Tuple[float, ...] = (0.05, 3),
                 gray_noise_prob: float = 0.4,
                 jpeg_range: Tuple[int, ...] = (30, 95),
                 second_blur_prob: float = 0.8,
                 resize_prob2: Tuple[float, ...] = (0.3, 0.4, 0.3),
                 resize_range2: Tuple[float, ...] = (0.3, 1.2),
                 gaussian_noise_prob2: float = 0.5,
                 noise_range2: Tuple[int, ...] = (1, 25),
                 poisson_scale_range2: Tuple[float, ...] = (0.05, 2.5),
                 gray_noise_prob2: float = 0.4,
                 jpeg_range2: Tuple[int, ...] = (30, 95),
                 final_sinc_first_prob: float = 0.5,
                 resize_modes: Sequence[str] = RESIZE_MODES,
                 usm_radius: int = 50,
                 gray_noise_field: str = 'batch') -> None:
        if not isinstance(scale, int) or scale < 1:
            raise DegradationConfigError(
                f'scale must be a positive integer, got {scale!r}')
        if gt_size is not None and (not isinstance(gt_size, int)
                                    or gt_size % scale or gt_size < scale):
            raise DegradationConfigError(
                f'gt_size must be a positive multiple of scale {scale}, got '
                f'{gt_size!r}')
        self.scale = scale
        self.gt_size = gt_size
        self.usm = USMSharp(usm_radius) if usm_sharp else None
        self.resize1 = RandomResize(resize_prob, resize_range, resize_modes,
                                    'resize')
        self.resize2 = RandomResize(resize_prob2, resize_range2, resize_modes,
                                    'resize2')
        self.resize_modes = self.resize1.modes
        if gray_noise_field not in ('batch', 'image'):
            raise DegradationConfigError(
                "gray_noise_field must be 'batch' (the released code) or "
                f"'image', got {gray_noise_field!r}")
        self.noise1 = self._noise_options(
            '', gaussian_noise_prob, noise_range, poisson_scale_range,
            gray_noise_prob)
        self.noise2 = self._noise_options(
            '2', gaussian_noise_prob2, noise_range2, poisson_scale_range2,
            gray_noise_prob2)
        for options in (self.noise1, self.noise2):
            options['gray_field'] = gray_noise_field
        self.jpeg_range = check_range('jpeg_range', jpeg_range, 1, 100)
        self.jpeg_range2 = check_range('jpeg_range2', jpeg_range2, 1, 100)
        self.second_blur_prob = check_prob('second_blur_prob',
                                           second_blur_prob)
        self.final_sinc_first_prob = check_prob('final_sinc_first_prob',
                                                final_sinc_first_prob)

    @staticmethod
    def _noise_options(suffix, gaussian_prob, noise_range, poisson_range,
                       gray_prob):
        return dict(
            gaussian_prob=check_prob(f'gaussian_noise_prob{suffix}',
                                     gaussian_prob),
            noise_range=check_range(f'noise_range{suffix}', noise_range, 0),
            poisson_scale_range=check_range(f'poisson_scale_range{suffix}',
                                            poisson_range, 0),
            gray_prob=check_prob(f'gray_noise_prob{suffix}', gray_prob))

    def check_kernel_size(self, kernel_size: int) -> None:
        """A GT crop must be at least as large as the blur kernels."""
        if self.gt_size is not None and kernel_size > self.gt_size:
            raise DegradationConfigError(
                f'gt_size {self.gt_size} is smaller than the largest blur '
                f'kernel ({kernel_size})')

    def _jpeg(self, img, quality_range):
        b = img.shape[0]
        low, high = quality_range
        quality = torch.rand(b, device=img.device) * (high - low) + low
        return jpeg_compress(img.clamp(0, 1), quality)

    @torch.no_grad()
    def degrade(self, img: Any, kernel1: Any, kernel2: Any,
                sinc_kernel: Any) -> Any:
        """Steps 2-3 on ``img`` ``(B, 3, H, W)``: the LR image, rounded to
        8-bit levels, ``(B, 3, H // scale, W // scale)``."""
        h, w = img.shape[-2:]
        lr_size = (h // self.scale, w // self.scale)
        out = filter2d(img, kernel1)
        out = self.resize1(out)
        out = random_add_noise(out, **self.noise1)
        out = self._jpeg(out, self.jpeg_range)
        if float(torch.rand(())) < self.second_blur_prob:
            out = filter2d(out, kernel2)
        out = self.resize2(out, base_size=lr_size)
        out = random_add_noise(out, **self.noise2)
        if float(torch.rand(())) < self.final_sinc_first_prob:
            out = interpolate(out, size=lr_size,
                              mode=_choice(self.resize_modes))
            out = filter2d(out, sinc_kernel)
            out = self._jpeg(out, self.jpeg_range2)
        else:
            out = self._jpeg(out, self.jpeg_range2)
            out = interpolate(out, size=lr_size,
                              mode=_choice(self.resize_modes))
            out = filter2d(out, sinc_kernel)
        return (out * 255.0).round().clamp(0, 255) / 255.0

    @torch.no_grad()
    def __call__(self, gt, kernel1, kernel2, sinc_kernel):
        self.check_kernel_size(kernel1.shape[-1])
        smallest = int(min(gt.shape[-2:]) * self.resize1.resize_range[0])
        if smallest <= kernel2.shape[-1] // 2:
            raise DegradationConfigError(
                f'GT crops of {tuple(gt.shape[-2:])} shrink to {smallest} '
                f'pixels at the smallest first resize '
                f'({self.resize1.resize_range[0]}), too small for the '
                f'{kernel2.shape[-1]}x{kernel2.shape[-1]} second blur; use '
                'larger crops (crop_pad_size) or a larger resize_range min')
        if self.usm is not None:
            self.usm.to(gt.device)
            gt_usm = self.usm(gt)
        else:
            gt_usm = gt
        lq = self.degrade(gt_usm, kernel1, kernel2, sinc_kernel)
        if self.gt_size is not None:
            (gt, gt_usm), lq = paired_random_crop([gt, gt_usm], lq,
                                                  self.gt_size, self.scale)
        return dict(lq=lq.contiguous(), gt=gt.contiguous(),
                    gt_usm=gt_usm.contiguous())


class TrainingPairPool:
    """The released code's training-pair pool: a queue of ``size`` pairs.

    Until the queue is full each batch is stored and returned unchanged;
    then the queue is shuffled, its first B pairs are returned and replaced
    by the incoming batch, so a batch mixes degradations of several
    iterations. ``size`` must be a multiple of the batch size (checked at
    the first batch). The queue lives on the batch's device.
    """

    def __init__(self, size: int) -> None:
        if not isinstance(size, int) or size < 0:
            raise DegradationConfigError(
                f'queue_size must be an integer >= 0, got {size!r}')
        self.size = size
        self.queue_lq = self.queue_gt = None
        self.ptr = 0

    def __call__(self, lq, gt):
        if self.size == 0:
            return lq, gt
        b = lq.shape[0]
        if self.queue_lq is None:
            if self.size % b:
                raise DegradationConfigError(
                    f'queue_size {self.size} must be a multiple of the batch '
                    f'size {b}')
            self.queue_lq = lq.new_zeros((self.size, *lq.shape[1:]))
            self.queue_gt = gt.new_zeros((self.size, *gt.shape[1:]))
        if self.ptr < self.size:
            self.queue_lq[self.ptr:self.ptr + b] = lq
            self.queue_gt[self.ptr:self.ptr + b] = gt
            self.ptr += b
            return lq, gt
        order = torch.randperm(self.size).to(lq.device)
        self.queue_lq = self.queue_lq[order]
        self.queue_gt = self.queue_gt[order]
        out_lq = self.queue_lq[:b].clone()
        out_gt = self.queue_gt[:b].clone()
        self.queue_lq[:b] = lq
        self.queue_gt[:b] = gt
        return out_lq, out_gt
