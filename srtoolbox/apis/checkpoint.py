"""Read generator weights from other toolboxes' checkpoints, safely.

Every file is read with ``torch.load(..., weights_only=True)``: tensors,
containers and plain numbers only, never arbitrary pickled code. A few
harmless types that mmengine's ``Runner`` writes into every checkpoint
(``message_hub`` log buffers, numpy arrays and scalars) are let through by
name; anything else is refused with the file and the offending type named.

Layouts understood by :func:`extract_generator_state_dict`:

* srtoolbox / mmengine / MMagic: ``{'state_dict': {'generator.<k>': ...,
  'generator_ema.<k>': ..., 'discriminator.<k>': ...}, 'meta': ...}``, with
  optional ``module.`` wrappers (DDP, mmengine's averaged models); MMagic's
  own generator names (``MSRResNet``: ``trunk_net.N``,
  ``upsample1.upsample_conv``; ``EDSRNet``: ``upsample.N.upsample_conv``)
  are mapped to srtoolbox's (BasicSR's), and MMagic's ``RRDBNet`` names are
  BasicSR's already;
* BasicSR: ``{'params': sd, 'params_ema': sd}``;
* the ESRGAN repository: old ``model.0.weight``, ``model.1.sub.0.RDB1...``
  keys and its later ``RRDB_trunk.0.RDB1...`` keys, mapped to ``RRDBNet``;
* a bare state dict.

Where MMagic's forward differs from BasicSR's, the weights come with the
generator **settings** they need (:func:`read_generator_weights`):
MMagic's ``MSRResNet`` has no LeakyReLU after its pixel shuffles
(``upsample_lrelu=False``), its ``EDSRNet`` works on [0, 1] images
(``img_range=1``). Converted files keep them in ``meta['generator_settings']``
and the loaders refuse a network built otherwise, naming the option.
"""
import os
import os.path as osp
import pickle
import re
from collections import OrderedDict
from typing import NamedTuple

import torch

from ..utils.fileio import atomic_path

__all__ = [
    'UnsafeCheckpointError', 'load_checkpoint_file', 'save_checkpoint_file',
    'detect_layout', 'extract_generator_state_dict', 'read_generator_weights',
    'GeneratorWeights', 'convert_checkpoint', 'state_dict_mismatches',
    'SOURCES', 'checkpoint_safe_globals'
]

