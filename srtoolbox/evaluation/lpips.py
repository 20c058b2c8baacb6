"""LPIPS, the learned perceptual distance of Zhang et al. (CVPR 2018).

R. Zhang, P. Isola, A. A. Efros, E. Shechtman, O. Wang, "The Unreasonable
Effectiveness of Deep Features as a Perceptual Metric", CVPR 2018.
Lower is closer (0 for identical images).

The distance (version 0.1, as the ``lpips`` package computes it): both
images, in [-1, 1], are shifted and scaled per channel (shift ``(-.030,
-.088, -.188)``, scale ``(.458, .448, .450)``), passed through an ImageNet
backbone (AlexNet: the five ReLU outputs; VGG16: ``relu1_2``, ``relu2_2``,
``relu3_3``, ``relu4_3``, ``relu5_3``); each feature map is unit-normalised
over channels, the squared difference is weighted per channel by the
calibrated linear layer ``w_l`` (a 1x1 convolution, no bias), averaged over
space and summed over the five layers.

Two weight files, nothing downloaded:

* the backbone: torchvision's ImageNet file (``alexnet-owt-7be5be79.pth``
  or ``vgg16-397923af.pth``) in torch's hub cache
  (``torch.hub.get_dir()/checkpoints``), or any path in that layout;
* the linear layers: ``weights/v0.1/{alex,vgg}.pth`` shipped inside the
  ``lpips`` pip package (``pip install lpips``, or ``srtoolbox[lpips]``),
  found without importing it; or a path in that layout.

:class:`LPIPSNet` is the network; :func:`calculate_lpips` measures two
uint8 images; :func:`lpips_unavailable_reason` says in one line why the
weights are missing (tools and metrics skip LPIPS with it).
"""
import importlib.util
import os
from functools import lru_cache

import numpy as np
import torch
from torch import nn

from .image_input import to_rgb_255

__all__ = ['LPIPSNet', 'calculate_lpips', 'lpips_unavailable_reason',
           'lpips_backbone_path', 'lpips_linear_path', 'LPIPS_BACKBONES']

# per backbone: torchvision's file, the ends of the five slices of
# ``features`` (the ReLUs LPIPS reads) and their channels
# and the smallest input side they take (AlexNet's stride-4 conv and two
# pools; VGG16's four pools)
LPIPS_BACKBONES = {
    'alex': dict(arch='alexnet', filename='alexnet-owt-7be5be79.pth',
                 ends=(2, 5, 8, 10, 12), channels=(64, 192, 384, 256, 256),
                 min_size=31),
    'vgg': dict(arch='vgg16', filename='vgg16-397923af.pth',
                ends=(4, 9, 16, 23, 30), channels=(64, 128, 256, 512, 512),
                min_size=16),
}
_SHIFT = (-.030, -.088, -.188)
_SCALE = (.458, .448, .450)
_EPS = 1e-10


def _check_net(net):
    if net not in LPIPS_BACKBONES:
        raise ValueError(f"LPIPS: net must be one of "
                         f"{', '.join(map(repr, LPIPS_BACKBONES))}, got "
                         f'{net!r}')
    return LPIPS_BACKBONES[net]


def lpips_backbone_path(net='alex', pretrained='torchvision'):
    """The backbone file ``pretrained`` names (it may not exist).

    ``'torchvision'`` is torchvision's file in torch's hub cache.
    """
    spec = _check_net(net)
    if pretrained == 'torchvision':
        return os.path.join(torch.hub.get_dir(), 'checkpoints',
                            spec['filename'])
    return os.fspath(pretrained)


def lpips_linear_path(net='alex', linear_weights='lpips'):
    """The linear-layer file: ``'lpips'`` is the one in the installed
    ``lpips`` package (None if the package is not installed)."""
    _check_net(net)
    if linear_weights != 'lpips':
        return os.fspath(linear_weights)
    spec = importlib.util.find_spec('lpips')
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.join(list(spec.submodule_search_locations)[0], 'weights',
                        'v0.1', f'{net}.pth')


def lpips_unavailable_reason(net='alex', pretrained='torchvision',
                             linear_weights='lpips'):
    """None when both weight files exist, else one line saying what is
    missing and where it goes."""
    spec = _check_net(net)
    linear = lpips_linear_path(net, linear_weights)
    if linear is None:
        return ("LPIPS skipped: its calibrated linear layers come with the "
                "'lpips' package, which is not installed (pip install lpips)")
    if not os.path.isfile(linear):
        return f'LPIPS skipped: linear-layer weights {linear} do not exist'
    if pretrained is None:
        return None
    path = lpips_backbone_path(net, pretrained)
    if not os.path.isfile(path):
        url = f'https://download.pytorch.org/models/{spec["filename"]}'
        return (f'LPIPS skipped: the ImageNet {spec["arch"]} weights are not '
                f'at {path} (srtoolbox never downloads: fetch {url} on a '
                'machine with network and put it there)')
    return None


