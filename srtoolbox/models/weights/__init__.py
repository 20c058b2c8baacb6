"""Generator weights: foreign layouts (:mod:`.layouts`,
:mod:`.edsr_pytorch`), strict loading (:mod:`.loading`), ``.safetensors``
files (:mod:`.safetensors_io`) and loading without a config
(:mod:`.detect`). A model concern, so it lives below ``engine`` and
``apis``; safe file reading is :mod:`srtoolbox.utils.checkpoint_io`."""
from .layouts import (SOURCES, detect_layout, extract_generator_state_dict,
                      extract_weights, is_state_dict)
from .loading import (GeneratorWeights, WeightsMismatchError,
                      load_generator_weights, load_pretrained_generator,
                      make_checkpoint, read_generator_weights,
                      resolve_checkpoint, state_dict_mismatches)
from .detect import (DetectedGenerator, NotSuperResolutionError,
                     UnknownArchitectureError, detect_generator,
                     load_generator_from_file)
from .interpolation import interpolate_state_dicts, interpolate_weights
from .safetensors_io import (SafetensorsError, is_safetensors,
                             read_safetensors, write_safetensors)

__all__ = [
    'SOURCES', 'detect_layout', 'extract_weights',
    'extract_generator_state_dict', 'is_state_dict', 'GeneratorWeights',
    'WeightsMismatchError', 'load_generator_weights',
    'load_pretrained_generator', 'make_checkpoint', 'read_generator_weights',
    'resolve_checkpoint', 'state_dict_mismatches', 'SafetensorsError',
    'is_safetensors', 'read_safetensors', 'write_safetensors',
    'DetectedGenerator', 'NotSuperResolutionError',
    'UnknownArchitectureError', 'detect_generator', 'load_generator_from_file',
    'interpolate_state_dicts', 'interpolate_weights'
]
