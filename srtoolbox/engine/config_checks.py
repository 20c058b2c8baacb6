"""Config mistakes caught when a config is loaded, before anything runs.

Each check raises :class:`ConfigError` naming the key and the file:

* a constructor argument the registered class does not take (with the
  ``_delete_=True`` hint when ``type`` was changed over a ``_base_``);
* a ``'{{_base_.x}}'`` in quotes, which mmengine leaves unsubstituted;
* a negative learning rate; a batch size below 1;
* an optimizer name that is not registered (with the registered ones and
  the closest match); a schedule-free optimizer under a learning-rate
  schedule, which fights its own averaging;
* a batch augmentation probability outside [0, 1], or probabilities that
  add up to more than 1;
* a generator ``upscale`` different from a dataset's or transform's
  ``scale``; an HR crop different from a discriminator's ``input_size``;
* (training) a cosine schedule whose length does not fit
  ``train_cfg.max_iters`` (step decays it never reaches are logged as a
  warning: a short debugging run may mean it). When only ``--cfg-options`` changed
  ``max_iters`` and the file's schedule fitted the file's length, the
  schedule follows (:func:`follow_max_iters`) and says so.

Syntax errors in Python or YAML configs are reported with the file and line
(:func:`explain_syntax_error`).
"""
from __future__ import annotations

import ast
import difflib
import inspect
import logging
import os.path as osp
import re
from typing import Any, Dict, Iterator, List, Optional, Tuple

__all__ = ['ConfigError', 'check_config', 'check_schedule',
           'follow_max_iters', 'explain_syntax_error', 'config_files']

logger = logging.getLogger(__name__)

# what mmengine leaves of a quoted '{{_base_.x}}': "_x_<6 hex>"
_PLACEHOLDER = re.compile(r'"?_(?P<var>[A-Za-z_][\w.]*)_[0-9a-f]{6}"?')
_COSINE = ('CosineAnnealingLR', 'CosineAnnealingParamScheduler',
           'CosineRestartLR', 'CosineAnnealingMomentum')


class ConfigError(ValueError):
    """A mistake in a config, named by key and file."""


# ------------------------------------------------------------------ files
def config_files(path: str) -> List[str]:
    """``path`` and its ``_base_`` files, child first (unreadable ones
    are left out)."""
    from mmengine.config import Config
    out, todo = [], [osp.abspath(path)]
    while todo:
        current = todo.pop(0)
        if current in out or not osp.isfile(current):
            continue
        out.append(current)
        try:
            bases = Config._get_base_files(current)
        except Exception:  # noqa: B902 (a broken base: reported elsewhere)
            continue
        todo += [osp.normpath(osp.join(osp.dirname(current), b))
                 for b in bases]
    return out


def _defining_file(cfg, leaf: str) -> str:
    """The first config file (child first) that writes ``leaf =`` or
    ``leaf:``; the config's own file when none does."""
    path = getattr(cfg, 'filename', None)
    if not path:
        return '<config>'
    pattern = re.compile(r'(?<![\w.])' + re.escape(leaf) + r'\s*[=:]')
    for f in config_files(path):
        try:
            with open(f, encoding='utf-8') as fh:
                if pattern.search(fh.read()):
                    return f
        except OSError:
            pass
    return path


def explain_syntax_error(path: str) -> Optional[str]:
    """``'file, line N: message'`` for the first config file (``path`` or
    a ``_base_``) that does not parse, or None when all do."""
    files = [osp.abspath(path)]
    seen = set()
    while files:
        f = files.pop(0)
        if f in seen or not osp.isfile(f):
            continue
        seen.add(f)
        with open(f, encoding='utf-8') as fh:
            text = fh.read()
        try:
            if f.endswith('.py'):
                tree = ast.parse(text, filename=f)
                bases = _literal_bases(tree)
            else:
                import yaml
                data = yaml.safe_load(text) or {}
                bases = data.get('_base_', []) if isinstance(data, dict) \
                    else []
                bases = [bases] if isinstance(bases, str) else bases
        except SyntaxError as e:
            return f'{f}, line {e.lineno}: {e.msg} (Python syntax error)'
        except Exception as e:  # noqa: B902 (yaml.YAMLError)
            mark = getattr(e, 'problem_mark', None)
            where = f', line {mark.line + 1}' if mark is not None else ''
            problem = getattr(e, 'problem', None) or str(e)
            return f'{f}{where}: {problem} (YAML syntax error)'
        files += [osp.normpath(osp.join(osp.dirname(f), b)) for b in bases
                  if isinstance(b, str)]
    return None


