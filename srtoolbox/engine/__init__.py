"""Runner glue: hooks, mixed precision, safe resume."""
from .hooks import (BicubicComparisonHook, SaveSRImagesHook,
                    SRVisualizationHook, comparison_strip)
from .optim_wrapper import AutocastOptimWrapper, resolve_amp_dtype
from .safe_checkpoint import allow_mmengine_checkpoints

allow_mmengine_checkpoints()

__all__ = ['SRVisualizationHook', 'SaveSRImagesHook', 'BicubicComparisonHook',
           'comparison_strip',
           'AutocastOptimWrapper', 'resolve_amp_dtype',
           'allow_mmengine_checkpoints']
