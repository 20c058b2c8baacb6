"""DISTS, the deep image structure and texture similarity of Ding, Ma,
Wang, Simoncelli ("Image Quality Assessment: Unifying Structure and Texture
Similarity", TPAMI 2020). Lower is closer (0 for identical images).

Both images, in [0, 1], are normalised with ImageNet's mean and standard
deviation and passed through VGG16 whose max-pools are replaced by L2
pools (a 3x3 Hanning window, stride 2: ``sqrt(blur(x^2) + 1e-12)``). At
the image itself and at ``relu1_2``, ``relu2_2``, ``relu3_3``, ``relu4_3``
and ``relu5_3`` (1475 channels in all), per channel ``k``:

* texture: ``l = (2 mu_x mu_y + c) / (mu_x^2 + mu_y^2 + c)``;
* structure: ``s = (2 cov_xy + c) / (var_x + var_y + c)``;

spatial means, variances and covariance, ``c = 1e-6``. DISTS is ``1 -
sum_k (alpha_k l_k + beta_k s_k)`` with the learned weights normalised to
sum 1 over alpha and beta together. Equal to the ``dists-pytorch`` package
on the same backbone (pinned in the tests).

Two weight files, nothing downloaded:

* the backbone: torchvision's ImageNet VGG16 (``vgg16-397923af.pth``) in
  torch's hub cache, the file LPIPS(vgg) reads (see :mod:`.lpips`);
* alpha and beta: ``dists_alpha_beta.npz`` beside this module, the
  ``weights.pt`` of the authors' ``DISTS_pytorch`` 0.1 package (MIT
  licence, Keyan Ding; ``dists_alpha_beta.LICENSE``) as numpy arrays.
"""
import os
from functools import lru_cache

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .image_input import rgb_pair_tensors
from .lpips import _build_features, lpips_backbone_path

__all__ = ['DISTSNet', 'calculate_dists', 'dists_unavailable_reason',
           'DISTS_WEIGHTS']

DISTS_WEIGHTS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             'dists_alpha_beta.npz')
_CHANNELS = (3, 64, 128, 256, 512, 512)
# the ReLUs DISTS reads: the last index of each VGG16 stage
_TAPS = (3, 8, 15, 22, 29)
_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)
_C = 1e-6


def dists_unavailable_reason(pretrained='torchvision'):
    """None when the VGG16 file exists (or ``pretrained`` is None), else
    one line saying which file is missing and where it goes."""
    if pretrained is None:
        return None
    path = lpips_backbone_path('vgg', pretrained)
    if os.path.isfile(path):
        return None
    return (f'DISTS skipped: the ImageNet vgg16 weights are not at {path} '
            '(srtoolbox never downloads: fetch https://download.pytorch.org/'
            'models/vgg16-397923af.pth on a machine with network and put it '
            'there)')


class L2Pool(nn.Module):
    """``sqrt(hanning_3x3 * x^2 + 1e-12)``, stride 2, per channel."""

    def __init__(self):
        super().__init__()
        taps = torch.from_numpy(np.hanning(5)[1:-1]).float()
        window = taps[:, None] * taps[None, :]
        self.register_buffer('window', (window / window.sum())[None, None],
                             persistent=False)

    def forward(self, x):
        n, c, h, w = x.shape
        out = F.conv2d((x**2).reshape(n * c, 1, h, w), self.window,
                       stride=2, padding=1)
        return (out.reshape(n, c, *out.shape[-2:]) + 1e-12).sqrt()


