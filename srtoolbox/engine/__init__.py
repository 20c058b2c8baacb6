"""Runner glue: hooks, mixed precision, safe resume."""
from .checkpoint_hook import (AtomicLocalBackend, ResumableCheckpointHook,
                              atomic_write)
from .distributed import (SRDistributedDataParallel, configure_distributed,
                          init_distributed)
from .deferred_logging import (DeferredIterTimerHook,  # noqa: F401
                               DeferredRuntimeInfoHook, flush_scalars)
from .gan_hooks import ReferenceComparisonHook  # noqa: F401
from .hooks import (BicubicComparisonHook, SaveSRImagesHook,
                    SRVisualizationHook, comparison_strip)
from .nonfinite import NonFiniteLossError, NonFiniteLossHook
from .optim_wrapper import (AutocastOptimWrapper, SROptimWrapper,
                            resolve_amp_dtype)
from .preemption import PreemptionHook  # noqa: F401 (registration)
from . import optimizers  # noqa: F401 (registers Adan, SOAP, ... by name)
from .schedule_free_hook import ScheduleFreeHook  # noqa: F401
from .time_budget_hook import TrainTimeBudgetHook  # noqa: F401
from .tensorboard_logging import ValImagesToVisualizerHook  # noqa: F401
from .resume import (ResumableInfiniteSampler, ResumableIterBasedTrainLoop,
                     SeededSamples, get_rng_states, set_rng_states)
from .safe_checkpoint import allow_mmengine_checkpoints

allow_mmengine_checkpoints()

__all__ = ['SRVisualizationHook', 'SaveSRImagesHook', 'BicubicComparisonHook',
           'comparison_strip',
           'AutocastOptimWrapper', 'SROptimWrapper', 'resolve_amp_dtype',
           'NonFiniteLossError', 'NonFiniteLossHook',
           'allow_mmengine_checkpoints',
           'ResumableCheckpointHook', 'AtomicLocalBackend', 'atomic_write',
           'SRDistributedDataParallel', 'configure_distributed',
           'init_distributed', 'ResumableIterBasedTrainLoop',
           'ResumableInfiniteSampler', 'SeededSamples', 'get_rng_states',
           'set_rng_states']
