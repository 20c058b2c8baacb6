"""LPIPS, the learned perceptual distance of Zhang et al. (CVPR 2018).

R. Zhang, P. Isola, A. A. Efros, E. Shechtman, O. Wang, "The Unreasonable
Effectiveness of Deep Features as a Perceptual Metric", CVPR 2018.
Lower is closer (0 for identical images).

The network is the ``lpips`` package's own (``lpips.LPIPS``, version 0.1);
srtoolbox only loads its weights from local files. The distance: both
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

:class:`LPIPSNet` wraps the package's network; :func:`calculate_lpips`
measures two uint8 images; :func:`lpips_unavailable_reason` says in one line
why the weights are missing (tools and metrics skip LPIPS with it).
"""
import importlib.util
import os
import warnings
from functools import lru_cache
from typing import Any, Optional, Sequence, Union

import numpy as np
import torch
from torch import nn

from .image_input import to_rgb_255

__all__ = ['LPIPSNet', 'calculate_lpips', 'lpips_unavailable_reason',
           'lpips_backbone_path', 'lpips_linear_path', 'LPIPS_BACKBONES']

# per backbone: torchvision's file, the channels of the five layers LPIPS
# reads and the smallest input side they take (AlexNet's stride-4 conv and
# two pools; VGG16's four pools)
LPIPS_BACKBONES = {
    'alex': dict(arch='alexnet', filename='alexnet-owt-7be5be79.pth',
                 channels=(64, 192, 384, 256, 256),
                 min_size=31),
    'vgg': dict(arch='vgg16', filename='vgg16-397923af.pth',
                channels=(64, 128, 256, 512, 512),
                min_size=16),
}


def _check_net(net):
    if net not in LPIPS_BACKBONES:
        raise ValueError(f"LPIPS: net must be one of "
                         f"{', '.join(map(repr, LPIPS_BACKBONES))}, got "
                         f'{net!r}')
    return LPIPS_BACKBONES[net]


def lpips_backbone_path(net: str = 'alex',
                        pretrained: str = 'torchvision') -> Any:
    """The backbone file ``pretrained`` names (it may not exist).

    ``'torchvision'`` is torchvision's file in torch's hub cache.
    """
    spec = _check_net(net)
    if pretrained == 'torchvision':
        return os.path.join(torch.hub.get_dir(), 'checkpoints',
                            spec['filename'])
    return os.fspath(pretrained)


def lpips_linear_path(net: str = 'alex',
                      linear_weights: Union[str, os.PathLike] = 'lpips'
                      ) -> Optional[str]:
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


def lpips_unavailable_reason(net: str = 'alex',
                             pretrained: Optional[str] = 'torchvision',
                             linear_weights: str = 'lpips') -> Any:
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


def _build_features(net, pretrained, end, owner=None):
    """torchvision's ``features[:end]`` of the LPIPS backbone ``net``, read
    offline from the local file (DISTS builds its VGG16 with it).

    ``owner`` names the metric in the missing-file message."""
    spec = _check_net(net)
    # lazy: torchvision.models adds ~1 s to importing srtoolbox.evaluation
    import torchvision.models as tvm
    # built on the meta device: the classifier (most of the parameters) is
    # never allocated nor initialised, only the layers LPIPS reads
    with torch.device('meta'):
        features = getattr(tvm, spec['arch'])(weights=None).features
    features = features[:end].to_empty(device='cpu')
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


