"""Perceptual (VGG feature) loss of SRGAN and ESRGAN.

The loss compares VGG19 feature maps of the output and the target, as in
Ledig et al. (SRGAN, CVPR 2017, Eq. 5: MSE on phi_{5,4}, the feature map after
the ReLU of conv5_4, rescaled by 1/12.75) and Wang et al. (ESRGAN, ECCVW
2018: L1 on conv5_4 before its activation).

The VGG is torchvision's ``vgg19`` feature extractor (same layers, same
indices, so torchvision's ``vgg19-dcbb9e9d.pth`` loads into it). It is a fixed
measuring instrument, not part of the model, so it is kept outside the
module's registered children: it is not in ``parameters()`` (never in an
optimizer, nothing for DDP to synchronise), not in ``state_dict()`` (never in a
checkpoint), and ``model.train()`` does not reach it. Being unregistered, it
does not follow ``model.to(device)``; instead it follows the input: the first
call on a device makes (and caches) a copy of the VGG there. Nothing is ever
downloaded.
"""
import copy
import difflib
import os
from typing import Any, Dict, Optional, Tuple

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ...registry import LOSSES

__all__ = ['PerceptualLoss', 'VGG19_LAYER_NAMES', 'VGG19_FILENAME',
           'VGG19_URL', 'torchvision_vgg19_path']

VGG19_FILENAME = 'vgg19-dcbb9e9d.pth'
VGG19_URL = f'https://download.pytorch.org/models/{VGG19_FILENAME}'
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


def _vgg19_layer_names():
    """Names of torchvision's ``vgg19().features[i]``, i = 0..36."""
    names = []
    for block, num_convs in enumerate((2, 2, 4, 4, 4), start=1):
        for conv in range(1, num_convs + 1):
            names += [f'conv{block}_{conv}', f'relu{block}_{conv}']
        names.append(f'pool{block}')
    return tuple(names)


# conv1_1, relu1_1, conv1_2, relu1_2, pool1, conv2_1, ..., relu5_4, pool5
VGG19_LAYER_NAMES = _vgg19_layer_names()
_LAYER_INDEX = {name: i for i, name in enumerate(VGG19_LAYER_NAMES)}


def torchvision_vgg19_path() -> Any:
    """Where torchvision keeps ``vgg19-dcbb9e9d.pth``: the hub cache."""
    return os.path.join(torch.hub.get_dir(), 'checkpoints', VGG19_FILENAME)


def _missing_weights_error(path, pretrained):
    if pretrained == 'torchvision':
        where = (f'expected in torch\'s hub cache at {path} '
                 f'(torch.hub.get_dir()/checkpoints; TORCH_HOME moves it)')
    else:
        where = f'expected at {path} (pretrained={pretrained!r})'
    return FileNotFoundError(
        f'PerceptualLoss needs the ImageNet VGG19 weights {VGG19_FILENAME}, '
        f'{where}, and the file does not exist. srtoolbox never downloads: '
        f'on a machine with network, download {VGG19_URL} and copy it to '
        f'{torchvision_vgg19_path()}, or set the loss\'s config key '
        f'pretrained=\'/path/to/{VGG19_FILENAME}\'. (pretrained=None gives a '
        f'randomly initialised VGG, which is only good for tests.)')


def _weights_path(pretrained):
    """The existing file ``pretrained`` names, or a FileNotFoundError."""
    path = torchvision_vgg19_path() if pretrained == 'torchvision' else \
        os.fspath(pretrained)
    if not os.path.isfile(path):
        raise _missing_weights_error(path, pretrained)
    return path


def _load_vgg19_features(features, path):
    """Load torchvision-layout VGG19 weights into a (truncated) ``features``.

    Accepts torchvision's full state dict (``features.0.weight`` ...,
    ``classifier.*`` ignored) or a features-only one (``0.weight`` ...).
    Layers beyond the truncation are ignored.
    """
    state = torch.load(path, map_location='cpu', weights_only=True)
    if any(key.startswith('features.') for key in state):
        state = {key[len('features.'):]: value for key, value in state.items()
                 if key.startswith('features.')}
    wanted = features.state_dict().keys()
    missing = [key for key in wanted if key not in state]
    if missing:
        raise ValueError(
            f'{path} is not a torchvision VGG19 state dict: it lacks '
            f'{", ".join("features." + k for k in missing)}')
    features.load_state_dict({key: state[key] for key in wanted})


