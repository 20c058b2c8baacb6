"""Does the schedule fit the run? Checked when a training config is loaded.

A cosine schedule whose length does not fit ``train_cfg.max_iters`` is
refused (after it ends the rate climbs back up); step decays a run never
reaches are said, not refused (a short debugging run may mean it). When
only ``--cfg-options`` changed ``max_iters`` and the file's schedule fitted
the file's length, the schedule follows (:func:`follow_max_iters`).
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Tuple

from mmengine.logging import print_log

from .config_files import ConfigError

__all__ = ['check_schedule', 'follow_max_iters']

logger = logging.getLogger(__name__)

_COSINE = ('CosineAnnealingLR', 'CosineAnnealingParamScheduler',
           'CosineRestartLR', 'CosineAnnealingMomentum')


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
