"""Degrade a few images once, with a fixed seed: fixed validation sets.

Training draws new degradations every iteration; a validation set must not
change, so :func:`degrade_images` runs the same kernels and pipeline once
with a seed, and the caller writes the LR images as files
(``tools/make_degraded_set.py``).
"""
import random
from typing import Optional

import numpy as np
import torch

from .kernels import BlurKernelSampler, FinalSincSampler
from .pipeline import SecondOrderDegradation

__all__ = ['degrade_images']


def degrade_images(images: list, *, scale: int = 4, seed: int = 0,
                   degradation: Optional[dict] = None,
                   first_kernel: Optional[dict] = None,
                   second_kernel: Optional[dict] = None,
                   final_sinc: Optional[dict] = None) -> list:
    """Real-ESRGAN's second-order degradation of each image, seeded.

    Args:
        images (list[ndarray]): HR images, ``(H, W, 3)`` uint8 RGB, sides
            multiples of ``scale``.
        scale (int): SR scale.
        seed (int): seeds Python, numpy and torch; the caller's random
            states are restored afterwards.
        degradation (dict | None): :class:`SecondOrderDegradation` options
            (``scale``, ``gt_size=None`` and ``usm_sharp=False`` are set: the
            LR is made from the HR itself and keeps its whole size).
        first_kernel, second_kernel, final_sinc (dict | None): kernel
            sampler options (defaults: the paper's).

    Returns:
        list[ndarray]: LR images ``(H/scale, W/scale, 3)`` uint8 RGB.
    """
    options = dict(degradation or {})
    options.update(scale=scale, gt_size=None, usm_sharp=False)
    pipeline = SecondOrderDegradation(**options)
    samplers = (
        BlurKernelSampler(**{'blur_sigma': (0.2, 3.0), **(first_kernel or {})}),
        BlurKernelSampler(**{'blur_sigma': (0.2, 1.5),
                             **(second_kernel or {})}),
        FinalSincSampler(**(final_sinc or {})))
    saved = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    try:
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        out = []
        for img in images:
            h, w = img.shape[:2]
            if h % scale or w % scale:
                raise ValueError(f'image size {w}x{h} is not a multiple of '
                                 f'scale {scale}')
            kernels = [torch.from_numpy(s.sample())[None] for s in samplers]
            hr = torch.from_numpy(np.ascontiguousarray(
                img.transpose(2, 0, 1)))[None].float() / 255
            lq = pipeline(hr, *kernels)['lq'][0]
            out.append((lq * 255).round().clamp(0, 255).byte()
                       .permute(1, 2, 0).numpy())
        return out
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
        torch.set_rng_state(saved[2])