def _literal_bases(tree) -> List[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == '_base_'
                for t in node.targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return []
            return [value] if isinstance(value, str) else list(value)
    return []


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
                f'{_defining_file(cfg, leaf)}: {path} is the string '
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
    names = set()
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
    from mmengine.registry import DefaultScope
    try:
        with DefaultScope.overwrite_default_scope('srtoolbox'):
            return registry.get(type_)
    except KeyError as e:
        raise ConfigError(str(e)) from None


def _base_type(cfg, key: str):
    """``type`` of ``key`` in the config's ``_base_`` files, if any."""
    from mmengine.config import Config
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
    msg = (f'{_defining_file(cfg, bad)}: {key}.{bad}: {name} takes no '
           f'argument {bad!r}' +
           (f' (did you mean {close[0]!r}?)' if close else '') +
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


def _check_constructor_args(cfg) -> None:
    import srtoolbox.datasets  # noqa: F401 (registration)
    import srtoolbox.engine  # noqa: F401
    import srtoolbox.evaluation  # noqa: F401
    import srtoolbox.models  # noqa: F401
    from .. import registry as reg
    model = cfg.get('model')
    if isinstance(model, dict):
        _check_args(cfg, 'model', model, reg.MODELS)
        for k, v, name in _model_parts(model):
            _check_args(cfg, f'model.{k}', v, getattr(reg, name))
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if not isinstance(loader, dict):
            continue
        for key, ds in _datasets(loader.get('dataset'),
                                 f'{split}_dataloader.dataset'):
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
def _optimizers(cfg) -> Iterator[Tuple[str, dict]]:
    wrapper = cfg.get('optim_wrapper')
    if not isinstance(wrapper, dict):
        return
    if isinstance(wrapper.get('optimizer'), dict):
        yield 'optim_wrapper.optimizer', wrapper['optimizer']
    for k, w in wrapper.items():
        if isinstance(w, dict) and isinstance(w.get('optimizer'), dict):
            yield f'optim_wrapper.{k}.optimizer', w['optimizer']


def _check_values(cfg) -> None:
    for key, opt in _optimizers(cfg):
        lr = opt.get('lr')
        if isinstance(lr, (int, float)) and lr < 0:
            raise ConfigError(f'{_defining_file(cfg, "lr")}: {key}.lr = {lr}'
                              ' is negative; a learning rate is >= 0')
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if not isinstance(loader, dict):
            continue
        bs = loader.get('batch_size')
        if isinstance(bs, int) and bs < 1:
            raise ConfigError(
                f'{_defining_file(cfg, "batch_size")}: {split}_dataloader.'
                f'batch_size = {bs}; it must be at least 1')


def _default(cls, name: str):
    try:
        p = inspect.signature(cls).parameters.get(name)
    except (TypeError, ValueError):
        return None
    return None if p is None or p.default is p.empty else p.default


def _check_scales(cfg) -> None:
    from .. import registry as reg
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
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if not isinstance(loader, dict):
            continue
        for key, ds in _datasets(loader.get('dataset'),
                                 f'{split}_dataloader.dataset'):
            items = [(key, ds)] + [(f'{key}.pipeline[{i}]', t) for i, t in
                                   enumerate(ds.get('pipeline') or [])
                                   if isinstance(t, dict)]
            for k, item in items:
                s = item.get('scale')
                if isinstance(upscale, int) and isinstance(s, int) \
                        and s != upscale:
                    raise ConfigError(
                        f'{_defining_file(cfg, "scale")}: {k}.scale = {s} '
                        f'but model.generator.{up_key} = {upscale}: the '
                        'network would be trained or tested at another '
                        'scale than its data')
                crop = item.get('gt_size')
                if split == 'train' and isinstance(size, int) and \
                        isinstance(crop, int) and crop != size:
                    raise ConfigError(
                        f'{_defining_file(cfg, "gt_size")}: {k}.gt_size = '
                        f'{crop} (the HR crop) but model.discriminator.'
                        f'input_size = {size}: the discriminator takes '
                        f'{size}x{size} images; make them equal')


# ------------------------------------- optimizers and batch augmentations
def _lr_schedulers(cfg) -> List[Tuple[str, dict]]:
    out = []
    for key, s in _schedulers(cfg):
        kind = s.get('type')
        name = kind if isinstance(kind, str) else getattr(kind, '__name__',
                                                          '')
        if name.endswith('LR') or s.get('param_name') == 'lr':
            out.append((key, s))
    return out


def _check_optimizers(cfg) -> None:
    from .optimizers import check_optimizer_name, is_schedule_free
    for key, opt in _optimizers(cfg):
        problem = check_optimizer_name(opt.get('type'))
        if problem:
            raise ConfigError(f'{_defining_file(cfg, "optimizer")}: '
                              f'{key}.type: {problem}')
        if is_schedule_free(opt.get('type')):
            fighting = _lr_schedulers(cfg)
            if fighting:
                where, sched = fighting[0]
                raise ConfigError(
                    f'{_defining_file(cfg, "param_scheduler")}: {key}.type '
                    f'= {opt["type"]!r} is schedule-free, but {where} '
                    f'({sched.get("type")}) also changes the learning rate, '
                    'which fights its averaging. Remove the schedule '
                    '(param_scheduler = None); for a warm-up give the '
                    'optimizer warmup_steps=N.')


def _check_batch_augments(cfg) -> None:
    from .. import registry as reg
    model = cfg.get('model')
    pre = model.get('data_preprocessor') if isinstance(model, dict) else None
    augs = pre.get('batch_augments') if isinstance(pre, dict) else None
    if not augs:
        return
    key = 'model.data_preprocessor.batch_augments'
    where = _defining_file(cfg, 'batch_augments')
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


# --------------------------------------------------------------- schedules
def _schedulers(cfg) -> List[Tuple[str, dict]]:
    sched = cfg.get('param_scheduler')
    if isinstance(sched, dict):
        return [('param_scheduler', sched)]
    if isinstance(sched, (list, tuple)):
        return [(f'param_scheduler[{i}]', s) for i, s in enumerate(sched)
                if isinstance(s, dict)]
    return []


def _step_notes(cfg, max_iters: int) -> List[str]:
    """Step decays a run of ``max_iters`` never reaches (a short debug run
    may mean it: said, not refused)."""
    notes = []
    for key, s in _schedulers(cfg):
        if s.get('by_epoch', True):
            continue
        kind = s.get('type')
        if kind == 'MultiStepLR':
            late = [m for m in s.get('milestones', []) if m >= max_iters]
            if late:
                notes.append(f'{key}.milestones {late} are at or beyond '
                             f'train_cfg.max_iters = {max_iters}: that decay '
                             'never happens')
        elif kind == 'StepLR' and (s.get('step_size') or 0) >= max_iters:
            notes.append(f'{key}.step_size = {s.get("step_size")} is at or '
                         f'beyond train_cfg.max_iters = {max_iters}: the '
                         'rate never decays')
    return notes


def _schedule_problem(cfg, max_iters: int) -> Optional[str]:
    ends = []
    for key, s in _schedulers(cfg):
        if s.get('by_epoch', True):
            continue
        if s.get('type') in _COSINE:
            end = s.get('end', s.get('begin', 0) + (s.get('T_max') or 0))
            ends.append((key, end))
    if ends:
        key, end = max(ends, key=lambda e: e[1])
        if end != max_iters:
            return (f'{key}: the cosine schedule ends at iteration {end} '
                    f'but train_cfg.max_iters = {max_iters} (after it ends '
                    'the rate climbs back up); set T_max/end to match')
    return None


def check_schedule(cfg) -> None:
    """Raise :class:`ConfigError` when the iteration-based schedule does
    not fit ``train_cfg.max_iters``."""
    max_iters = (cfg.get('train_cfg') or {}).get('max_iters')
    if not isinstance(max_iters, int):
        return
    path = getattr(cfg, 'filename', None) or '<config>'
    problem = _schedule_problem(cfg, max_iters)
    if problem:
        raise ConfigError(f'{path}: {problem}')
    for note in _step_notes(cfg, max_iters):
        from mmengine.logging import print_log
        print_log(f'{path}: {note}', logger='current',
                  level=logging.WARNING)


def follow_max_iters(cfg, old_max_iters: Any, options: Dict[str, Any]
                     ) -> Optional[str]:
    """After ``--cfg-options train_cfg.max_iters=N`` (and no option on
    ``param_scheduler``), stretch a schedule that fitted the old length to
    the new one. Returns what was changed (also logged), or None."""
    new = (cfg.get('train_cfg') or {}).get('max_iters')
    if (not isinstance(old_max_iters, int) or not isinstance(new, int)
            or new == old_max_iters or old_max_iters <= 0
            or any(k.startswith('param_scheduler') for k in options)
            or _schedule_problem(cfg, old_max_iters) is not None
            or _step_notes(cfg, old_max_iters)):
        return None
    ratio = new / old_max_iters
    changes = []

    def scale(v):
        return max(1, round(v * ratio))

    for key, s in _schedulers(cfg):
        if s.get('by_epoch', True):
            continue
        for field in ('T_max', 'begin', 'end', 'step_size'):
            if isinstance(s.get(field), int) and s[field] > 0:
                old = s[field]
                s[field] = scale(old) if field != 'end' or \
                    old != old_max_iters else new
                changes.append(f'{key}.{field} {old} -> {s[field]}')
        if isinstance(s.get('milestones'), (list, tuple)):
            old = list(s['milestones'])
            s['milestones'] = [scale(m) for m in old]
            changes.append(f'{key}.milestones {old} -> {s["milestones"]}')
    if not changes:
        return None
    msg = (f'train_cfg.max_iters {old_max_iters} -> {new} (--cfg-options): '
           'the schedule follows: ' + ', '.join(changes))
    logger.warning(msg)
    return msg
