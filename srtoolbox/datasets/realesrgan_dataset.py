"""GT crops and their blur kernels for Real-ESRGAN-style training.

As the released ``RealESRGANDataset``: the dataset reads an HR image, flips
(and optionally rotates) it, reflect-pads it to at least ``crop_pad_size``
and crops ``crop_pad_size`` square; then it draws the three kernels of the
degradation model (first blur, second blur, final sinc). The degradation
itself runs batched on the training device in the model's data step
(:class:`srtoolbox.models.RealESRNet`), not here.

Randomness comes from Python's ``random`` and numpy's global generator,
which srtoolbox's resumable sampler seeds per sample: the same seed gives
the same crops and kernels with any number of loader workers.
"""
import random

import cv2
import numpy as np
import torch

from ..degradations import (BlurKernelSampler, DegradationConfigError,
                            FinalSincSampler)
from ..registry import DATASETS
from .sr_datasets import HRImageDataset
from .transforms.formatting import img2tensor

__all__ = ['RealESRGANDataset']

# the released second-stage kernel options differ only in blur_sigma
FIRST_KERNEL = dict(blur_sigma=(0.2, 3.0))
SECOND_KERNEL = dict(blur_sigma=(0.2, 1.5))


@DATASETS.register_module()
class RealESRGANDataset(HRImageDataset):
    """HR-only dataset for RealESRNet / RealESRGAN training.

    Args:
        gt_folder (str): folder (recursive) or LMDB of HR images (e.g. DF2K
            multi-scale sub-images + OST), relative to ``data_root``.
        scale (int): SR scale.
        gt_size (int): the GT crop the model takes after degradation
            (checked here against the kernels: it must be at least the
            largest kernel). Paper: 256.
        crop_pad_size (int): side of the square the dataset returns,
            >= ``gt_size``. Released code: 400.
        use_hflip (bool): random horizontal flip. Default: True.
        use_rot (bool): random vertical flip and transposition. Default:
            False (the released options).
        first_kernel (dict): :class:`BlurKernelSampler` options of the first
            degradation. Default: the paper's (sigma 0.2-3).
        second_kernel (dict): same, second degradation (sigma 0.2-1.5).
        final_sinc (dict): :class:`FinalSincSampler` options (prob 0.8).
        data_root, backend_args, cache, name, skip_bad, ...: as
            :class:`HRImageDataset`.

    Item: ``dict(inputs=(3, S, S) float GT in [0, 1], data_samples=dict(
    kernel1=(K, K), kernel2=(K, K), sinc_kernel=(K, K), key, dataset,
    gt_path))`` with S = ``crop_pad_size``, K the largest kernel size.
    """

    def __init__(self, *, gt_folder, scale, gt_size=256, crop_pad_size=400,
                 use_hflip=True, use_rot=False, first_kernel=None,
                 second_kernel=None, final_sinc=None, **kwargs):
        self.first_kernel = BlurKernelSampler(
            **{**FIRST_KERNEL, **(first_kernel or {})}, name='first_kernel')
        self.second_kernel = BlurKernelSampler(
            **{**SECOND_KERNEL, **(second_kernel or {})},
            name='second_kernel')
        self.final_sinc = FinalSincSampler(**(final_sinc or {}),
                                           name='final_sinc')
        sizes = {s.max_size for s in (self.first_kernel, self.second_kernel,
                                      self.final_sinc)}
        if len(sizes) != 1:
            raise DegradationConfigError(
                'first_kernel, second_kernel and final_sinc must share their '
                f'largest kernel size (they are stacked), got {sorted(sizes)}')
        self.kernel_size = sizes.pop()
        if not isinstance(gt_size, int) or gt_size < self.kernel_size:
            raise DegradationConfigError(
                f'gt_size {gt_size!r} is smaller than the largest blur kernel '
                f'({self.kernel_size}); use a larger crop or smaller '
                'kernel_sizes')
        if gt_size % scale:
            raise DegradationConfigError(
                f'gt_size {gt_size} must be a multiple of scale {scale}')
        if not isinstance(crop_pad_size, int) or crop_pad_size < gt_size:
            raise DegradationConfigError(
                f'crop_pad_size {crop_pad_size!r} must be an integer >= '
                f'gt_size {gt_size}')
        self.gt_size = gt_size
        self.crop_pad_size = crop_pad_size
        self.use_hflip = use_hflip
        self.use_rot = use_rot
        super().__init__(gt_folder=gt_folder, scale=scale, **kwargs)

    def _augment(self, img):
        if self.use_hflip and random.random() < 0.5:
            img = img[:, ::-1]
        if self.use_rot:
            if random.random() < 0.5:
                img = img[::-1]
            if random.random() < 0.5:
                img = img.transpose(1, 0, 2)
        return img

    def _crop_or_pad(self, img):
        size = self.crop_pad_size
        h, w = img.shape[:2]
        if h < size or w < size:
            img = cv2.copyMakeBorder(np.ascontiguousarray(img), 0,
                                     max(0, size - h), 0, max(0, size - w),
                                     cv2.BORDER_REFLECT_101)
            h, w = img.shape[:2]
        top = random.randint(0, h - size)
        left = random.randint(0, w - size)
        return img[top:top + size, left:left + size]

    def prepare_data(self, idx):
        data_info = self.get_data_info(idx)
        self._load_or_name(data_info)
        gt = self._crop_or_pad(self._augment(data_info['gt']))
        sample = {k: data_info[k] for k in ('key', 'dataset', 'gt_path')
                  if k in data_info}
        sample['kernel1'] = torch.from_numpy(self.first_kernel.sample())
        sample['kernel2'] = torch.from_numpy(self.second_kernel.sample())
        sample['sinc_kernel'] = torch.from_numpy(self.final_sinc.sample())
        return dict(inputs=img2tensor(gt), data_samples=sample)