def _load_state(path, what):
    if not os.path.isfile(path):
        raise FileNotFoundError(f'LPIPS: {what} {path} does not exist')
    return torch.load(path, map_location='cpu', weights_only=True)


def _build_features(net, pretrained, owner=None):
    """torchvision's ``features`` up to the last LPIPS layer, frozen.

    ``owner`` names the metric in the missing-file message (DISTS shares
    the VGG16 backbone)."""
    spec = _check_net(net)
    import torchvision.models as tvm  # only when used
    # built on the meta device: the classifier (most of the parameters) is
    # never allocated nor initialised, only the layers LPIPS reads
    with torch.device('meta'):
        features = getattr(tvm, spec['arch'])(weights=None).features
    features = features[:spec['ends'][-1]].to_empty(device='cpu')
    for module in features:
        if isinstance(module, nn.ReLU):
            module.inplace = False  # the ReLU outputs are kept
        elif isinstance(module, nn.Conv2d) and pretrained is None:
            # torchvision's initialisation of these networks
            nn.init.kaiming_normal_(module.weight, mode='fan_out',
                                    nonlinearity='relu')
            nn.init.zeros_(module.bias)
    if pretrained is not None:
        path = lpips_backbone_path(net, pretrained)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                _missing_backbone_message(net, pretrained, path, owner))
        state = _load_state(path, f'{spec["arch"]} weights')
        if any(key.startswith('features.') for key in state):
            state = {key[len('features.'):]: value
                     for key, value in state.items()
                     if key.startswith('features.')}
        wanted = features.state_dict().keys()
        missing = [key for key in wanted if key not in state]
        if missing:
            raise ValueError(
                f'{path} is not a torchvision {spec["arch"]} state dict: it '
                f'lacks {", ".join("features." + k for k in missing)}')
        features.load_state_dict({key: state[key] for key in wanted})
    return features


def _missing_backbone_message(net, pretrained, path, owner=None):
    spec = LPIPS_BACKBONES[net]
    owner = owner or f'LPIPS(net={net!r})'
    url = f'https://download.pytorch.org/models/{spec["filename"]}'
    where = (f"in torch's hub cache at {path} (torch.hub.get_dir()/"
             'checkpoints; TORCH_HOME moves it)' if pretrained ==
             'torchvision' else f'at {path} (pretrained={pretrained!r})')
    return (f'{owner} needs the ImageNet {spec["arch"]} weights '
            f'{spec["filename"]}, expected {where}, and the file does not '
            f'exist. srtoolbox never downloads: on a machine with network, '
            f'download {url} and copy it to {lpips_backbone_path(net)}, or '
            f"pass pretrained='/path/to/{spec['filename']}'. "
            '(pretrained=None gives a random backbone, for tests only.)')