def _build_vgg19_features(num_layers, pretrained):
    """torchvision's VGG19 ``features[:num_layers]``, frozen, in eval mode."""
    path = None if pretrained is None else _weights_path(pretrained)
    # lazy: torchvision.models adds ~1 s to importing srtoolbox.models
    from torchvision.models.vgg import cfgs, make_layers

    # make_layers(cfgs['E']) is exactly what torchvision.models.vgg19 builds
    # as .features, without the 120M-parameter classifier we would drop.
    # Each cfg entry makes a conv + ReLU (a number) or a pool ('M'): build
    # only the entries needed, then cut.
    cfg, built = [], 0
    for entry in cfgs['E']:
        if built >= num_layers:
            break
        cfg.append(entry)
        built += 1 if entry == 'M' else 2
    features = make_layers(cfg, batch_norm=False)[:num_layers]
    for module in features:
        if isinstance(module, nn.ReLU):
            # in-place ReLUs would overwrite a conv output we keep (conv5_4)
            module.inplace = False
    if path is not None:
        _load_vgg19_features(features, path)
    features.requires_grad_(False)
    return features.eval()


@LOSSES.register_module()
class PerceptualLoss(nn.Module):
    """Distance between VGG19 feature maps of a prediction and its target.

    Args:
        layer_weights (dict[str, float]): VGG19 layers and their weights, by
            name: ``conv{b}_{c}`` (before the ReLU), ``relu{b}_{c}`` (after
            it) or ``pool{b}``; all names are in ``VGG19_LAYER_NAMES``.
            Default: ``{'relu5_4': 1.0}`` (SRGAN's phi_{5,4}); ESRGAN uses
            ``{'conv5_4': 1.0}``. The VGG is cut after the deepest one.
        loss_weight (float): factor on the whole loss. Default: 1.0.
        criterion (str): ``'mse'`` (SRGAN) or ``'l1'`` (ESRGAN), mean over
            all elements of each layer. Default: ``'mse'``.
        feature_scale (float): factor on every feature map before the
            distance; SRGAN uses 1/12.75. Default: 1.0.
        input_range (tuple): value range of the inputs, ``(0, 1)`` or
            ``(-1, 1)``; they are mapped to [0, 1] and then normalised with
            the ImageNet mean and std, as the VGG was trained. Default:
            ``(0, 1)``.
        pretrained (str | os.PathLike | None): the VGG19 weights: a path to
            a file in torchvision's ``vgg19-dcbb9e9d.pth`` layout;
            ``'torchvision'`` for that file in torch's hub cache
            (``torch.hub.get_dir()/checkpoints/vgg19-dcbb9e9d.pth``); or
            ``None`` for a random VGG (tests only). A missing file raises
            ``FileNotFoundError``; nothing is downloaded. Default:
            ``'torchvision'``.

    ``forward(pred, target)``: both ``(N, 3, H, W)`` in ``input_range``;
    returns a scalar, ``loss_weight * sum_l w_l * criterion(s*phi_l(pred),
    s*phi_l(target))``. Gradients flow to ``pred``; ``target`` is treated as
    a constant.
    """

    mean: Tensor  # buffers, registered in __init__
    std: Tensor

    def __init__(self, *, layer_weights: Optional[Dict[str, float]] = None,
                 loss_weight: float = 1.0, criterion: str = 'mse',
                 feature_scale: float = 1.0,
                 input_range: Tuple[int, ...] = (0, 1),
                 pretrained: str = 'torchvision') -> None:
        super().__init__()
        if layer_weights is None:
            layer_weights = {'relu5_4': 1.0}
        if not layer_weights:
            raise ValueError('PerceptualLoss: layer_weights is empty')
        for name in layer_weights:
            if name not in _LAYER_INDEX:
                close = difflib.get_close_matches(str(name),
                                                  VGG19_LAYER_NAMES, n=1)
                hint = f' Did you mean {close[0]!r}?' if close else ''
                raise ValueError(
                    f'PerceptualLoss: unknown VGG19 layer {name!r}; the '
                    f'layers are {", ".join(VGG19_LAYER_NAMES)}.{hint}')
        if criterion not in ('mse', 'l1'):
            raise ValueError(f"PerceptualLoss: criterion must be 'mse' or "
                             f"'l1', got {criterion!r}")
        input_range = tuple(input_range)
        if input_range not in ((0, 1), (-1, 1)):
            raise ValueError(f'PerceptualLoss: input_range must be (0, 1) or '
                             f'(-1, 1), got {input_range!r}')
        self.layer_weights = dict(layer_weights)
        self.loss_weight = loss_weight
        self.criterion = criterion
        self.feature_scale = feature_scale
        self.input_range = input_range
        num_layers = max(_LAYER_INDEX[name] for name in layer_weights) + 1
        # non-persistent buffers: they follow model.to() but stay out of
        # checkpoints
        self.register_buffer(
            'mean', torch.tensor(_IMAGENET_MEAN).view(1, 3, 1, 1),
            persistent=False)
        self.register_buffer(
            'std', torch.tensor(_IMAGENET_STD).view(1, 3, 1, 1),
            persistent=False)
        # A dict is not a Module, so the VGG stays unregistered (see the
        # module docstring); keyed by device, filled on first use there.
        vgg = _build_vgg19_features(num_layers, pretrained)
        self._vgg_by_device = {torch.device('cpu'): vgg}

    def vgg(self, device: Any = torch.device('cpu')) -> Any:
        """The frozen VGG19 features (truncated) on ``device``."""
        device = torch.device(device)
        vgg = self._vgg_by_device.get(device)
        if vgg is None:
            source = next(iter(self._vgg_by_device.values()))
            vgg = copy.deepcopy(source).to(device)
            self._vgg_by_device[device] = vgg
        return vgg

    def train(self, mode: bool = True) -> Any:
        """Switch this module's mode; the VGG stays in eval mode."""
        super().train(mode)
        for vgg in self._vgg_by_device.values():
            vgg.eval()
        return self

    def extract_features(self, x: Tensor) -> dict:
        """Scaled VGG19 features of ``x`` at the layers of ``layer_weights``.

        Args:
            x (Tensor): ``(N, 3, H, W)`` in ``input_range``.

        Returns:
            dict[str, Tensor]: layer name -> ``feature_scale * phi(x)``,
            e.g. ``relu2_2`` of a 32x32 input is ``(N, 128, 16, 16)``.
        """
        vgg = self.vgg(x.device)
        dtype = next(vgg.parameters()).dtype
        x = x.to(dtype)  # e.g. fp16 outputs meet fp32 weights outside autocast
        if self.input_range == (-1, 1):
            x = (x + 1) / 2
        x = (x - self.mean.to(x)) / self.std.to(x)
        wanted = {_LAYER_INDEX[name]: name for name in self.layer_weights}
        features = {}
        for index, layer in enumerate(vgg):
            x = layer(x)
            if index in wanted:
                features[wanted[index]] = x * self.feature_scale
        return features

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        """Weighted feature distance; see the class docstring."""
        pred_features = self.extract_features(pred)
        with torch.no_grad():
            target_features = self.extract_features(target)
        distance = F.mse_loss if self.criterion == 'mse' else F.l1_loss
        loss: Any = 0
        for name, weight in self.layer_weights.items():
            loss = loss + weight * distance(pred_features[name],
                                            target_features[name])
        return self.loss_weight * loss

    def extra_repr(self) -> Any:
        return (f'layer_weights={self.layer_weights}, criterion='
                f'{self.criterion!r}, feature_scale={self.feature_scale}, '
                f'input_range={self.input_range}, '
                f'loss_weight={self.loss_weight}')