# --from choices of convert_checkpoint -> layouts detect_layout may return
SOURCES = {
    'basicsr': ('basicsr', ),
    'esrgan-legacy': ('esrgan-legacy', 'esrgan'),
    'mmagic': ('mmengine', ),
}


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds pickled objects that ``weights_only`` refuses."""


def _history_buffer_getattr(obj, name):
    """The one ``getattr`` mmengine's pickled ``HistoryBuffer`` needs.

    A ``HistoryBuffer`` pickles its statistics methods as
    ``getattr(HistoryBuffer, 'mean')``; the real ``getattr`` would let a file
    reach any attribute, so only those lookups are allowed.
    """
    from mmengine.logging import HistoryBuffer
    # the class dict is filled only when a first buffer is created, so the
    # four built-in statistics are allowed by name
    allowed = {'min', 'max', 'mean', 'current'}
    allowed.update(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(obj, name)
    raise UnsafeCheckpointError(
        f'refusing getattr({obj!r}, {name!r}) while loading a checkpoint')


def checkpoint_safe_globals():
    """Types beyond tensors that may appear in a training checkpoint."""
    import numpy as np
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy < 2
        from numpy.core import multiarray
    allowed = [np.ndarray, np.dtype]
    allowed += [type(np.dtype(c)) for c in '?bBhHiIlLqQefdgFD']
    for name in ('_reconstruct', 'scalar'):
        # files written under numpy 1 and 2 name the module differently
        for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
            allowed.append((getattr(multiarray, name), f'{module}.{name}'))
    try:
        from mmengine.logging import HistoryBuffer
    except ImportError:
        return allowed
    allowed.append(HistoryBuffer)
    allowed.append((_history_buffer_getattr, 'builtins.getattr'))
    return allowed


def load_checkpoint_file(path):
    """Load a checkpoint on the CPU with ``weights_only=True``.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        UnsafeCheckpointError: the file holds pickled objects other than
            tensors, containers, numbers and the mmengine/numpy types above.
    """
    path = os.fspath(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint not found: {path}')
    try:
        with torch.serialization.safe_globals(checkpoint_safe_globals()):
            return torch.load(path, map_location='cpu', weights_only=True)
    except Exception as e:  # noqa: B902 (torch raises many kinds)
        refusal = _refusal(e)
        if refusal is None:
            raise RuntimeError(
                f'{path}: not a readable torch checkpoint '
                f'({type(e).__name__}: {_short(e)})') from e
        raise UnsafeCheckpointError(
            f'{path}: refused to load: it holds pickled objects that are not '
            'plain weights, and srtoolbox never unpickles arbitrary code '
            '(torch.load weights_only=True). If you trust the file, re-save '
            'just its tensors (e.g. its state dict) with torch.save. '
            f'Refused: {refusal}') from None


# what torch's weights-only unpickler says when it refuses a global
_REFUSALS = ('Unsupported global', 'Can only build', 'Can only create',
             'Trying to call reduce', 'refusing getattr')


def _refusal(err):
    """The refusal line of a weights-only error, or None if it is not one."""
    if not isinstance(err, pickle.UnpicklingError):
        return None
    for line in str(err).splitlines():
        if any(r in line for r in _REFUSALS):
            return line.replace('WeightsUnpickler error:', '').strip()
    return None


def _short(err, limit=300):
    text = ' '.join(str(err).split())
    # drop torch's advice to retry with weights_only=False
    _, found, rest = text.partition('WeightsUnpickler error:')
    text = rest.split(' Check the documentation')[0].strip() if found \
        else text
    return text if len(text) <= limit else text[:limit] + '...'


def save_checkpoint_file(obj, path, overwrite=False):
    """``torch.save`` to ``path`` atomically (temp file + ``os.replace``).

    Readers never see a half-written file: the data goes to a temporary file
    in the same folder first. Raises ``FileExistsError`` if ``path`` exists
    and ``overwrite`` is False.
    """
    path = os.fspath(path)
    if osp.exists(path) and not overwrite:
        raise FileExistsError(
            f'{path} exists; pass overwrite=True (--overwrite) to replace it')
    with atomic_path(path) as tmp:
        with open(tmp, 'xb') as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
    return path


def _is_state_dict(obj):
    return (isinstance(obj, dict) and len(obj) > 0
            and all(isinstance(k, str) for k in obj)
            and any(torch.is_tensor(v) for v in obj.values()))


def detect_layout(ckpt):
    """Name the layout of a loaded checkpoint.

    Returns one of ``'mmengine'`` (srtoolbox, mmengine, MMagic),
    ``'basicsr'``, ``'esrgan-legacy'`` (``model.N`` keys), ``'esrgan'``
    (``RRDB_trunk`` keys) or ``'state_dict'`` (a bare state dict).
    """
    if not isinstance(ckpt, dict):
        raise ValueError(
            f'a checkpoint must be a dict, got {type(ckpt).__name__}')
    if isinstance(ckpt.get('state_dict'), dict):
        return 'mmengine'
    if isinstance(ckpt.get('params_ema'), dict) or isinstance(
            ckpt.get('params'), dict):
        return 'basicsr'
    keys = [str(k) for k in ckpt]
    keys = [k[len('module.'):] if k.startswith('module.') else k
            for k in keys]
    if 'model.0.weight' in keys and any(
            k.startswith('model.1.sub.') for k in keys):
        return 'esrgan-legacy'
    if any(k.startswith('RRDB_trunk.') for k in keys):
        return 'esrgan'
    if _is_state_dict(ckpt):
        return 'state_dict'
    raise ValueError(
        'unrecognised checkpoint layout; top-level keys: '
        f'{sorted(map(str, ckpt))[:20]}')


# wrapper buffers of averaged models (mmengine BaseAveragedModel,
# torch.optim.swa_utils.AveragedModel) that sit beside 'module.<k>'
_AVERAGED_MODEL_BUFFERS = ('steps', 'n_averaged')


def _strip_module(sd):
    """Drop a ``module.`` prefix carried by every key (DDP, EMA wrappers)."""
    while True:
        keys = [k for k in sd if k not in _AVERAGED_MODEL_BUFFERS]
        if not keys or not all(k.startswith('module.') for k in keys):
            return sd
        sd = OrderedDict((k[len('module.'):], v) for k, v in sd.items()
                         if k.startswith('module.'))


def _with_prefix(sd, prefix):
    return OrderedDict(
        (k[len(prefix):], v) for k, v in sd.items() if k.startswith(prefix))


def _from_mmengine(ckpt, prefer_ema):
    sd = ckpt['state_dict']
    order = ('generator_ema.', 'generator.') if prefer_ema else (
        'generator.', 'generator_ema.')
    for prefix in order:
        part = _with_prefix(sd, prefix)
        if part:
            return _strip_module(part), f'state_dict/{prefix[:-1]}'
    return _strip_module(OrderedDict(sd)), 'state_dict'


def _from_basicsr(ckpt, prefer_ema):
    order = ('params_ema', 'params') if prefer_ema else ('params',
                                                         'params_ema')
    for key in order:
        if isinstance(ckpt.get(key), dict) and ckpt[key]:
            return _strip_module(OrderedDict(ckpt[key])), key
    raise ValueError('BasicSR checkpoint with empty params/params_ema')


_LEGACY_RDB = re.compile(
    r'^model\.1\.sub\.(\d+)\.RDB(\d)\.conv(\d)\.0\.(weight|bias)$')
_LEGACY_TOP = re.compile(r'^model\.(\d+)\.(weight|bias)$')
_LEGACY_TRUNK = re.compile(r'^model\.1\.sub\.(\d+)\.(weight|bias)$')


def _from_esrgan_legacy(sd):
    """Old ESRGAN ``model.N`` keys -> ``RRDBNet`` names.

    ``model.0`` is conv_first and ``model.1.sub.<B>`` (after the B RRDBs)
    conv_body; after them come the upsampling convs (``model.3``,
    ``model.6``, with nearest upsampling and LeakyReLU between), then
    conv_hr and conv_last (``model.8``, ``model.10`` at x4).
    """
    out = OrderedDict()
    top = {}
    for key, value in sd.items():
        m = _LEGACY_RDB.match(key)
        if m:
            block, rdb, conv, kind = m.groups()
            out[f'body.{block}.rdb{rdb}.conv{conv}.{kind}'] = value
            continue
        m = _LEGACY_TRUNK.match(key)
        if m:
            out[f'conv_body.{m.group(2)}'] = value
            continue
        m = _LEGACY_TOP.match(key)
        if m:
            top.setdefault(int(m.group(1)), {})[m.group(2)] = value
            continue
        raise ValueError(f'unexpected key in an ESRGAN checkpoint: {key!r}')
    if 0 not in top or len(top) < 4:
        raise ValueError(
            'ESRGAN checkpoint lacks model.0 or the upsampling/HR convs '
            f'(found model.{sorted(top)})')
    indices = sorted(top)
    names = ['conv_first']
    names += [f'conv_up{i + 1}' for i in range(len(indices) - 3)]
    names += ['conv_hr', 'conv_last']
    for index, name in zip(indices, names):
        weight = top[index].get('weight')
        if (name.startswith('conv_up') and weight is not None
                and weight.shape[0] != weight.shape[1]):
            raise ValueError(
                f'model.{index} maps {weight.shape[1]} to {weight.shape[0]} '
                'channels: a pixel-shuffle ESRGAN variant, which RRDBNet '
                '(nearest upsampling) cannot load')
        for kind, value in top[index].items():
            out[f'{name}.{kind}'] = value
    return out


_ESRGAN_RENAMES = (
    (re.compile(r'^RRDB_trunk\.(\d+)\.RDB(\d)\.'), r'body.\1.rdb\2.'),
    (re.compile(r'^trunk_conv\.'), 'conv_body.'),
    (re.compile(r'^upconv(\d)\.'), r'conv_up\1.'),
    (re.compile(r'^HRconv\.'), 'conv_hr.'),
)


def _from_esrgan(sd):
    """ESRGAN repository's ``RRDBNet_arch`` names -> ``RRDBNet`` names."""
    out = OrderedDict()
    for key, value in sd.items():
        for pattern, repl in _ESRGAN_RENAMES:
            key = pattern.sub(repl, key)
        out[key] = value
    return out


