"""Config mistakes caught when a config is loaded, before anything runs.

Each check raises :class:`ConfigError` naming the key and the file:

* a constructor argument the registered class does not take (with the
  ``_delete_=True`` hint when ``type`` was changed over a ``_base_``);
* a ``'{{_base_.x}}'`` in quotes, which mmengine leaves unsubstituted;
* a negative learning rate; a batch size below 1;
* an invalid option of ``model.degradation`` (built once to check it);
* an optimizer name that is not registered (with the registered ones and
  the closest match); a schedule-free optimizer under a learning-rate
  schedule, which fights its own averaging;
* a batch augmentation probability outside [0, 1], or summing above 1;
* a generator ``upscale`` different from a dataset's or transform's
  ``scale``; an HR crop different from a discriminator's ``input_size``;
* (training) a cosine schedule whose length does not fit
  ``train_cfg.max_iters`` (step decays it never reaches are logged as a
  warning: a short debugging run may mean it). When only ``--cfg-options`` changed
  ``max_iters`` and the file's schedule fitted the file's length, the
  schedule follows (:func:`follow_max_iters`) and says so.

Syntax errors in Python or YAML configs are reported with the file and line
(:func:`explain_syntax_error`, in :mod:`.config_files`); the schedule checks
are :mod:`.schedule_checks`. Both are re-exported here.
"""
from __future__ import annotations

import difflib
import inspect
import re
from typing import Any, Iterator, List, Optional, Tuple

from mmengine.config import Config
from mmengine.registry import DefaultScope

# every srtoolbox module registered before a constructor's arguments are
# checked (srtoolbox.engine's own by its __init__, which runs before this)
import srtoolbox.datasets  # noqa: F401
import srtoolbox.engine  # noqa: F401
import srtoolbox.evaluation  # noqa: F401
import srtoolbox.models  # noqa: F401

from .. import registry as reg
from ..degradations import DegradationConfigError
from .config_files import (ConfigError, config_files, config_optimizers,
                           defining_file, explain_syntax_error, type_name)
from .optimizers import check_optimizer_name, is_schedule_free
from .schedule_checks import _schedulers, check_schedule, follow_max_iters

__all__ = ['ConfigError', 'check_config', 'check_schedule',
           'follow_max_iters', 'explain_syntax_error', 'config_files']

# what mmengine leaves of a quoted '{{_base_.x}}': "_x_<6 hex>"
_PLACEHOLDER = re.compile(r'"?_(?P<var>[A-Za-z_][\w.]*)_[0-9a-f]{6}"?')