class LPIPSNet(nn.Module):
    """The LPIPS v0.1 distance network, frozen and in eval mode.

    Args:
        net (str): backbone, ``'alex'`` (the paper's default) or ``'vgg'``.
        pretrained (str | os.PathLike | None): the backbone weights:
            ``'torchvision'`` (torchvision's file in torch's hub cache), a
            path in that layout, or None for a random backbone (tests).
            A missing file raises ``FileNotFoundError`` naming it.
        linear_weights (str | os.PathLike): ``'lpips'`` for the calibrated
            layers inside the installed ``lpips`` package, or a path to a
            file in that layout (``lin0.model.1.weight`` ...).
        input_range (tuple): ``(0, 1)`` or ``(-1, 1)``, the inputs' range.

    ``forward(x, y)``: ``(N, 3, H, W)`` each, same shape, in
    ``input_range``; returns ``(N,)`` distances (>= 0). Gradients flow to
    both inputs; the weights never change.
    """

    def __init__(self, net='alex', pretrained='torchvision',
                 linear_weights='lpips', input_range=(0, 1)):
        super().__init__()
        spec = _check_net(net)
        input_range = tuple(input_range)
        if input_range not in ((0, 1), (-1, 1)):
            raise ValueError(f'LPIPS: input_range must be (0, 1) or (-1, 1), '
                             f'got {input_range!r}')
        self.net = net
        self.input_range = input_range
        self.ends = spec['ends']
        self.min_size = spec['min_size']
        linear = lpips_linear_path(net, linear_weights)
        if linear is None:
            raise ImportError(
                "LPIPS needs the calibrated linear layers of the 'lpips' "
                'package: pip install lpips (or pip install '
                "'srtoolbox[lpips]'), or pass linear_weights='/path/to/"
                f"{net}.pth'")
        self.features = _build_features(net, pretrained)
        state = _load_state(linear, 'linear-layer weights')
        self.linear = nn.ParameterList()
        for i, channels in enumerate(spec['channels']):
            key = f'lin{i}.model.1.weight'
            weight = state.get(key)
            if weight is None or tuple(weight.shape) != (1, channels, 1, 1):
                raise ValueError(
                    f'{linear} is not an LPIPS {net} linear-layer file: '
                    f'{key} should be (1, {channels}, 1, 1), got '
                    f'{None if weight is None else tuple(weight.shape)}')
            self.linear.append(nn.Parameter(weight.view(channels)))
        self.register_buffer('shift', torch.tensor(_SHIFT).view(1, 3, 1, 1),
                             persistent=False)
        self.register_buffer('scale', torch.tensor(_SCALE).view(1, 3, 1, 1),
                             persistent=False)
        self.requires_grad_(False)
        self.eval()

    def train(self, mode=True):
        """Always in eval mode: LPIPS is a measuring instrument."""
        return super().train(False)

    def forward(self, x, y):
        if x.shape != y.shape:
            raise ValueError(f'LPIPS compares images of the same size, got '
                             f'{tuple(x.shape)} and {tuple(y.shape)}')
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f'LPIPS expects (N, 3, H, W) tensors, got '
                             f'{tuple(x.shape)}')
        if min(x.shape[2:]) < self.min_size:
            raise ValueError(
                f'LPIPS({self.net!r}) needs images of at least '
                f'{self.min_size}x{self.min_size}, got '
                f'{x.shape[3]}x{x.shape[2]} (after any crop_border)')
        dtype = self.shift.dtype
        x, y = x.to(dtype), y.to(dtype)
        if self.input_range == (0, 1):
            x, y = 2 * x - 1, 2 * y - 1
        # one pass over the pair: the batch of both images
        h = (torch.cat([x, y]) - self.shift) / self.scale
        total = 0
        layer = 0
        for index, module in enumerate(self.features, start=1):
            h = module(h)
            if index in self.ends:
                feat = h / (h.pow(2).sum(1, keepdim=True).sqrt() + _EPS)
                fx, fy = feat.chunk(2)
                diff = (fx - fy).pow(2)
                weighted = (diff * self.linear[layer].view(1, -1, 1, 1)).sum(1)
                total = total + weighted.mean((1, 2))
                layer += 1
        return total


@lru_cache(maxsize=4)
def _cached_net(net, pretrained, linear_weights):
    return LPIPSNet(net, pretrained, linear_weights)


@torch.no_grad()
def calculate_lpips(img, img2, crop_border=0, net='alex',
                    pretrained='torchvision', model=None):
    """LPIPS between two images (lower is closer).

    Args:
        img, img2 (np.ndarray): ``(H, W, 3)`` RGB uint8 (or float in [0,
            255]); gray, RGBA and uint16 are converted as
            :func:`srtoolbox.utils.imread` does. Same size.
        crop_border (int): pixels cut from each side (the scale, for SR).
        net, pretrained: as :class:`LPIPSNet`; the network is built once
            per setting and cached. Ignored when ``model`` is given.
        model (LPIPSNet | None): a network to use (its device is used).

    Returns:
        float: the distance, >= 0.

    Raises:
        ValueError: the images differ in size; FileNotFoundError: a weight
            file is missing (see :func:`lpips_unavailable_reason`).
    """
    if img.shape[:2] != img2.shape[:2]:
        raise ValueError(f'LPIPS compares images of the same size, got '
                         f'{img.shape} and {img2.shape}')
    a, b = to_rgb_255(img), to_rgb_255(img2)
    if crop_border < 0:
        raise ValueError(f'crop_border must be >= 0, got {crop_border}')
    if crop_border:
        if min(a.shape[:2]) <= 2 * crop_border:
            raise ValueError(f'image of shape {img.shape} is too small for '
                             f'crop_border={crop_border}')
        a = a[crop_border:-crop_border, crop_border:-crop_border]
        b = b[crop_border:-crop_border, crop_border:-crop_border]
    if model is None:
        model = _cached_net(net, pretrained, 'lpips')
    if model.input_range != (0, 1):
        raise ValueError('calculate_lpips needs a model with input_range '
                         '(0, 1)')
    device = model.shift.device

    def tensor(arr):
        arr = np.ascontiguousarray(arr.transpose(2, 0, 1)) / 255.0
        return torch.from_numpy(arr).float().unsqueeze(0).to(device)

    return float(model(tensor(a), tensor(b))[0])
