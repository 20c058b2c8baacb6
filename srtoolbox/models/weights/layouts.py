"""Checkpoint layouts of other toolboxes, mapped to srtoolbox's names.

Layouts understood by :func:`extract_weights`:

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
generator **settings** they need: MMagic's ``MSRResNet`` has no LeakyReLU
after its pixel shuffles (``upsample_lrelu=False``), its ``EDSRNet`` works on
[0, 1] images (``img_range=1``).
"""
import re
from collections import OrderedDict

import torch

__all__ = ['detect_layout', 'extract_weights', 'extract_generator_state_dict',
           'is_state_dict', 'SOURCES']

# --from choices of convert_checkpoint -> layouts detect_layout may return
SOURCES = {
    'basicsr': ('basicsr', ),
    'esrgan-legacy': ('esrgan-legacy', 'esrgan'),
    'mmagic': ('mmengine', ),
}


def is_state_dict(obj):
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
    if is_state_dict(ckpt):
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


def extract_weights(ckpt, prefer_ema=True, mmagic_names=True):
    """(state dict, layout, where in the file it came from, settings).

    ``mmagic_names=False`` leaves MMagic's names for the caller, which then
    also needs the settings they imply (architecture detection does)."""
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
    inner = detect_layout(sd) if is_state_dict(sd) else 'state_dict'
    if inner == 'esrgan-legacy':
        sd = _from_esrgan_legacy(sd)
    elif inner == 'esrgan':
        sd = _from_esrgan(sd)
    if mmagic_names:
        sd, needed = _from_mmagic_names(sd)
        settings.update(needed)
    if layout == 'state_dict':
        layout = inner
    if not is_state_dict(sd):
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
    :func:`~srtoolbox.models.weights.read_generator_weights` with
    :func:`~srtoolbox.models.weights.load_generator_weights`, which checks
    them.
    """
    return extract_weights(ckpt, prefer_ema)[0]
