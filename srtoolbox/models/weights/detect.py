"""Load a generator from a weights file alone: detect, then load.

    det = load_generator_from_file('4x-SPANkendata.safetensors')
    det.network          # ready network, weights loaded, eval mode
    print(det.describe())  # architecture, scale, keyword arguments, how

In this order:

1. srtoolbox's own record: ``meta['generator_cfg']`` of a srtoolbox
   checkpoint, or the ``generator_cfg`` metadata of a srtoolbox
   ``.safetensors`` (:mod:`.safetensors_io`);
2. srtoolbox's networks recognised by their names and shapes: the authors'
   EDSR/RCAN/MSRN releases (:mod:`.edsr_pytorch`), BasicSR-named EDSR,
   RCAN, MSRResNet, RRDBNet, MMagic's MSRResNet;
3. spandrel's architecture detection (SwinIR, HAT, DAT, SPAN, Compact,
   ESRGAN, ...), given only the state dict.

Files are read by srtoolbox (``torch.load(weights_only=True)`` or
safetensors), never by spandrel's ``ModelLoader``, so loading never
unpickles code. The usual wrappers are taken off first: ``params_ema`` /
``params`` (BasicSR), ``state_dict`` with ``generator_ema.`` /
``generator.`` (srtoolbox, MMagic), ``model``, ``net``, ``module.``,
``netG.``.
"""
import json
import os
import re
from collections import OrderedDict
from typing import Any, NamedTuple

from torch import nn

from ...utils.checkpoint_io import load_checkpoint_file
from ..builder import build_generator
from .edsr_pytorch import (convert_edsr_pytorch, detect_edsr_pytorch,
                           upsampler_scale)
from .layouts import (_from_mmagic_names, _strip_module, detect_layout,
                      extract_weights, is_state_dict)
from .loading import (GeneratorWeights, WeightsMismatchError,
                      check_finite_weights, load_generator_weights,
                      resolve_checkpoint)
from .safetensors_io import (decode_generator_cfg, is_safetensors,
                             read_safetensors)
from ..generators.spandrel_archs import (SPANDREL_SR_ARCHS,
                                         _import_spandrel,
                                         adopt_spandrel_network,
                                         registered_name)

__all__ = ['DetectedGenerator', 'UnknownArchitectureError',
           'NotSuperResolutionError', 'load_generator_from_file',
           'detect_generator', 'unwrap_state_dict']


class UnknownArchitectureError(ValueError):
    """No known architecture matches a state dict."""


class NotSuperResolutionError(ValueError):
    """The weights are of a network that does not upscale (a denoiser, a
    face restorer, an inpainter)."""


class DetectedGenerator(NamedTuple):
    """A network built and loaded from a weights file alone.

    ``generator_cfg``: ``type`` + keyword arguments (a config's
    ``model.generator``); ``how``: which rule recognised it;
    ``output_range``: the network's output range (``gt_range``).
    """
    network: nn.Module
    generator_cfg: dict
    how: str
    source: str
    origin: str
    output_range: tuple = (0.0, 1.0)

    @property
    def scale(self) -> Any:
        return self.network.upscale

    def describe(self) -> Any:
        cfg = dict(self.generator_cfg)
        name = cfg.pop('type')
        args = ', '.join(f'{k}={v!r}' for k, v in cfg.items())
        return (f'{self.source}: {name} x{self.scale} ({self.how}; '
                f'weights: {self.origin})\n  generator=dict(type={name!r}, '
                f'{args})')


# ----------------------------------------------------------- unwrapping
_WRAPPERS = ('params_ema', 'params-ema', 'params', 'model_state_dict',
             'model', 'net', 'state_dict')


def unwrap_state_dict(ckpt: Any, prefer_ema: bool = True) -> Any:
    """(state dict, where it was) from a loaded checkpoint of any wrapper."""
    if not isinstance(ckpt, dict):
        raise ValueError(
            f'a checkpoint must be a dict, got {type(ckpt).__name__}')
    layout = detect_layout(ckpt) if ckpt else 'state_dict'
    if layout in ('mmengine', 'basicsr'):
        # MMagic's names stay: detection maps them with the settings they
        # imply (no LeakyReLU after MMagic's MSRResNet shuffles)
        sd, _, origin, _ = extract_weights(ckpt, prefer_ema,
                                           mmagic_names=False)
        return _strip_prefixes(sd), origin
    for key in _WRAPPERS:
        if isinstance(ckpt.get(key), dict) and is_state_dict(ckpt[key]):
            return _strip_prefixes(ckpt[key]), key
    if len(ckpt) == 1 and isinstance(next(iter(ckpt.values())), dict):
        key, value = next(iter(ckpt.items()))
        return _strip_prefixes(value), str(key)
    return _strip_prefixes(ckpt), 'top level'


def _strip_prefixes(sd):
    sd = _strip_module(OrderedDict(sd))
    if sd and all(k.startswith('netG.') for k in sd):
        sd = OrderedDict((k[5:], v) for k, v in sd.items())
    return sd