def _backbone_state(net, pretrained):
    """torchvision's ``features.*`` tensors of the backbone file, checked."""
    spec = LPIPS_BACKBONES[net]
    path = lpips_backbone_path(net, pretrained)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            _missing_backbone_message(net, pretrained, path))
    state = _load_state(path, f'{spec["arch"]} weights')
    if not any(key.startswith('features.') for key in state):
        state = {f'features.{key}': value for key, value in state.items()}
    return state, path


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
    """The ``lpips`` package's LPIPS v0.1 network (``lpips.LPIPS``), with
    weights loaded by srtoolbox from local files, frozen and in eval mode.

    The package would download torchvision's backbone and unpickle its
    linear layers; here the network is built without weights (on the meta
    device: the classifier the package drops is never allocated) and both
    files are read with ``torch.load(weights_only=True)``.

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

    def __init__(self, net: str = 'alex',
                 pretrained: Optional[Union[str, os.PathLike]] = 'torchvision',
                 linear_weights: Union[str, os.PathLike] = 'lpips',
                 input_range: Sequence[float] = (0, 1)) -> None:
        super().__init__()
        spec = _check_net(net)
        input_range = tuple(input_range)
        if input_range not in ((0, 1), (-1, 1)):
            raise ValueError(f'LPIPS: input_range must be (0, 1) or (-1, 1), '
                             f'got {input_range!r}')
        self.net = net
        self.input_range = input_range
        self.min_size = spec['min_size']
        linear = lpips_linear_path(net, linear_weights)
        if linear is None:
            raise ImportError(
                "LPIPS needs the calibrated linear layers of the 'lpips' "
                'package: pip install lpips (or pip install '
                "'srtoolbox[lpips]'), or pass linear_weights='/path/to/"
                f"{net}.pth'")
        backbone = None
        if pretrained is not None:  # checked before anything is built
            backbone = _backbone_state(net, pretrained)
        lin_state = _load_state(linear, 'linear-layer weights')
        self.model = _package_network(net)
        for i, channels in enumerate(spec['channels']):
            key = f'lin{i}.model.1.weight'
            weight = lin_state.get(key)
            if weight is None or tuple(weight.shape) != (1, channels, 1, 1):
                raise ValueError(
                    f'{linear} is not an LPIPS {net} linear-layer file: '
                    f'{key} should be (1, {channels}, 1, 1), got '
                    f'{None if weight is None else tuple(weight.shape)}')
            self.model.lins[i].model[1].weight.data.copy_(weight)
        # the package's slices keep torchvision's layer numbers:
        # slice1.0.weight is features.0.weight
        for name, param in self.model.net.named_parameters():
            tv_key = 'features.' + name.split('.', 1)[1]
            if backbone is None:
                if name.endswith('weight'):  # torchvision's initialisation
                    nn.init.kaiming_normal_(param, mode='fan_out',
                                            nonlinearity='relu')
                else:
                    nn.init.zeros_(param)
                continue
            state, path = backbone
            if tv_key not in state:
                raise ValueError(
                    f'{path} is not a torchvision {spec["arch"]} state '
                    f'dict: it lacks {tv_key}')
            param.data.copy_(state[tv_key])
        self.requires_grad_(False)
        self.eval()

    @property
    def device(self) -> torch.device:
        return self.model.scaling_layer.shift.device

    def train(self, mode: bool = True) -> 'LPIPSNet':
        """Always in eval mode: LPIPS is a measuring instrument."""
        return super().train(False)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
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
        dtype = self.model.scaling_layer.shift.dtype
        return self.model(x.to(dtype), y.to(dtype),
                          normalize=self.input_range == (0, 1)).view(-1)


def _package_network(net):
    """``lpips.LPIPS`` without any weights loaded (none downloaded)."""
    import lpips  # optional: the 'lpips' extra; needed only to measure
    with warnings.catch_warnings(), torch.device('meta'):
        # the package asks torchvision with the deprecated pretrained=
        warnings.simplefilter('ignore', UserWarning)
        model = lpips.LPIPS(pretrained=False, net=net, pnet_rand=True,
                            verbose=False)
    # the shift/scale buffers are made on the CPU with their values; the
    # layers get theirs from the files
    model.net.to_empty(device='cpu')
    model.lins.to_empty(device='cpu')
    return model


@lru_cache(maxsize=4)
def _cached_net(net, pretrained, linear_weights):
    return LPIPSNet(net, pretrained, linear_weights)


@torch.no_grad()
def calculate_lpips(img: np.ndarray, img2: np.ndarray, crop_border: int = 0,
                    net: str = 'alex', pretrained: str = 'torchvision',
                    model: Optional[Any] = None) -> float:
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
    device = model.device

    def tensor(arr):
        arr = np.ascontiguousarray(arr.transpose(2, 0, 1)) / 255.0
        return torch.from_numpy(arr).float().unsqueeze(0).to(device)

    return float(model(tensor(a), tensor(b))[0])
