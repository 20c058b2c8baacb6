"""spandrel's super-resolution networks as srtoolbox generators.

spandrel (MIT; https://github.com/chaiNNer-org/spandrel) carries the
reference code of the community's SR architectures (SwinIR, HAT, DAT, SPAN,
the Real-ESRGAN compact network, OmniSR, PLKSR, ...) and detects them from
state dicts. Each SR architecture is registered here under its class name
(``type='SwinIR'``), or with a ``Spandrel`` prefix where srtoolbox has a
network of that name (``type='SpandrelRCAN'``: the EDSR-PyTorch layout;
srtoolbox's ``RCAN`` uses BasicSR's names). The config takes the
architecture's own keyword arguments, plus ``upscale`` for whatever the
architecture calls its scale (``up_scale``, ``upscaling_factor``,
``scale``, ``upscale_factor``)::

    generator=dict(type='SwinIR', upscale=4, embed_dim=60, depths=[6] * 4,
                   num_heads=[6] * 4, window_size=8, upsampler='pixelshuffledirect')

The built network is spandrel's own class (its state dict is the
architecture's reference layout, so released weights load unchanged) with
srtoolbox's attributes added: ``upscale`` (int), ``spandrel_arch`` (the
architecture id), ``generator_type`` (the registered name) and
``size_divisor`` (input sides must be a multiple of it; 1 when the network
pads for itself). spandrel itself is imported on the first build only.

Input ``(N, C, H, W)`` in [0, 1]; output ``(N, C, s*H, s*W)``.
"""
import importlib
import inspect
from typing import Any, Optional

import torch

from ...registry import GENERATORS

__all__ = ['SPANDREL_SR_ARCHS', 'SPANDREL_NOT_REGISTERED',
           'spandrel_class', 'adopt_spandrel_network', 'registered_name']

# registered name -> (spandrel architecture id, class in its module, the
# keyword that sets the scale or an int for a fixed scale, size divisor).
# Size divisors are spandrel's SizeRequirements.multiple_of where the
# network does not pad its input itself (a str: the keyword that sets it).
SPANDREL_SR_ARCHS = {
    'ATD': ('ATD', 'ATD', 'upscale', 1),
    'CRAFT': ('CRAFT', 'CRAFT', 'upscale', 16),
    'Compact': ('Compact', 'Compact', 'upscale', 1),
    'DAT': ('DAT', 'DAT', 'upscale', 1),
    'DCTLSA': ('DCTLSA', 'DCTLSA', 'upscale', 1),
    'DITN': ('DITN', 'DITN', 'upscale', 'patch_size'),
    'DRCT': ('DRCT', 'DRCT', 'upscale', 16),
    'ESRGAN': ('ESRGAN', 'ESRGAN', 'scale', 1),
    'FDAT': ('FDAT', 'FDAT', 'scale', 1),
    'GRL': ('GRL', 'GRL', 'upscale', 1),
    'HAT': ('HAT', 'HAT', 'upscale', 1),
    'MoSR': ('MoSR', 'MoSR', 'upscale', 1),
    'OmniSR': ('OmniSR', 'OmniSR', 'up_scale', 1),
    'PLKSR': ('PLKSR', 'PLKSR', 'upscaling_factor', 1),
    'RealPLKSR': ('PLKSR', 'RealPLKSR', 'upscaling_factor', 1),
    'SpandrelRCAN': ('RCAN', 'RCAN', 'scale', 1),
    'RGT': ('RGT', 'RGT', 'upscale', 1),
    'UpCunet2x': ('RealCUGAN', 'UpCunet2x', 2, 1),
    'UpCunet3x': ('RealCUGAN', 'UpCunet3x', 3, 1),
    'UpCunet4x': ('RealCUGAN', 'UpCunet4x', 4, 1),
    'UpCunet2x_fast': ('RealCUGAN', 'UpCunet2x_fast', 2, 4),
    'SAFMN': ('SAFMN', 'SAFMN', 'upscaling_factor', 8),
    'SeemoRe': ('SeemoRe', 'SeemoRe', 'scale', 1),
    'SPAN': ('SPAN', 'SPAN', 'upscale', 1),
    'SwiftSRGAN': ('SwiftSRGAN', 'SwiftSRGAN', 'upscale_factor', 1),
    'Swin2SR': ('Swin2SR', 'Swin2SR', 'upscale', 1),
    'SwinIR': ('SwinIR', 'SwinIR', 'upscale', 1),
}

# spandrel architectures that are not registered, and why. Detection of
# their files still names them (see srtoolbox.models.weights.detect).
SPANDREL_NOT_REGISTERED = {
    'AuraSR': 'a GigaGAN upsampler (~600M parameters) spandrel loads for '
              'inference only',
    'IPT': 'a multi-task pre-trained transformer over a list of scales',
    'MoESR': 'its `upscale` attribute is its upsampler module, so it '
             'cannot carry srtoolbox\'s integer `upscale`',
    'MMRealSR': 'its forward returns (image, degradation degrees), which '
                'needs its own training losses',
    'SAFMNBCIE': 'a compressed-image enhancer (spandrel: restoration)',
    'GFPGAN': 'a face restorer',
    'RestoreFormer': 'a face restorer',
    'LaMa': 'an inpainting network',
    'SCUNet': 'a denoiser (scale 1)',
    'FBCNN': 'a JPEG artefact remover (scale 1)',
    'Uformer': 'a denoiser/deblurrer (scale 1)',
    'KBNet': 'a denoiser/deblurrer (scale 1)',
    'DRUNet': 'a denoiser (scale 1)',
    'DnCNN': 'a denoiser (scale 1)',
    'NAFNet': 'a denoiser/deblurrer (scale 1)',
    'FFTformer': 'a deblurrer (scale 1)',
    'MixDehazeNet': 'a dehazer (scale 1)',
    'RetinexFormer': 'a low-light enhancer (scale 1)',
    'HVICIDNet': 'a low-light enhancer (scale 1)',
}


