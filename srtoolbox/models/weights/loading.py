"""Generator weights: read any known layout, check and load them strictly.

    weights = read_generator_weights('iter_1000.pth')  # GeneratorWeights
    load_generator_weights(network, weights)           # strict, settings too
    load_pretrained_generator(model, 'work_dirs/srresnet/')  # both in one

Files are read with ``weights_only=True``
(:func:`srtoolbox.utils.checkpoint_io.load_checkpoint_file`), layouts mapped
by :mod:`.layouts`.
"""
import json
import os
import os.path as osp
from collections import OrderedDict
from typing import (Any, Callable, Dict, List, Mapping, NamedTuple, Optional,
                    Sequence, Tuple, Union, cast)

import torch
from mmengine.runner import find_latest_checkpoint
from torch import nn

from ...utils.checkpoint_io import load_checkpoint_file
from ...utils.module_utils import unwrap_model
from .finite import (NonFiniteWeightsError, check_finite_weights,
                     find_nonfinite)
from .edsr_pytorch import convert_edsr_pytorch, detect_edsr_pytorch
from .layouts import extract_weights
from .safetensors_io import is_safetensors, read_safetensors

__all__ = ['GeneratorWeights', 'read_generator_weights',
           'state_dict_mismatches', 'make_checkpoint', 'WeightsMismatchError',
           'load_generator_weights', 'resolve_checkpoint',
           'load_pretrained_generator', 'NonFiniteWeightsError',
           'find_nonfinite', 'check_finite_weights', 'load_pretrained']


class WeightsMismatchError(RuntimeError):
    """A checkpoint's tensors do not fit the generator built from a config."""


def _checked(weights):
    check_finite_weights(weights.state_dict, weights.source)
    return weights


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


def read_generator_weights(path: Union[str, 'os.PathLike[str]'],
                           prefer_ema: bool = True) -> 'GeneratorWeights':
    """Load ``path`` safely and take its generator: :class:`GeneratorWeights`.

    Give the result to :func:`load_generator_weights`, which checks names,
    shapes and the settings.
    """
    if is_safetensors(path):  # srtoolbox's export or any bare state dict
        sd, meta = read_safetensors(path)
        settings = json.loads(meta.get('generator_settings') or '{}')
        sd, _, origin, more = extract_weights(sd, prefer_ema)
        return _checked(GeneratorWeights(sd, {**more, **settings},
                                         os.fspath(path),
                                         'safetensors ' + origin))
    sd, _, origin, settings = extract_weights(load_checkpoint_file(path),
                                              prefer_ema)
    if origin in ('state_dict', 'top level', '') and detect_edsr_pytorch(sd):
        sd, _ = convert_edsr_pytorch(sd)  # the authors' EDSR/RCAN/MSRN
        origin = 'EDSR-PyTorch ' + origin
    return _checked(GeneratorWeights(sd, settings, os.fspath(path), origin))


def state_dict_mismatches(
        sd_a: Mapping[str, Any], sd_b: Mapping[str, Any]
) -> Tuple[List[str], List[str],
           List[Tuple[str, Tuple[int, ...], Tuple[int, ...]]]]:
    """How two state dicts differ: ``(keys only in A, keys only in B,
    [(key, shape in A, shape in B), ...])`` for tensors of unequal shape."""
    only_a = [k for k in sd_a if k not in sd_b]
    only_b = [k for k in sd_b if k not in sd_a]
    shapes = [(k, tuple(sd_a[k].shape), tuple(sd_b[k].shape))
              for k in sd_a if k in sd_b and torch.is_tensor(sd_a[k])
              and torch.is_tensor(sd_b[k]) and sd_a[k].shape != sd_b[k].shape]
    return only_a, only_b, shapes


def make_checkpoint(state_dict: Mapping[str, Any], meta: Mapping[str, Any],
                    settings: Optional[Mapping[str, Any]] = None
                    ) -> Dict[str, Any]:
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


def _describe(keys, limit=12):
    keys = list(keys)
    more = f', ... ({len(keys) - limit} more)' if len(keys) > limit else ''
    return ', '.join(keys[:limit]) + more


