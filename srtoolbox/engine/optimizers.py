"""Current optimizers from well-kept packages, by name in a config.

``optimizer=dict(type='AdamWScheduleFree' | 'Adan' | 'SOAP' | 'ADOPT' |
'Lion', ...)`` in an ``optim_wrapper`` builds the class of the package named
in :data:`PACKAGE_OPTIMIZERS`: the schedule-free family from Meta's
``schedulefree`` (the authors' code), the others from ``pytorch-optimizer``.
Both are install requirements. The package is imported when the optimizer is
built, not when srtoolbox is (``pytorch_optimizer`` takes seconds to import).

Schedule-free optimizers keep two weight sets: training steps use one, the
averaged evaluation weights are another (``optimizer.eval()``). Their
configs need :class:`~srtoolbox.engine.schedule_free_hook.ScheduleFreeHook`
(added by ``tools/train.py`` when missing) and no learning-rate schedule:
:func:`check_optimizer_config` says so at config load.
"""
from __future__ import annotations

import difflib
import importlib
from typing import Any, Dict, List, Tuple

import mmengine.optim  # noqa: F401 (registers torch's optimizers)
from mmengine.registry import OPTIMIZERS as ROOT

from .. import registry
from .config_files import type_name

__all__ = ['PACKAGE_OPTIMIZERS', 'SCHEDULE_FREE', 'optimizer_names',
           'is_schedule_free', 'check_optimizer_name']

# registered name -> (module, class). The schedule-free classes keep the
# names of their authors' package, which configs elsewhere use too.
PACKAGE_OPTIMIZERS: Dict[str, Tuple[str, str]] = {
    'AdamWScheduleFree': ('schedulefree', 'AdamWScheduleFree'),
    'RAdamScheduleFree': ('schedulefree', 'RAdamScheduleFree'),
    'SGDScheduleFree': ('schedulefree', 'SGDScheduleFree'),
    'Adan': ('pytorch_optimizer', 'Adan'),
    'SOAP': ('pytorch_optimizer', 'SOAP'),
    'ADOPT': ('pytorch_optimizer', 'ADOPT'),
    'Lion': ('pytorch_optimizer', 'Lion'),
    'Prodigy': ('pytorch_optimizer', 'Prodigy'),
    'AdEMAMix': ('pytorch_optimizer', 'AdEMAMix'),
    'StableAdamW': ('pytorch_optimizer', 'StableAdamW'),
}
SCHEDULE_FREE = frozenset(
    name for name in PACKAGE_OPTIMIZERS if name.endswith('ScheduleFree'))


def _factory(name: str, module: str, cls_name: str):
    def build(params, **kwargs):
        try:
            package = importlib.import_module(module)
        except ImportError as err:  # pragma: no cover (install_requires)
            raise ImportError(
                f'optimizer {name!r} comes from the {module!r} package: '
                f'pip install {module.replace("_", "-")}') from err
        return getattr(package, cls_name)(params, **kwargs)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = f'``{module}.{cls_name}(params, **kwargs)``.'
    return build


def _register() -> None:
    target = registry.OPTIMIZERS
    for name, (module, cls_name) in PACKAGE_OPTIMIZERS.items():
        if name not in target.module_dict:
            target.register_module(name=name,
                                   module=_factory(name, module, cls_name))


def optimizer_names() -> List[str]:
    """Every optimizer a config may name: torch's (through mmengine) and
    :data:`PACKAGE_OPTIMIZERS`."""
    return sorted(set(ROOT.module_dict) | set(registry.OPTIMIZERS.module_dict))


def is_schedule_free(optimizer_type) -> bool:
    """True for a schedule-free optimizer's name or class."""
    return type_name(optimizer_type) in SCHEDULE_FREE


def check_optimizer_name(name: Any) -> str:
    """``''`` when ``name`` is registered, else the message saying which
    names are and the closest one."""
    if not isinstance(name, str) or '.' in name:
        return ''  # a class, or a full import path mmengine resolves
    names = optimizer_names()
    if name.split('::')[-1] in names:
        return ''
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.4)
    if not close:  # 'adan' -> 'Adan': case alone
        close = [n for n in names if n.lower() == name.lower()]
    return (f'optimizer {name!r} is not registered; the registered ones '
            f'are: {", ".join(names)}.' +
            (f' Did you mean {close[0]!r}?' if close else ''))


_register()