# ----------------------------------------- srtoolbox's own architectures
def _count(sd, pattern):
    found = {int(m.group(1)) for k in sd for m in [re.match(pattern, k)] if m}
    return max(found) + 1 if found else 0


def _channels(sd, first, last):
    return dict(in_channels=sd[first].shape[1], out_channels=sd[last].shape[0])


def _basicsr_edsr(sd):
    nf = sd['conv_first.weight'].shape[0]
    return dict(type='EDSR', num_feat=nf,
                num_blocks=_count(sd, r'^body\.(\d+)\.conv1\.weight$'),
                upscale=upsampler_scale(sd, 'upsample', nf),
                res_scale=0.1 if nf >= 256 else 1.0,
                **_channels(sd, 'conv_first.weight', 'conv_last.weight'))


def _basicsr_rcan(sd):
    nf = sd['conv_first.weight'].shape[0]
    squeeze = sd['body.0.residual_group.0.rcab.3.attention.1.weight'].shape[0]
    return dict(type='RCAN', num_feat=nf,
                num_groups=_count(sd, r'^body\.(\d+)\.conv\.weight$'),
                num_blocks=_count(
                    sd, r'^body\.0\.residual_group\.(\d+)\.rcab\.0\.weight$'),
                squeeze_factor=nf // squeeze,
                upscale=upsampler_scale(sd, 'upsample', nf),
                **_channels(sd, 'conv_first.weight', 'conv_last.weight'))


def _msrresnet(sd):
    # upconv1 (x2, x3: one shuffle by 2 or 3) or upconv1 + upconv2 (x4);
    # numbered from 1, so the count of convs, not the highest index + 1
    nf = sd['conv_first.weight'].shape[0]
    scale = 3 if sd['upconv1.weight'].shape[0] == 9 * nf else \
        4 if 'upconv2.weight' in sd else 2
    return dict(type='MSRResNet', num_feat=nf,
                num_blocks=_count(sd, r'^body\.(\d+)\.conv1\.weight$'),
                upscale=scale,
                **_channels(sd, 'conv_first.weight', 'conv_last.weight'))


