"""Evaluation weights for schedule-free optimizers (Defazio et al. 2024).

A schedule-free optimizer trains at one point of weight space (``y``,
``optimizer.train()``) and evaluates at an average (``x``,
``optimizer.eval()``); the switch between them is an in-place ``lerp`` with
the optimizer's ``z``. :class:`ScheduleFreeHook` makes everything outside the
training step see ``x``:

* validation, and whatever runs after training (the bicubic table, tests);
* checkpoints: ``state_dict`` holds ``x`` (what ``tools/test.py``,
  ``srtoolbox.apis`` and the safetensors export load) and the optimizer's
  ``param_groups`` say ``train_mode=False``, a consistent eval snapshot;
  ``checkpoint['schedule_free']['train_weights']`` keeps ``y`` so that
  ``--resume`` continues bit for bit (a ``lerp`` there and back is not exact
  in floating point, so ``y`` is copied back instead of recomputed);
* the model's EMA (``ema_decay``) averages ``x``, not ``y``.

``tools/train.py`` adds the hook to a config whose optimizer is
schedule-free (:func:`add_schedule_free_hook`).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import torch
from mmengine.hooks import Hook

from ..registry import HOOKS
from ..utils.module_utils import unwrap_model
from .config_files import config_optimizers
from .optimizers import is_schedule_free

__all__ = ['ScheduleFreeHook', 'add_schedule_free_hook',
           'schedule_free_optimizers']


def schedule_free_optimizers(optim_wrapper) -> List[torch.optim.Optimizer]:
    """The optimizers of an ``OptimWrapper`` or ``OptimWrapperDict`` that
    have ``train()``/``eval()`` weight modes."""
    wrappers = optim_wrapper.values() if hasattr(optim_wrapper, 'values') \
        else [optim_wrapper]
    found = []
    for wrapper in wrappers:
        opt = getattr(wrapper, 'optimizer', wrapper)
        if callable(getattr(opt, 'eval', None)) and callable(
                getattr(opt, 'train', None)) and \
                'train_mode' in opt.param_groups[0]:
            found.append(opt)
    return found


def _optimizer_states(state) -> List[dict]:
    """The optimizer state dicts inside a checkpoint's ``optimizer``."""
    if isinstance(state, dict) and 'param_groups' in state:
        return [state]
    if isinstance(state, dict):
        return [s for v in state.values() for s in _optimizer_states(v)]
    return []


def _set_train_mode(checkpoint: dict, mode: bool) -> None:
    for state in _optimizer_states(checkpoint.get('optimizer')):
        for group in state['param_groups']:
            if 'train_mode' in group:
                group['train_mode'] = mode


@HOOKS.register_module()
class ScheduleFreeHook(Hook):
    """Switch schedule-free optimizers to their evaluation weights for
    validation, checkpoints, the EMA and after training (see module doc).
    Does nothing when no optimizer is schedule-free."""

    # before the hooks that validate, compare or dump weights after training
    priority = 'VERY_HIGH'

    def __init__(self):
        self._optimizers: List[Any] = []  # schedulefree's: eval()/train()
        # id(param) -> (param, its training weights) while the params hold
        # the eval weights
        self._train_weights: Optional[Dict[int, tuple]] = None

    # ------------------------------------------------------------ switching
    @property
    def in_eval(self) -> bool:
        return self._train_weights is not None

    def _params(self):
        # mmengine hands every parameter to the optimizer; frozen ones
        # (an EMA copy) have no z and do not move
        return [p for opt in self._optimizers for g in opt.param_groups
                for p in g['params'] if p.requires_grad]

    def to_eval(self) -> None:
        """Params := eval weights ``x``; the training weights are kept."""
        if self.in_eval or not self._optimizers:
            return
        with torch.no_grad():
            self._train_weights = {id(p): (p, p.detach().clone())
                                   for p in self._params()}
            for opt in self._optimizers:
                opt.eval()

    def to_train(self) -> None:
        """Params := the training weights ``y`` kept by :meth:`to_eval`,
        bit for bit."""
        if not self.in_eval:
            return
        with torch.no_grad():
            for opt in self._optimizers:
                opt.train()  # sets train_mode; its lerp is overwritten
            for p, y in (self._train_weights or {}).values():
                p.copy_(y)
        self._train_weights = None

    # ------------------------------------------------------------- training
    def _bind(self, runner) -> None:
        self._optimizers = schedule_free_optimizers(runner.optim_wrapper)

    def after_load_checkpoint(self, runner, checkpoint) -> None:
        saved = checkpoint.get('schedule_free')
        # resuming continues from the training weights; load_from (a new
        # run starting from these weights) keeps the evaluation weights
        if saved and getattr(runner, '_resume', False):
            checkpoint['state_dict'].update(saved['train_weights'])
            _set_train_mode(checkpoint, True)

    def before_train(self, runner) -> None:
        self._bind(runner)
        for opt in self._optimizers:
            opt.train()  # a fresh optimizer starts in eval mode
        model = unwrap_model(runner.model)
        update_ema = getattr(model, 'update_ema', None)
        if self._optimizers and update_ema is not None and \
                getattr(model, 'ema_decay', None) is not None:
            def update_ema_from_eval_weights(*args, **kwargs):
                self.to_eval()
                try:
                    update_ema(*args, **kwargs)
                finally:
                    self.to_train()
            model.update_ema = update_ema_from_eval_weights

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self.to_train()  # after a checkpoint or a validation

    def before_val(self, runner) -> None:
        self.to_eval()  # back to training at the next iteration

    def after_train(self, runner) -> None:
        self.to_eval()  # what follows training sees the eval weights

    # ---------------------------------------------------------- checkpoints
    def before_save_checkpoint(self, runner, checkpoint) -> None:
        if not self._optimizers:
            return
        self.to_eval()  # back to training at the next iteration
        model = unwrap_model(runner.model)
        state = checkpoint['state_dict']
        train_weights = {}
        kept = self._train_weights or {}
        for name, p in model.named_parameters():
            if id(p) in kept:
                # new tensors: the checkpoint's may share the params' storage
                state[name] = p.detach().to('cpu', copy=True)
                train_weights[name] = kept[id(p)][1].to(
                    'cpu', copy=True)
        checkpoint['schedule_free'] = {'train_weights': train_weights}
        _set_train_mode(checkpoint, False)


def add_schedule_free_hook(cfg) -> bool:
    """Append :class:`ScheduleFreeHook` to ``cfg.custom_hooks`` when an
    optimizer of ``cfg.optim_wrapper`` is schedule-free and the hook is not
    there yet. Returns whether it was added."""
    if not any(is_schedule_free(opt.get('type'))
               for _, opt in config_optimizers(cfg)):
        return False
    hooks = list(cfg.get('custom_hooks') or [])
    if any(isinstance(h, dict) and h.get('type') in
           ('ScheduleFreeHook', ScheduleFreeHook) for h in hooks):
        return False
    hooks.append(dict(type='ScheduleFreeHook'))
    cfg.custom_hooks = hooks
    return True
