"""``load_from`` (mmengine's) that would load nothing, or only part of the
model, is refused before training starts.

mmengine loads ``load_from`` non-strictly: keys that do not fit are only
warned about, and training then starts from random weights. This check
reads the file (``weights_only``) and names what does not fit. A generator
of another toolbox (BasicSR ``params_ema``, MMagic, EDSR-PyTorch,
``.safetensors``) is loaded with ``model.pretrained_generator`` instead,
which reads every layout srtoolbox knows and can skip the upsampler for
x2 -> x4 fine-tuning.
"""
import re

import torch

from ..utils.checkpoint_io import load_checkpoint_file
from ..utils.module_utils import unwrap_model

__all__ = ['LoadFromMismatchError', 'check_load_from']

# keys of the training state (counters, the pair pool), not weights
_STATE = 'train_state.'


class LoadFromMismatchError(ValueError):
    """``load_from`` does not fit the model built from the config."""


def _names(keys, limit=8):
    keys = list(keys)
    more = f', ... ({len(keys) - limit} more)' if len(keys) > limit else ''
    return ', '.join(keys[:limit]) + more


def check_load_from(model, path):
    """Raise :class:`LoadFromMismatchError` unless every tensor of
    ``model`` (possibly wrapped) is in ``path`` with its shape.

    Keys are compared as mmengine loads them (``state_dict`` of the file,
    or the file itself; a ``module.`` prefix dropped). Extra tensors in the
    file (a discriminator when fine-tuning a PSNR model) are allowed.
    """
    ckpt = load_checkpoint_file(path)
    sd = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else {}
    sd = {re.sub(r'^module\.', '', str(k)): v for k, v in sd.items()
          if torch.is_tensor(v)}
    ours = {k: v for k, v in unwrap_model(model).state_dict().items()
            if not k.startswith(_STATE) and torch.is_tensor(v)}
    missing = [k for k in ours if k not in sd]
    shapes = [f'{k}: file {tuple(sd[k].shape)} vs model '
              f'{tuple(ours[k].shape)}' for k in ours
              if k in sd and sd[k].shape != ours[k].shape]
    if not missing and not shapes:
        return
    fits = len(ours) - len(missing) - len(shapes)
    lines = [f'load_from={path}: {fits} of the model\'s {len(ours)} tensors '
             'would be loaded; training would start from random weights '
             + ('for all of them' if fits == 0 else 'for the rest')]
    if missing:
        lines.append(f'  not in the file ({len(missing)}): '
                     f'{_names(missing)}')
    if shapes:
        lines.append(f'  other shapes ({len(shapes)}): {_names(shapes, 4)}')
    lines.append(f'  the file holds ({len(sd)}): {_names(sd)}')
    lines.append('For a generator saved by BasicSR, MMagic, EDSR-PyTorch or '
                 'as .safetensors, or to skip the upsampler (x2 -> x4), use '
                 "model.pretrained_generator=dict(path=..., skip_mismatched="
                 "['upsample.']) and load_from=None.")
    raise LoadFromMismatchError('\n'.join(lines))