def _import_spandrel():
    """The ``spandrel`` package, imported on first use: the one place
    srtoolbox imports it."""
    try:
        # lazy: spandrel adds ~1 s to importing srtoolbox.models, and only
        # spandrel networks and weight detection need it
        import spandrel
    except ImportError as err:  # pragma: no cover (install_requires)
        raise ImportError('spandrel networks need the spandrel package: '
                          'pip install spandrel') from err
    return spandrel


def spandrel_class(arch_id: Any, class_name: str) -> Any:
    """The network class ``class_name`` of spandrel's ``arch_id``."""
    _import_spandrel()
    module = importlib.import_module(f'spandrel.architectures.{arch_id}')
    return getattr(module, class_name)


# architectures whose forward scales its input in place (``x *= range``):
# the caller's tensor (a batch, an image array shared with numpy) would change
_MUTATE_INPUT = frozenset({'RCAN'})


def _clone_input(module, args):
    return (args[0].clone(), ) + tuple(args[1:])


def _tensors_as_buffers(net):
    """Plain tensor attributes (SwinIR's and HAT's ``mean``, reassigned
    with ``type_as(x)`` in forward) become non-persistent buffers: they move
    with ``.to()`` and are swapped by ``functional_call`` (FLOP counting on
    the meta device) instead of being overwritten for good; the state dict
    is unchanged."""
    for module in net.modules():
        for name, value in list(vars(module).items()):
            if torch.is_tensor(value) and not name.startswith('_'):
                del module.__dict__[name]
                module.register_buffer(name, value, persistent=False)


def adopt_spandrel_network(net: Any, scale: int, arch_id: Any,
                           generator_type: Optional[Any] = None,
                           size_divisor: int = 1) -> Any:
    """Give a spandrel network srtoolbox's attributes (in place).

    Raises:
        TypeError: the network uses the name ``upscale`` for something
            else than its scale (a submodule).
    """
    current = getattr(net, 'upscale', None)
    if current is not None and not isinstance(current, int):
        raise TypeError(
            f'{type(net).__name__} (spandrel {arch_id}) keeps a '
            f'{type(current).__name__} in `upscale`, so it cannot carry '
            "srtoolbox's integer `upscale`; it is not supported")
    if current is None or current != scale:
        net.upscale = int(scale)
    net.spandrel_arch = arch_id
    net.generator_type = generator_type or registered_name(
        arch_id, type(net)) or type(net).__name__
    net.size_divisor = int(size_divisor)
    _tensors_as_buffers(net)
    if arch_id in _MUTATE_INPUT:
        net.register_forward_pre_hook(_clone_input)
    return net


def registered_name(arch_id: Any, cls) -> Any:
    """The srtoolbox name of spandrel's network class ``cls`` of
    ``arch_id`` (class names differ from module names: spandrel's
    ``Compact`` is class ``SRVGGNetCompact``), or None."""
    for name, (arch, class_name, _, _) in SPANDREL_SR_ARCHS.items():
        if arch == arch_id and spandrel_class(arch, class_name) is cls:
            return name
    return None


def _default(cls, keyword):
    sig = inspect.signature(cls.__init__)
    param = sig.parameters.get(keyword)
    return None if param is None else param.default


def _make_builder(name, arch_id, class_name, scale_kw, size_divisor):

    def build(**kwargs):
        cls = spandrel_class(arch_id, class_name)
        if isinstance(scale_kw, int):  # fixed-scale class
            scale = kwargs.pop('upscale', scale_kw)
            if scale != scale_kw:
                raise ValueError(f'{name} supports upscale in [{scale_kw}], '
                                 f'got {scale!r}')
        else:
            if 'upscale' in kwargs and scale_kw != 'upscale':
                scale = kwargs.pop('upscale')
                if scale_kw in kwargs and kwargs[scale_kw] != scale:
                    raise ValueError(
                        f'{name}: upscale={scale!r} and {scale_kw}='
                        f'{kwargs[scale_kw]!r} disagree; give one of them')
                kwargs[scale_kw] = scale
            scale = kwargs.get(scale_kw, _default(cls, scale_kw))
            if not isinstance(scale, int) or scale < 1:
                raise ValueError(f'{name} needs an integer upscale >= 1, '
                                 f'got {scale!r}')
        net = cls(**kwargs)
        divisor = size_divisor if isinstance(size_divisor, int) else \
            kwargs.get(size_divisor, _default(cls, size_divisor))
        return adopt_spandrel_network(net, scale, arch_id, name, divisor)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = (f"spandrel's {class_name} ({arch_id}) with srtoolbox's "
                     '`upscale`; keyword arguments as spandrel\'s class'
                     + (f' (upscale maps to {scale_kw})'
                        if isinstance(scale_kw, str) and scale_kw != 'upscale'
                        else '') + '.')
    build.spandrel_arch = arch_id
    build.spandrel_class = class_name
    build.scale_keyword = scale_kw
    return build


def _register_all():
    for name, (arch_id, class_name, scale_kw,
               divisor) in SPANDREL_SR_ARCHS.items():
        GENERATORS.register_module(
            name=name,
            module=_make_builder(name, arch_id, class_name, scale_kw,
                                 divisor))


_register_all()