_MMAGIC_MSRRESNET = (
    (re.compile(r'^trunk_net\.'), 'body.'),
    (re.compile(r'^upsample(\d)\.upsample_conv\.'), r'upconv\1.'),
)
_MMAGIC_EDSR = re.compile(r'^upsample\.(\d+)\.upsample_conv\.(weight|bias)$')


def _from_mmagic_names(sd):
    """MMagic's generator names -> srtoolbox's, and the settings they need.

    From mmagic/models/editors/srgan/sr_resnet.py (``MSRResNet``:
    ``trunk_net.N.conv1``, ``upsample1.upsample_conv`` for the pixel-shuffle
    conv, no activation after the shuffle) and edsr/edsr_net.py
    (``EDSRNet``: ``upsample.N.upsample_conv``, mean subtracted on [0, 1]
    images). Other state dicts are returned unchanged with no settings.
    """
    if 'trunk_net.0.conv1.weight' in sd:
        out = OrderedDict()
        for key, value in sd.items():
            for pattern, repl in _MMAGIC_MSRRESNET:
                key = pattern.sub(repl, key)
            out[key] = value
        return out, {'upsample_lrelu': False}
    if 'upsample.0.upsample_conv.weight' in sd:
        out = OrderedDict()
        for key, value in sd.items():
            m = _MMAGIC_EDSR.match(key)
            # a PixelShufflePack N is conv 2N, shuffle 2N+1 in BasicSR's
            # nn.Sequential upsampler
            out[f'upsample.{2 * int(m.group(1))}.{m.group(2)}'
                if m else key] = value
        return out, {'img_range': 1.0}
    return sd, {}