def load_generator_weights(
        generator: nn.Module,
        state_dict: Union['GeneratorWeights', Mapping[str, Any]],
        source: str = 'checkpoint',
        settings: Optional[Mapping[str, Any]] = None) -> None:
    """Strictly load ``state_dict`` into ``generator``.

    ``state_dict`` may also be a :class:`GeneratorWeights` (from
    :func:`read_generator_weights`), whose source and settings are then
    used.

    Raises:
        WeightsMismatchError: listing missing keys, unexpected keys and
            shape mismatches, with ``source`` (a file name) in the message;
            or naming each generator setting (``settings``, e.g.
            ``upsample_lrelu=False`` for MMagic's MSRResNet) the network was
            built without.
        NonFiniteWeightsError: a tensor holds NaN/Inf values (named).
    """
    if hasattr(state_dict, 'settings'):  # GeneratorWeights
        weights = cast(GeneratorWeights, state_dict)
        state_dict, settings, source = (weights.state_dict,
                                        weights.settings,
                                        weights.source)
    state_dict = cast(Mapping[str, Any], state_dict)  # a state dict now
    unexpected, missing, shapes = state_dict_mismatches(
        state_dict, generator.state_dict())
    if missing or unexpected or shapes:
        raise _mismatch_error(source, generator, missing, unexpected, shapes)
    _check_settings(generator, settings, source)
    check_finite_weights(state_dict, source)
    generator.load_state_dict(state_dict, strict=True)


def _mismatch_error(source, generator, missing, unexpected, shapes,
                    hint=''):
    shapes = [f'{k}: checkpoint {a} vs network {b}' for k, a, b in shapes]
    lines = [f'{source}: weights do not fit {type(generator).__name__} '
             '(check the config matches the checkpoint: architecture, '
             f'num_feat, num_blocks, upscale){hint}']
    if missing:
        lines.append(f'  missing keys ({len(missing)}): '
                     f'{_describe(missing)}')
    if unexpected:
        lines.append(f'  unexpected keys ({len(unexpected)}): '
                     f'{_describe(unexpected)}')
    if shapes:
        lines.append(f'  shape mismatches ({len(shapes)}): '
                     f'{_describe(shapes, 6)}')
    return WeightsMismatchError('\n'.join(lines))


def _check_settings(generator, settings, source):
    wrong = [f'{name}={value!r} (the network has '
             f'{getattr(generator, name, "no such option")!r})'
             for name, value in (settings or {}).items()
             if getattr(generator, name, None) != value]
    if wrong:
        raise WeightsMismatchError(
            f'{source}: these weights need {type(generator).__name__} built '
            f'with {", ".join(wrong)}; set it in the config, e.g. '
            + ' '.join(f'--cfg-options model.generator.{name}={value!r}'
                       for name, value in settings.items()))


def resolve_checkpoint(path: Union[str, 'os.PathLike[str]']) -> str:
    """A checkpoint file from a file path or an mmengine work dir.

    A work dir is a folder holding ``last_checkpoint``, the text file in
    which mmengine's ``CheckpointHook`` writes the path of the newest
    checkpoint; that path may be relative to where training ran, so it is
    also looked for next to ``last_checkpoint``.
    """
    path = os.fspath(path)
    if osp.isfile(path):
        return path
    if not osp.isdir(path):
        raise FileNotFoundError(
            f'checkpoint not found: {path} (give a checkpoint file '
            'or a work dir with a last_checkpoint file; train the generator '
            'first, or check the path in the config)')
    marker = osp.join(path, 'last_checkpoint')
    if not osp.isfile(marker):
        raise FileNotFoundError(
            f'{path} is a folder without '
            'last_checkpoint (mmengine writes it when it saves a checkpoint); '
            'give the checkpoint file itself')
    # mmengine's reader of last_checkpoint; the recorded path may be relative
    # to where training ran or to the work dir (srtoolbox writes it so), or
    # name the original of a copied work dir: the work dir's own file first
    recorded = find_latest_checkpoint(path) or ''
    for candidate in (osp.join(path, osp.basename(recorded)), recorded):
        if recorded and osp.isfile(candidate):
            return candidate
    raise FileNotFoundError(
        f'{marker} names {recorded!r}, which does not '
        f'exist (nor does {osp.join(path, osp.basename(recorded))})')


def load_pretrained_generator(target: nn.Module,
                              path: Union[str, 'os.PathLike[str]'],
                              prefer_ema: bool = True) -> GeneratorWeights:
    """Load a checkpoint's generator into a network or a training model.

    Args:
        target (nn.Module): a generator, or a model (``SRModel``, ``SRGAN``,
            possibly DDP-wrapped) whose ``generator`` and, if it keeps one,
            ``generator_ema`` both receive the weights.
        path (str): checkpoint file or work dir (:func:`resolve_checkpoint`)
            of any layout :func:`~.layouts.extract_weights` reads, loaded
            with ``torch.load(weights_only=True)``.
        prefer_ema (bool): take the EMA weights when the file has them.

    Returns:
        GeneratorWeights: what was loaded (``.source`` is the file read).

    Raises:
        WeightsMismatchError: names, shapes or settings do not fit.
    """
    target = unwrap_model(target)
    weights = read_generator_weights(resolve_checkpoint(path), prefer_ema)
    generator = getattr(target, 'generator', None)
    networks: List[Optional[nn.Module]]
    if generator is None:
        networks = [target]
    else:
        networks = [unwrap_model(generator),
                    getattr(target, 'generator_ema', None)]
    for net in networks:
        if net is not None:
            load_generator_weights(unwrap_model(net), weights)
    return weights