# ----------------------------------------------------------------- walking
def _walk(obj: Any, path: str) -> Iterator[Tuple[str, Any]]:
    yield path, obj
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk(v, f'{path}.{k}' if path else str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _walk(v, f'{path}[{i}]')


def _check_quoted_base(cfg) -> None:
    for path, value in _walk(cfg.to_dict(), ''):
        if not isinstance(value, str):
            continue
        m = _PLACEHOLDER.fullmatch(value)
        if m or '{{' in value:
            var = m.group('var') if m else value
            leaf = path.split('.')[-1].split('[')[0]
            raise ConfigError(
                f'{defining_file(cfg, leaf)}: {path} is the string '
                f'{value!r}: a quoted \'{{{{_base_.{var}}}}}\' is not '
                'substituted by mmengine. Write it without quotes: '
                f'{leaf} = {{{{_base_.{var}}}}}')


# ---------------------------------------------------- constructor arguments
def _accepted(cls) -> Optional[set]:
    """Keyword names ``cls(...)`` takes, following ``**kwargs`` up the MRO;
    None when anything goes."""
    if not inspect.isclass(cls):
        try:
            params = inspect.signature(cls).parameters.values()
        except (TypeError, ValueError):
            return None
        if any(p.kind is p.VAR_KEYWORD for p in params):
            return None
        return {p.name for p in params}
    names: set = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        if klass is object:
            return None  # every __init__ up to object passed **kwargs on
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            return None
        names.update(p.name for p in params if p.kind not in (
            p.VAR_KEYWORD, p.VAR_POSITIONAL))
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            return names - {'self'}
    return None


def _lookup(registry, type_):
    if not isinstance(type_, str):
        return type_ if callable(type_) else None
    try:
        with DefaultScope.overwrite_default_scope('srtoolbox'):
            return registry.get(type_)
    except KeyError as e:
        raise ConfigError(str(e)) from None


def _base_type(cfg, key: str):
    """``type`` of ``key`` in the config's ``_base_`` files, if any."""
    path = getattr(cfg, 'filename', None)
    for f in (config_files(path)[1:] if path else []):
        try:
            base = Config.fromfile(f)
        except Exception:  # noqa: B902
            continue
        node = base.to_dict()
        for part in key.split('.'):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and 'type' in node:
            return node['type']
    return None


# arguments that moved out of a model: where a config sets them now
_MOVED = {'nonfinite_loss': 'default_hooks.nonfinite.action',
          'max_consecutive_skips':
              'default_hooks.nonfinite.max_consecutive_skips'}


def _check_args(cfg, key: str, node: Any, registry) -> None:
    if not isinstance(node, dict) or 'type' not in node:
        return
    cls = _lookup(registry, node['type'])
    if cls is None:
        return
    accepted = _accepted(cls)
    if accepted is None:
        return
    unknown = [k for k in node if k not in accepted
               and k not in ('type', '_delete_', '_scope_')]
    if not unknown:
        return
    name = node['type'] if isinstance(node['type'], str) \
        else getattr(cls, '__name__', str(cls))
    bad = unknown[0]
    close = difflib.get_close_matches(bad, sorted(accepted), n=1)
    msg = (f'{defining_file(cfg, bad)}: {key}.{bad}: {name} takes no '
           f'argument {bad!r}' +
           (f' (it moved to {_MOVED[bad]}, the engine\'s non-finite-loss '
            'policy)' if bad in _MOVED else
            f' (did you mean {close[0]!r}?)' if close else '') +
           f'; it takes: {", ".join(sorted(accepted - {"self"}))}.')
    base = _base_type(cfg, key)
    if base is not None and base != node['type']:
        msg += (f' {key}.type was changed from {base!r} in a _base_ file, '
                'whose other arguments are kept: add _delete_=True to the '
                f'dict ({key.split(".")[-1]} = dict(_delete_=True, '
                f'type={name!r}, ...)) to replace it.')
    raise ConfigError(msg)


def _model_parts(model: dict) -> Iterator[Tuple[str, dict, str]]:
    for k, v in model.items():
        if not isinstance(v, dict) or 'type' not in v:
            continue
        if k.startswith('generator'):
            yield k, v, 'GENERATORS'
        elif k.startswith('discriminator'):
            yield k, v, 'DISCRIMINATORS'
        elif k.endswith('loss'):
            yield k, v, 'LOSSES'
        elif k == 'data_preprocessor':
            yield k, v, 'MODELS'


def _datasets(dataset: Any, key: str) -> Iterator[Tuple[str, dict]]:
    if not isinstance(dataset, dict):
        return
    yield key, dataset
    if isinstance(dataset.get('datasets'), (list, tuple)):
        for i, d in enumerate(dataset['datasets']):
            yield from _datasets(d, f'{key}.datasets[{i}]')
    if isinstance(dataset.get('dataset'), dict):
        yield from _datasets(dataset['dataset'], f'{key}.dataset')


def _loader_datasets(cfg) -> Iterator[Tuple[str, dict]]:
    """``(key, dataset config)`` of every train/val/test dataloader."""
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if isinstance(loader, dict):
            yield from _datasets(loader.get('dataset'),
                                 f'{split}_dataloader.dataset')


def _check_constructor_args(cfg) -> None:
    model = cfg.get('model')
    if isinstance(model, dict):
        _check_args(cfg, 'model', model, reg.MODELS)
        for k, v, name in _model_parts(model):
            _check_args(cfg, f'model.{k}', v, getattr(reg, name))
    for key, ds in _loader_datasets(cfg):
        _check_args(cfg, key, ds, reg.DATASETS)
        for i, t in enumerate(ds.get('pipeline') or []):
            _check_args(cfg, f'{key}.pipeline[{i}]', t, reg.TRANSFORMS)
    for split in ('val', 'test'):
        ev = cfg.get(f'{split}_evaluator')
        metrics = ev if isinstance(ev, (list, tuple)) else \
            (ev.get('metrics') if isinstance(ev, dict) and 'metrics' in ev
             else [ev])
        metrics = metrics if isinstance(metrics, (list, tuple)) else \
            [metrics]
        for i, m in enumerate(metrics):
            _check_args(cfg, f'{split}_evaluator[{i}]', m, reg.METRICS)
    for i, h in enumerate(cfg.get('custom_hooks') or []):
        _check_args(cfg, f'custom_hooks[{i}]', h, reg.HOOKS)
    for k, h in (cfg.get('default_hooks') or {}).items():
        _check_args(cfg, f'default_hooks.{k}', h, reg.HOOKS)


# ------------------------------------------------------------ plain values
def _check_values(cfg) -> None:
    for key, opt in config_optimizers(cfg):
        lr = opt.get('lr')
        if isinstance(lr, (int, float)) and lr < 0:
            raise ConfigError(f'{defining_file(cfg, "lr")}: {key}.lr = {lr}'
                              ' is negative; a learning rate is >= 0')
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if not isinstance(loader, dict):
            continue
        bs = loader.get('batch_size')
        if isinstance(bs, int) and bs < 1:
            raise ConfigError(
                f'{defining_file(cfg, "batch_size")}: {split}_dataloader.'
                f'batch_size = {bs}; it must be at least 1')


def _default(cls, name: str):
    try:
        p = inspect.signature(cls).parameters.get(name)
    except (TypeError, ValueError):
        return None
    return None if p is None or p.default is p.empty else p.default


def _check_scales(cfg) -> None:
    model = cfg.get('model')
    gen = model.get('generator') if isinstance(model, dict) else None
    if not isinstance(gen, dict) or 'type' not in gen:
        return
    cls = _lookup(reg.GENERATORS, gen['type'])
    up_key = 'upscale' if 'upscale' in gen or _default(cls, 'upscale') \
        is not None else 'scale'
    upscale = gen.get(up_key, _default(cls, up_key) if cls else None)
    disc = model.get('discriminator')
    size = None
    if isinstance(disc, dict) and 'type' in disc:
        dcls = _lookup(reg.DISCRIMINATORS, disc['type'])
        size = disc.get('input_size', _default(dcls, 'input_size')
                        if dcls else None)
    for key, ds in _loader_datasets(cfg):
        items = [(key, ds)] + [(f'{key}.pipeline[{i}]', t) for i, t in
                               enumerate(ds.get('pipeline') or [])
                               if isinstance(t, dict)]
        for k, item in items:
            s = item.get('scale')
            if isinstance(upscale, int) and isinstance(s, int) \
                    and s != upscale:
                raise ConfigError(
                    f'{defining_file(cfg, "scale")}: {k}.scale = {s} '
                    f'but model.generator.{up_key} = {upscale}: the '
                    'network would be trained or tested at another '
                    'scale than its data')
            crop = item.get('gt_size')
            if key.startswith('train_') and isinstance(size, int) and \
                    isinstance(crop, int) and crop != size:
                raise ConfigError(
                    f'{defining_file(cfg, "gt_size")}: {k}.gt_size = '
                    f'{crop} (the HR crop) but model.discriminator.'
                    f'input_size = {size}: the discriminator takes '
                    f'{size}x{size} images; make them equal')


def _check_degradation(cfg) -> None:
    """Build ``model.degradation`` (options only, no data: milliseconds)
    so that a bad option is a ConfigError naming
    ``model.degradation.<key>`` and the file, not a DegradationConfigError
    from deep inside the runner's model building."""
    model = cfg.get('model')
    deg = model.get('degradation') if isinstance(model, dict) else None
    if not isinstance(deg, dict) or 'type' not in deg:
        return
    cls = _lookup(reg.DEGRADATIONS, deg['type'])
    if cls is None:
        return
    try:
        cls(**{k: v for k, v in deg.items() if k != 'type'})
    except DegradationConfigError as err:
        text = str(err)
        first = re.match(r'[A-Za-z_]\w*', text)
        leaf = first.group(0) if first else ''
        if leaf in (_accepted(cls) or ()):  # the message starts with it
            where, msg = f'model.degradation.{leaf}', text[len(leaf):]
            msg = msg.lstrip(':').strip()
        else:
            where, msg, leaf = 'model.degradation', text, 'degradation'
        raise ConfigError(f'{defining_file(cfg, leaf)}: {where}: {msg}') \
            from None


# ------------------------------------- optimizers and batch augmentations
def _lr_schedulers(cfg) -> List[Tuple[str, dict]]:
    out = []
    for key, s in _schedulers(cfg):
        if type_name(s.get('type')).endswith('LR') or \
                s.get('param_name') == 'lr':
            out.append((key, s))
    return out


def _check_optimizers(cfg) -> None:
    for key, opt in config_optimizers(cfg):
        problem = check_optimizer_name(opt.get('type'))
        if problem:
            raise ConfigError(f'{defining_file(cfg, "optimizer")}: '
                              f'{key}.type: {problem}')
        if is_schedule_free(opt.get('type')):
            fighting = _lr_schedulers(cfg)
            if fighting:
                where, sched = fighting[0]
                raise ConfigError(
                    f'{defining_file(cfg, "param_scheduler")}: {key}.type '
                    f'= {opt["type"]!r} is schedule-free, but {where} '
                    f'({sched.get("type")}) also changes the learning rate, '
                    'which fights its averaging. Remove the schedule '
                    '(param_scheduler = None); for a warm-up give the '
                    'optimizer warmup_steps=N.')


def _check_batch_augments(cfg) -> None:
    model = cfg.get('model')
    pre = model.get('data_preprocessor') if isinstance(model, dict) else None
    augs = pre.get('batch_augments') if isinstance(pre, dict) else None
    if not augs:
        return
    key = 'model.data_preprocessor.batch_augments'
    where = defining_file(cfg, 'batch_augments')
    if not isinstance(augs, (list, tuple)):
        raise ConfigError(f'{where}: {key} must be a list of dicts such as '
                          "dict(type='MixUp', prob=0.1), got "
                          f'{type(augs).__name__}')
    total = 0.0
    for i, aug in enumerate(augs):
        if not isinstance(aug, dict) or 'type' not in aug:
            raise ConfigError(f'{where}: {key}[{i}] must be a dict with a '
                              f'type, got {aug!r}')
        _check_args(cfg, f'{key}[{i}]', aug, reg.BATCH_AUGMENTS)
        cls = _lookup(reg.BATCH_AUGMENTS, aug['type'])
        prob = aug.get('prob', _default(cls, 'prob') if cls else None)
        if isinstance(prob, bool) or not isinstance(prob, (int, float)) or \
                not 0.0 <= prob <= 1.0:
            raise ConfigError(f'{where}: {key}[{i}].prob = {prob!r} '
                              f'({aug["type"]}) is outside [0, 1]')
        total += prob
    if total > 1.0 + 1e-9:
        raise ConfigError(f'{where}: {key}: the probabilities add up to '
                          f'{total:g} > 1; at most one augmentation is drawn '
                          'per batch, so they must add up to 1 or less')


def check_config(cfg) -> None:
    """Every load-time check except the schedule's (see module doc)."""
    _check_quoted_base(cfg)
    _check_values(cfg)
    _check_optimizers(cfg)
    _check_batch_augments(cfg)
    _check_constructor_args(cfg)
    _check_scales(cfg)
    _check_degradation(cfg)
