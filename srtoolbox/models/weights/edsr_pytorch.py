"""The authors' releases in the EDSR-PyTorch layout: EDSR, RCAN, MSRN.

EDSR-PyTorch (Lim et al.), RCAN-PyTorch (Zhang et al.) and MSRN-PyTorch
(Li et al.) share one skeleton and one naming::

    sub_mean.{weight,bias}     fixed 1x1 conv, subtracts rgb_range * mean
    head.0                     first conv
    body.*                     the network's blocks, then one conv
    tail.0.{0,2,...}           sub-pixel upsampler convs (tail.2.* in MSRN)
    tail.1 / tail.3            last conv
    add_mean.{weight,bias}     adds the mean back

The networks work on [0, 255] images (``rgb_range`` 255); srtoolbox's
``EDSR``/``RCAN``/``MSRN`` take [0, 1], scale by ``img_range=255`` and
divide back, the same arithmetic. :func:`convert_edsr_pytorch` maps the
names, infers the settings from the shapes and returns a generator config:

* EDSR: ``body.N.body.{0,2}`` -> ``body.N.conv{1,2}``, ``body.<n>`` ->
  ``conv_after_body``, ``tail.0.K`` -> ``upsample.K``, ``tail.1`` ->
  ``conv_last``; 256 features is the paper's large model (residuals scaled
  by 0.1), 64 the baseline (1);
* RCAN: ``body.G.body.B.body.{0,2}`` -> ``body.G.residual_group.B.rcab.{0,2}``,
  channel attention ``...body.3.conv_du.{0,2}`` -> ``...rcab.3.attention.{1,3}``,
  the group's last conv ``body.G.body.<b>`` -> ``body.G.conv``;
* MSRN: srtoolbox's ``MSRN`` uses the authors' names already.

The mean shift is fixed in srtoolbox's EDSR/RCAN (BasicSR keeps it out of
the state dict): the file's mean is read from ``add_mean.bias`` and passed
as ``rgb_mean``.
"""
import re
from collections import OrderedDict
from typing import Any

__all__ = ['detect_edsr_pytorch', 'convert_edsr_pytorch']


def detect_edsr_pytorch(sd: Any) -> Any:
    """``'EDSR'``, ``'RCAN'``, ``'MSRN'`` or None for a bare state dict."""
    if not {'head.0.weight', 'tail.0.0.weight'} <= set(sd) and \
            'body.0.conv_3_1.weight' not in sd:
        return None
    if 'body.0.conv_3_1.weight' in sd and 'head.0.weight' in sd:
        return 'MSRN'
    if 'body.0.body.0.body.3.conv_du.0.weight' in sd:
        return 'RCAN'
    if 'body.0.body.0.weight' in sd and 'body.0.body.2.weight' in sd:
        return 'EDSR'
    return None


def _count(sd, pattern):
    found = {int(m.group(1)) for k in sd for m in [re.match(pattern, k)] if m}
    return max(found) + 1 if found else 0


def upsampler_scale(sd: Any, prefix: str, num_feat: int) -> Any:
    """Scale of a sub-pixel upsampler ``prefix.{0,2,..}.weight``: one conv to
    9*C channels is x3, n convs to 4*C channels x2^n."""
    convs = [sd[f'{prefix}.{i}.weight'] for i in range(0, 16, 2)
             if f'{prefix}.{i}.weight' in sd]
    if len(convs) == 1 and convs[0].shape[0] == 9 * num_feat:
        return 3
    if convs and all(c.shape[0] == 4 * num_feat for c in convs):
        return 2 ** len(convs)
    raise ValueError(f'cannot read the scale from {prefix}.*: output '
                     f'channels {[c.shape[0] for c in convs]} for '
                     f'{num_feat} features')


def _rgb_mean(sd, rgb_range=255.):
    bias = sd.get('add_mean.bias')
    if bias is None:
        return None
    return [round(float(v) / rgb_range, 6) for v in bias]