def _skippable(skip_mismatched):
    """``skip_mismatched`` as a predicate on tensor names."""
    if skip_mismatched is True:
        return lambda key: True
    if not skip_mismatched:
        return lambda key: False
    if isinstance(skip_mismatched, str):
        skip_mismatched = (skip_mismatched, )
    prefixes = tuple(skip_mismatched)
    if not all(isinstance(p, str) for p in prefixes):
        raise TypeError('pretrained_generator.skip_mismatched must be a bool '
                        f'or tensor-name prefixes, got {skip_mismatched!r}')
    return lambda key: key.startswith(prefixes)


def load_partially(generator: nn.Module, weights: GeneratorWeights,
                   strict: bool = True,
                   skip_mismatched: Union[bool, str, Sequence[str]] = False
                   ) -> Tuple[List[str], List[Tuple[str, str]]]:
    """Load the tensors of ``weights`` (:class:`GeneratorWeights`) that fit.

    Args:
        strict (bool): every mismatch outside ``skip_mismatched`` is an
            error; False skips (and reports) them all.
        skip_mismatched (bool | str | list[str]): tensor names (prefixes,
            e.g. ``['upsample.']`` for x2 -> x4) whose mismatches, a tensor
            the file lacks or has in another shape or that the network
            lacks, are skipped; True: anywhere.

    Returns:
        tuple: ``(loaded keys, [(key, why skipped), ...])``.

    Raises:
        WeightsMismatchError: a mismatch that may not be skipped, or a file
            of which no tensor fits.
    """
    sd, source = weights.state_dict, weights.source
    net_sd = generator.state_dict()
    unexpected, missing, shapes = state_dict_mismatches(sd, net_sd)
    skip = _skippable(skip_mismatched)
    skip = (lambda key: True) if not strict else skip
    refused = ([k for k in missing if not skip(k)],
               [k for k in unexpected if not skip(k)],
               [m for m in shapes if not skip(m[0])])
    if any(refused):
        raise _mismatch_error(source, generator, *refused,
                              hint='; pretrained_generator.skip_mismatched '
                              'names the tensors that may differ')
    skipped = ([(k, 'not in the file') for k in missing] +
               [(k, 'not in the network') for k in unexpected] +
               [(k, f'shape {a} in the file, {b} in the network')
                for k, a, b in shapes])
    bad = {k for k, _ in skipped}
    loaded = {k: v for k, v in sd.items() if k in net_sd and k not in bad}
    if not loaded:
        raise _mismatch_error(source, generator, missing, unexpected, shapes,
                              hint=': no tensor of the file fits')
    _check_settings(generator, weights.settings, source)
    check_finite_weights(loaded, source)
    generator.load_state_dict(loaded, strict=False)
    return sorted(loaded), skipped


def load_pretrained(model: nn.Module, path: Union[str, 'os.PathLike[str]'],
                    strict: bool = True,
                    skip_mismatched: Union[bool, str, Sequence[str]] = False,
                    prefer_ema: bool = True,
                    log: Optional[Callable[[str], Any]] = None
                    ) -> GeneratorWeights:
    """``model.pretrained_generator``: the file's generator into the
    model's ``generator`` and ``generator_ema`` (when it keeps one).

    Args:
        model (nn.Module): a training model (possibly DDP-wrapped).
        path (str): a file or work dir of any layout
            :func:`read_generator_weights` reads (srtoolbox, BasicSR,
            MMagic, ESRGAN, EDSR-PyTorch, spandrel's architectures'
            original names, ``.safetensors``).
        strict, skip_mismatched: as :func:`load_partially`.
        log (callable | None): receives one line saying what was loaded,
            what was skipped and why.

    Returns:
        GeneratorWeights: what was read.
    """
    model = unwrap_model(model)
    weights = read_generator_weights(resolve_checkpoint(path), prefer_ema)
    generator = unwrap_model(model.generator)
    loaded, skipped = load_partially(generator, weights, strict,
                                     skip_mismatched)
    ema = getattr(model, 'generator_ema', None)
    if ema is not None:  # the EMA starts from the trained network
        ema.load_state_dict(generator.state_dict())
    if log is not None:
        why = '; '.join(f'{k} ({reason})' for k, reason in skipped[:12])
        more = f'; ... ({len(skipped) - 12} more)' if len(skipped) > 12 \
            else ''
        log(f'generator{" and its EMA" if ema is not None else ""} '
            f'initialised from {weights.source} ({weights.origin}): '
            f'{len(loaded)} of {len(generator.state_dict())} tensors '
            f'loaded' + (f', {len(skipped)} skipped: {why}{more}'
                         if skipped else ', none skipped'))
    return weights