def _extract(ckpt, prefer_ema=True):
    """(state dict, layout, where in the file it came from, settings)."""
    layout = detect_layout(ckpt)
    settings = {}
    if layout == 'mmengine':
        sd, origin = _from_mmengine(ckpt, prefer_ema)
        meta = ckpt.get('meta')
        if isinstance(meta, dict) and isinstance(
                meta.get('generator_settings'), dict):
            settings.update(meta['generator_settings'])
    elif layout == 'basicsr':
        sd, origin = _from_basicsr(ckpt, prefer_ema)
    else:
        sd, origin = _strip_module(OrderedDict(ckpt)), 'top level'
    # a converted ESRGAN file can sit inside any of the wrappers above
    inner = detect_layout(sd) if _is_state_dict(sd) else 'state_dict'
    if inner == 'esrgan-legacy':
        sd = _from_esrgan_legacy(sd)
    elif inner == 'esrgan':
        sd = _from_esrgan(sd)
    sd, needed = _from_mmagic_names(sd)
    settings.update(needed)
    if layout == 'state_dict':
        layout = inner
    if not _is_state_dict(sd):
        raise ValueError(f'no tensors found in the {origin} of the checkpoint')
    return sd, layout, origin, settings


def extract_generator_state_dict(ckpt, prefer_ema=True):
    """The generator's state dict from a checkpoint of any known layout.

    Args:
        ckpt (dict): a loaded checkpoint (see :func:`load_checkpoint_file`).
        prefer_ema (bool): take the EMA weights (``generator_ema``,
            ``params_ema``) when the file has them. Default: True.

    Returns:
        OrderedDict: parameter name -> tensor, names as the srtoolbox
        generator expects (no ``generator.``/``module.`` prefixes; ESRGAN
        and MMagic names mapped to srtoolbox's).

    The generator settings some layouts need (MMagic's MSRResNet and
    EDSRNet) are not returned here: to load weights into a network, use
    :func:`read_generator_weights` with
    :func:`srtoolbox.apis.load_generator_weights`, which checks them.
    """
    return _extract(ckpt, prefer_ema)[0]