def _edsr(sd):
    num_feat = sd['head.0.weight'].shape[0]
    num_blocks = _count(sd, r'^body\.(\d+)\.body\.0\.weight$')
    out = OrderedDict()
    for key, value in sd.items():
        if key.startswith(('sub_mean.', 'add_mean.')):
            continue
        m = re.match(r'^body\.(\d+)\.body\.([02])\.(weight|bias)$', key)
        if m:
            conv = 'conv1' if m.group(2) == '0' else 'conv2'
            out[f'body.{m.group(1)}.{conv}.{m.group(3)}'] = value
            continue
        new = re.sub(rf'^body\.{num_blocks}\.', 'conv_after_body.', key)
        new = re.sub(r'^head\.0\.', 'conv_first.', new)
        new = re.sub(r'^tail\.0\.(\d+)\.', r'upsample.\1.', new)
        new = re.sub(r'^tail\.1\.', 'conv_last.', new)
        out[new] = value
    large = num_feat >= 256  # the paper's 32 x 256 model: residuals x 0.1
    cfg = dict(type='EDSR', num_feat=num_feat, num_blocks=num_blocks,
               upscale=upsampler_scale(sd, 'tail.0', num_feat),
               res_scale=0.1 if large else 1.0,
               in_channels=sd['head.0.weight'].shape[1],
               out_channels=sd['tail.1.weight'].shape[0])
    return out, cfg


def _rcan(sd):
    num_feat = sd['head.0.weight'].shape[0]
    num_groups = _count(sd, r'^body\.(\d+)\.body\.0\.body\.0\.weight$')
    num_blocks = _count(sd, r'^body\.0\.body\.(\d+)\.body\.0\.weight$')
    squeeze = num_feat // sd[
        'body.0.body.0.body.3.conv_du.0.weight'].shape[0]
    out = OrderedDict()
    for key, value in sd.items():
        if key.startswith(('sub_mean.', 'add_mean.')):
            continue
        m = re.match(r'^body\.(\d+)\.body\.(\d+)\.body\.(\d+)\.'
                     r'(?:conv_du\.(\d+)\.)?(weight|bias)$', key)
        if m:
            g, b, layer, ca, kind = m.groups()
            prefix = f'body.{g}.residual_group.{b}.rcab.{layer}'
            out[f'{prefix}.attention.{int(ca) + 1}.{kind}' if ca is not None
                else f'{prefix}.{kind}'] = value
            continue
        m = re.match(rf'^body\.(\d+)\.body\.{num_blocks}\.(weight|bias)$',
                     key)
        if m:
            out[f'body.{m.group(1)}.conv.{m.group(2)}'] = value
            continue
        new = re.sub(rf'^body\.{num_groups}\.', 'conv_after_body.', key)
        new = re.sub(r'^head\.0\.', 'conv_first.', new)
        new = re.sub(r'^tail\.0\.(\d+)\.', r'upsample.\1.', new)
        new = re.sub(r'^tail\.1\.', 'conv_last.', new)
        out[new] = value
    cfg = dict(type='RCAN', num_feat=num_feat, num_groups=num_groups,
               num_blocks=num_blocks, squeeze_factor=squeeze,
               upscale=upsampler_scale(sd, 'tail.0', num_feat),
               in_channels=sd['head.0.weight'].shape[1],
               out_channels=sd['tail.1.weight'].shape[0])
    return out, cfg


def _msrn(sd):
    num_feat = sd['head.0.weight'].shape[0]
    cfg = dict(type='MSRN', num_feat=num_feat,
               num_blocks=_count(sd, r'^body\.(\d+)\.conv_3_1\.weight$'),
               upscale=upsampler_scale(sd, 'tail.2', num_feat),
               in_channels=sd['head.0.weight'].shape[1],
               out_channels=sd['tail.3.weight'].shape[0])
    return OrderedDict(sd), cfg


def convert_edsr_pytorch(sd: Any) -> Any:
    """(srtoolbox state dict, generator config) of an authors' release.

    Raises:
        ValueError: the state dict is not in the EDSR-PyTorch layout.
    """
    kind = detect_edsr_pytorch(sd)
    if kind is None:
        raise ValueError(
            'not an EDSR-PyTorch layout (EDSR, RCAN or MSRN: keys head.0.*, '
            f'body.*, tail.*); first keys: {list(sd)[:8]}')
    out, cfg = {'EDSR': _edsr, 'RCAN': _rcan, 'MSRN': _msrn}[kind](sd)
    mean = _rgb_mean(sd)
    if mean is not None and kind != 'MSRN':  # MSRN keeps the buffers
        cfg['rgb_mean'] = mean
    return out, cfg