class DISTSNet(nn.Module):
    """The DISTS network, frozen and in eval mode.

    Args:
        pretrained (str | os.PathLike | None): the VGG16 weights:
            ``'torchvision'`` (torchvision's file in torch's hub cache), a
            path in that layout, or None for a random backbone (tests only).
            A missing file raises ``FileNotFoundError`` naming it and where
            it goes.
        weights (str | os.PathLike): the alpha/beta file. Default: the
            vendored :data:`DISTS_WEIGHTS`.
        input_range (tuple): ``(0, 1)`` or ``(-1, 1)``.

    ``forward(x, y)``: ``(N, 3, H, W)`` each, same shape, in
    ``input_range``; ``(N,)`` distances. Gradients flow to both inputs.
    """

    def __init__(self, pretrained='torchvision', weights=DISTS_WEIGHTS,
                 input_range=(0, 1)):
        super().__init__()
        input_range = tuple(input_range)
        if input_range not in ((0, 1), (-1, 1)):
            raise ValueError(f'DISTS: input_range must be (0, 1) or (-1, 1), '
                             f'got {input_range!r}')
        self.input_range = input_range
        features = _build_features('vgg', pretrained, owner='DISTS')
        for i, module in enumerate(features):
            if isinstance(module, nn.MaxPool2d):
                features[i] = L2Pool()
        self.features = features
        weights = os.fspath(weights)
        if not os.path.isfile(weights):
            raise FileNotFoundError(
                f'DISTS: the alpha/beta weights {weights} do not exist (they '
                f'ship with srtoolbox as {DISTS_WEIGHTS})')
        with np.load(weights) as data:
            alpha, beta = (torch.from_numpy(data[k]).float().view(-1)
                           for k in ('alpha', 'beta'))
        if alpha.numel() != sum(_CHANNELS) or beta.numel() != sum(_CHANNELS):
            raise ValueError(f'{weights}: alpha and beta must hold '
                             f'{sum(_CHANNELS)} values each, got '
                             f'{alpha.numel()} and {beta.numel()}')
        total = alpha.sum() + beta.sum()
        self.register_buffer('alpha', alpha / total, persistent=False)
        self.register_buffer('beta', beta / total, persistent=False)
        self.register_buffer('mean', torch.tensor(_MEAN).view(1, 3, 1, 1),
                             persistent=False)
        self.register_buffer('std', torch.tensor(_STD).view(1, 3, 1, 1),
                             persistent=False)
        self.requires_grad_(False)
        self.eval()

    def train(self, mode=True):
        """Always in eval mode: DISTS is a measuring instrument."""
        return super().train(False)

    def _stages(self, x):
        feats = [x]
        h = (x - self.mean) / self.std
        for index, module in enumerate(self.features):
            h = module(h)
            if index in _TAPS:
                feats.append(h)
        return feats

    def forward(self, x, y):
        if x.shape != y.shape or x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f'DISTS compares two (N, 3, H, W) images of the '
                             f'same shape, got {tuple(x.shape)} and '
                             f'{tuple(y.shape)}')
        dtype = self.mean.dtype
        x, y = x.to(dtype), y.to(dtype)
        if self.input_range == (-1, 1):
            x, y = (x + 1) / 2, (y + 1) / 2
        n = x.shape[0]
        score = x.new_zeros(n)
        offset = 0
        # one pass over both images
        for feat in self._stages(torch.cat([x, y])):
            fx, fy = feat[:n], feat[n:]
            mx, my = fx.mean((2, 3)), fy.mean((2, 3))
            vx = ((fx - mx[..., None, None])**2).mean((2, 3))
            vy = ((fy - my[..., None, None])**2).mean((2, 3))
            cov = (fx * fy).mean((2, 3)) - mx * my
            texture = (2 * mx * my + _C) / (mx**2 + my**2 + _C)
            structure = (2 * cov + _C) / (vx + vy + _C)
            c = feat.shape[1]
            score = score + (self.alpha[offset:offset + c] * texture).sum(1) \
                + (self.beta[offset:offset + c] * structure).sum(1)
            offset += c
        return 1 - score


@lru_cache(maxsize=2)
def _cached_net(pretrained):
    return DISTSNet(pretrained)


@torch.no_grad()
def calculate_dists(img, img2, crop_border=0, pretrained='torchvision',
                    model=None):
    """DISTS between two ``(H, W, 3)`` RGB uint8 images of the same size
    (lower is closer); ``crop_border`` pixels cut from each side. The
    network is built once per ``pretrained`` unless ``model`` is given."""
    model = _cached_net(pretrained) if model is None else model
    if model.input_range != (0, 1):
        raise ValueError('calculate_dists needs a model with input_range '
                         '(0, 1)')
    a, b = rgb_pair_tensors(img, img2, crop_border, model.mean.device,
                            'DISTS')
    return float(model(a, b)[0])