class GeneratorWeights(NamedTuple):
    """A generator's weights as :func:`read_generator_weights` found them.

    ``settings``: constructor arguments of the generator these weights need
    beyond their names and shapes (e.g. ``{'upsample_lrelu': False}`` for
    MMagic's MSRResNet), ``{}`` when the defaults fit.
    ``source`` names the file, ``origin`` where in it the weights were
    (``state_dict/generator_ema``, ``params``, ...).
    """
    state_dict: OrderedDict
    settings: dict
    source: str
    origin: str = ''


def read_generator_weights(path, prefer_ema=True):
    """Load ``path`` safely and take its generator: :class:`GeneratorWeights`.

    Give the result to :func:`srtoolbox.apis.load_generator_weights`, which
    checks names, shapes and the settings.
    """
    sd, _, origin, settings = _extract(load_checkpoint_file(path),
                                       prefer_ema)
    return GeneratorWeights(sd, settings, os.fspath(path), origin)


def state_dict_mismatches(sd_a, sd_b):
    """How two state dicts differ: ``(keys only in A, keys only in B,
    [(key, shape in A, shape in B), ...])`` for tensors of unequal shape."""
    only_a = [k for k in sd_a if k not in sd_b]
    only_b = [k for k in sd_b if k not in sd_a]
    shapes = [(k, tuple(sd_a[k].shape), tuple(sd_b[k].shape))
              for k in sd_a if k in sd_b and torch.is_tensor(sd_a[k])
              and torch.is_tensor(sd_b[k]) and sd_a[k].shape != sd_b[k].shape]
    return only_a, only_b, shapes


def make_checkpoint(state_dict, meta, settings=None):
    """A srtoolbox checkpoint: ``{'state_dict': {'generator.<k>'}, 'meta'}``.

    ``srtoolbox``'s training wrappers hold the network as ``generator``, so
    the file resumes or tests like one written by training. ``settings``
    (see :class:`GeneratorWeights`) go to ``meta['generator_settings']``.
    """
    meta = dict(meta)
    if settings:
        meta['generator_settings'] = dict(settings)
    return {
        'state_dict': OrderedDict(
            (f'generator.{k}', v) for k, v in state_dict.items()),
        'meta': meta,
    }


def convert_checkpoint(in_path, out_path, source, overwrite=False,
                       prefer_ema=True):
    """Convert another toolbox's checkpoint into a srtoolbox one.

    Args:
        in_path (str): checkpoint to read (``weights_only``).
        out_path (str): where to write; written atomically.
        source (str): ``'basicsr'``, ``'esrgan-legacy'`` (the ESRGAN
            repository, old ``model.N`` or later ``RRDB_trunk`` names) or
            ``'mmagic'``. The file must have that layout.
        overwrite (bool): replace an existing ``out_path``. Default: False.
        prefer_ema (bool): take EMA weights when present. Default: True.

    Returns:
        str: ``out_path``.
    """
    if source not in SOURCES:
        raise ValueError(
            f'source must be one of {sorted(SOURCES)}, got {source!r}')
    out_path = os.fspath(out_path)
    if osp.exists(out_path) and not overwrite:  # fail before reading
        raise FileExistsError(
            f'{out_path} exists; pass overwrite=True (--overwrite) to '
            'replace it')
    ckpt = load_checkpoint_file(in_path)
    sd, layout, origin, settings = _extract(ckpt, prefer_ema)
    if layout not in SOURCES[source]:
        raise ValueError(
            f'{in_path} does not look like a {source} checkpoint '
            f'(detected layout: {layout})')
    meta = {
        'converted_from': osp.abspath(os.fspath(in_path)),
        'source': source,
        'weights': origin,
    }
    return save_checkpoint_file(make_checkpoint(sd, meta, settings),
                                out_path, overwrite=overwrite)
