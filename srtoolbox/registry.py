"""Every registry of srtoolbox, in one place.

All registries are children of mmengine's root registries, so mmengine's
``Runner`` builds srtoolbox models, datasets, transforms, metrics and hooks
from a config whose ``default_scope`` is ``'srtoolbox'``. Networks and losses
have registries of their own (``GENERATORS``, ``DISCRIMINATORS``, ``LOSSES``)
under ``MODELS``; the training wrappers (``SRModel``, ``SRGAN``) build their
parts from them.

A lookup that misses raises a ``KeyError`` naming the registry, what it holds
and the closest registered name, instead of mmengine's bare "not found".
"""
import difflib
from contextlib import contextmanager

from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine import registry as _mmengine_registry
from mmengine.registry import Registry as _MMRegistry

__all__ = [
    'MODELS', 'GENERATORS', 'DISCRIMINATORS', 'LOSSES', 'DATASETS',
    'TRANSFORMS', 'METRICS', 'HOOKS', 'DATA_SAMPLERS', 'OPTIM_WRAPPERS',
    'OPTIMIZERS', 'ALL_REGISTRIES', 'DEGRADATIONS', 'BATCH_AUGMENTS',
    'RegistryMissError'
]


class RegistryMissError(KeyError):
    """Raised when a name is not registered. Subclasses ``KeyError``."""

    def __str__(self):  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ''


class Registry(_MMRegistry):
    """mmengine ``Registry`` whose misses explain themselves."""

    def _all_names(self):
        names = set(self._module_dict)
        parent = self.parent
        while parent is not None:
            names.update(parent._module_dict)
            parent = parent.parent
        return names

    def _own_names(self):
        self.import_from_location()
        return sorted(self._module_dict)

    def get(self, key):
        obj = super().get(key)
        if obj is not None or not isinstance(key, str):
            return obj
        scope, real_key = self.split_scope_key(key)
        if '.' in real_key:  # a full import path such as 'torch.nn.ReLU'
            return None
        if scope not in (None, self.scope):
            return None  # mmengine resolves other scopes; keep its behaviour
        own = self._own_names()
        close = difflib.get_close_matches(
            real_key, sorted(self._all_names()), n=3, cutoff=0.5)
        msg = (f"'{real_key}' is not in srtoolbox's {self.name} registry, "
               f'which holds: {", ".join(own) or "(nothing)"}.')
        if close:
            msg += f' Did you mean {" or ".join(repr(c) for c in close)}?'
        msg += (' A module of your own must be imported before it is built: '
                "add custom_imports=dict(imports=['your.module']) to the config.")
        raise RegistryMissError(msg)

    @contextmanager
    def switch_scope_and_registry(self, scope):
        # mmengine switches a build to the registry of the default scope
        # ('srtoolbox' -> MODELS). GENERATORS, LOSSES, ... are children of
        # MODELS with scopes of their own: they must stay themselves.
        with super().switch_scope_and_registry(scope) as registry:
            parent = self.parent
            while parent is not None and parent is not registry:
                parent = parent.parent
            yield self if parent is registry else registry

    def __contains__(self, key):
        try:
            return super().get(key) is not None
        except RegistryMissError:
            return False


_ROOT = 'srtoolbox'

# training wrappers (SRModel, SRGAN) and data preprocessors
MODELS = Registry('model', parent=MMENGINE_MODELS, scope=_ROOT,
                  locations=['srtoolbox.models'])
GENERATORS = Registry('generator', parent=MODELS, scope='generator',
                      locations=['srtoolbox.models.generators'])
DISCRIMINATORS = Registry('discriminator', parent=MODELS,
                          scope='discriminator',
                          locations=['srtoolbox.models.discriminators'])
LOSSES = Registry('loss', parent=MODELS, scope='loss',
                  locations=['srtoolbox.models.losses'])
DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, scope=_ROOT,
                    locations=['srtoolbox.datasets'])
TRANSFORMS = Registry('transform', parent=MMENGINE_TRANSFORMS, scope=_ROOT,
                      locations=['srtoolbox.datasets.transforms'])
DATA_SAMPLERS = Registry('data sampler', parent=MMENGINE_DATA_SAMPLERS,
                         scope=_ROOT, locations=['srtoolbox.datasets'])
METRICS = Registry('metric', parent=MMENGINE_METRICS, scope=_ROOT,
                   locations=['srtoolbox.evaluation'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, scope=_ROOT,
                 locations=['srtoolbox.engine'])
# the pieces of synthetic degradation models (Real-ESRGAN's second order)
DEGRADATIONS = Registry('degradation', parent=MODELS, scope='degradation',
                        locations=['srtoolbox.degradations'])
# MixUp, CutMix, ... of (LR, HR) batches in the data preprocessor
BATCH_AUGMENTS = Registry('batch augment', parent=MODELS,
                          scope='batch_augment',
                          locations=['srtoolbox.models.batch_augments'])
OPTIM_WRAPPERS = Registry('optim wrapper', parent=MMENGINE_OPTIM_WRAPPERS,
                          scope=_ROOT, locations=['srtoolbox.engine'])

# the optimizers of pytorch-optimizer and schedulefree, by name
# (srtoolbox/engine/optimizers.py); torch's come from mmengine's parent
OPTIMIZERS = Registry('optimizer', parent=MMENGINE_OPTIMIZERS, scope=_ROOT,
                      locations=['srtoolbox.engine'])

# srtoolbox-scoped children of mmengine's other registries: nothing of
# srtoolbox's lives there, but a Runner built under the 'srtoolbox' scope
# looks for one in every registry and warns for each one it lacks
for _name in ('LOOPS', 'LOG_PROCESSORS', 'VISBACKENDS', 'VISUALIZERS',
              'PARAM_SCHEDULERS', 'OPTIM_WRAPPER_CONSTRUCTORS',
              'WEIGHT_INITIALIZERS', 'MODEL_WRAPPERS', 'EVALUATOR',
              'RUNNERS', 'RUNNER_CONSTRUCTORS', 'FUNCTIONS', 'INFERENCERS',
              'TASK_UTILS', 'STRATEGIES'):
    _parent = getattr(_mmengine_registry, _name, None)
    if _parent is not None:
        globals()[_name] = _MMRegistry(_parent.name, parent=_parent,
                                       scope=_ROOT)

ALL_REGISTRIES = {
    'generators': GENERATORS,
    'discriminators': DISCRIMINATORS,
    'losses': LOSSES,
    'models': MODELS,
    'datasets': DATASETS,
    'transforms': TRANSFORMS,
    'metrics': METRICS,
    'hooks': HOOKS,
    'optim_wrappers': OPTIM_WRAPPERS,
    'degradations': DEGRADATIONS,
    'batch_augments': BATCH_AUGMENTS,
}