def _rrdbnet(sd):
    first, last = sd['conv_first.weight'], sd['conv_last.weight']
    out_ch = last.shape[0]
    if 'conv_up3.weight' in sd:
        scale = 8
    else:  # x2 / x1 pixel-unshuffle the input by 2 / 4
        scale = {4: 2, 16: 1}.get(first.shape[1] // out_ch, 4)
    factor = {2: 4, 1: 16}.get(scale, 1)
    return dict(type='RRDBNet', num_feat=first.shape[0],
                num_blocks=_count(sd, r'^body\.(\d+)\.rdb1\.conv1\.weight$'),
                num_grow_ch=sd['body.0.rdb1.conv1.weight'].shape[0],
                upscale=scale, in_channels=first.shape[1] // factor,
                out_channels=out_ch)


# (keys that must all be present, generator config from the state dict)
_OWN = (
    (('body.0.residual_group.0.rcab.0.weight', 'conv_after_body.weight'),
     _basicsr_rcan),
    (('body.0.conv1.weight', 'conv_after_body.weight', 'upsample.0.weight'),
     _basicsr_edsr),
    (('body.0.conv1.weight', 'upconv1.weight', 'conv_hr.weight'),
     _msrresnet),
    (('body.0.rdb1.conv1.weight', 'conv_up1.weight', 'conv_hr.weight'),
     _rrdbnet),
)


def _detect_own(sd):
    """(generator cfg, state dict in srtoolbox names, how) or None."""
    kind = detect_edsr_pytorch(sd)
    if kind is not None:
        out, cfg = convert_edsr_pytorch(sd)
        return cfg, out, f'authors\' {kind} release (EDSR-PyTorch layout)'
    sd, settings = _from_mmagic_names(sd)
    for keys, infer in _OWN:
        if all(k in sd for k in keys):
            cfg = infer(sd)
            cfg.update(settings)
            return cfg, sd, 'srtoolbox/BasicSR layout' + (
                ' (MMagic names)' if settings else '')
    return None


# ------------------------------------------------------------- spandrel
def _spandrel_network(sd, source):
    spandrel = _import_spandrel()
    sd = dict(sd)  # spandrel's loaders may add keys
    for support in spandrel.MAIN_REGISTRY.architectures('detection'):
        if not support.detect(sd):
            continue
        arch = support.architecture
        try:
            desc = arch.load(sd)
        except RuntimeError as err:  # detected, but a tensor does not fit
            raise WeightsMismatchError(
                f"{source}: detected as spandrel's {arch.name}, but the "
                f'weights do not fit the network they describe: '
                f'{_size_mismatches(err)}') from err
        if not isinstance(desc, spandrel.ImageModelDescriptor) or \
                desc.purpose != 'SR':
            raise NotSuperResolutionError(
                f'{source}: detected spandrel\'s {arch.id} as a '
                f'{desc.purpose} network at scale {desc.scale}, not a '
                'super-resolution network; srtoolbox runs networks that '
                'upscale')
        net = desc.model
        name = registered_name(arch.id, type(net))
        divisor = SPANDREL_SR_ARCHS[name][3] if name else 1
        if not isinstance(divisor, int):
            divisor = net.hyperparameters.get(divisor, 1)
        multiple = getattr(desc.size_requirements, 'multiple_of', 1) or 1
        adopt_spandrel_network(net, desc.scale, arch.id, name,
                               max(int(divisor), 1) if name else multiple)
        cfg = dict(type=name or type(net).__name__,
                   **dict(getattr(net, 'hyperparameters', {})))
        return net, cfg, f"spandrel's {arch.name} detection"
    return None


def _size_mismatches(err):
    """torch's load_state_dict error as one line, each problem once."""
    lines = [line.strip() for line in str(err).splitlines()[1:]
             if line.strip()] or [str(err).strip()]
    return '; '.join(dict.fromkeys(lines))


def _tried():
    try:
        spandrel = _import_spandrel()
    except ImportError:  # pragma: no cover
        return []
    return [s.architecture.id for s in spandrel.MAIN_REGISTRY.architectures(
        'detection')]


def detect_generator(sd: Any, source: str = 'state dict') -> tuple:
    """A network (weights loaded) for a bare generator state dict.

    Returns:
        tuple: ``(network, generator_cfg, how)``.

    Raises:
        UnknownArchitectureError: nothing matches; the message lists the
            architectures tried and the first keys.
        NotSuperResolutionError: a denoiser, face restorer, inpainter.
        NonFiniteWeightsError: a tensor holds NaN/Inf values (named).
    """
    # before any detection: spandrel's loaders take NaN weights silently
    check_finite_weights(sd, source)
    own = _detect_own(sd)
    if own is not None:
        cfg, converted, how = own
        net = build_generator(cfg)
        load_generator_weights(net, converted, source)
        return net, cfg, how
    found = _spandrel_network(sd, source)
    if found is not None:
        return found
    keys = ', '.join(f'{k} {tuple(getattr(v, "shape", ()))}'
                     for k, v in list(sd.items())[:10])
    raise UnknownArchitectureError(
        f'{source}: no known architecture matches these weights. Tried '
        'srtoolbox metadata (meta.generator_cfg / safetensors '
        'generator_cfg), the EDSR-PyTorch layouts (EDSR, RCAN, MSRN), '
        'srtoolbox/BasicSR EDSR, RCAN, MSRResNet, RRDBNet, and spandrel: '
        f'{", ".join(_tried())}. First keys ({len(sd)} in all): {keys}. '
        'Give a config (--config) whose model.generator fits them.')


# ---------------------------------------------------------------- files
def _build_recorded(cfg, sd, settings, source):
    cfg = dict(cfg)
    net = build_generator(cfg)
    load_generator_weights(net, GeneratorWeights(sd, settings or {}, source))
    return net, cfg


def load_generator_from_file(path: str, prefer_ema: bool = True) -> Any:
    """Build and load the generator of a weights file that has no config.

    Args:
        path (str): ``.pth``/``.pt``/``.ckpt`` (read ``weights_only``) or
            ``.safetensors``; or an mmengine work dir.
        prefer_ema (bool): take EMA weights when the file has them.

    Returns:
        DetectedGenerator: the network in eval mode.
    """
    path = resolve_checkpoint(path)
    source = os.fspath(path)
    output_range = (0.0, 1.0)
    if is_safetensors(path):
        sd, meta = read_safetensors(path)
        if meta.get('generator_cfg'):
            cfg = decode_generator_cfg(meta['generator_cfg'], source)
            settings = json.loads(meta.get('generator_settings') or '{}')
            if meta.get('value_range'):
                output_range = tuple(json.loads(meta['value_range']))
            net, cfg = _build_recorded(cfg, sd, settings, source)
            return DetectedGenerator(net.eval(), cfg,
                                     'srtoolbox safetensors metadata',
                                     source, 'safetensors', output_range)
        sd, origin = unwrap_state_dict(sd, prefer_ema)
    else:
        ckpt = load_checkpoint_file(path)
        meta = ckpt.get('meta') if isinstance(ckpt, dict) else None
        if isinstance(meta, dict) and isinstance(
                meta.get('generator_cfg'), dict):
            sd, _, origin, settings = extract_weights(ckpt, prefer_ema)
            if meta.get('gt_range'):
                low, high = (float(v) for v in meta['gt_range'])
                output_range = (low, high)
            net, cfg = _build_recorded(meta['generator_cfg'], sd, settings,
                                       source)
            return DetectedGenerator(net.eval(), cfg,
                                     'srtoolbox checkpoint metadata',
                                     source, origin, output_range)
        sd, origin = unwrap_state_dict(ckpt, prefer_ema)
    if not is_state_dict(sd):
        raise UnknownArchitectureError(
            f'{source}: no tensors found in the {origin} of the file')
    net, cfg, how = detect_generator(sd, source)
    return DetectedGenerator(net.eval(), cfg, how, source, origin,
                             output_range)
