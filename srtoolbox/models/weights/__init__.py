"""Generator weights: foreign layouts (:mod:`.layouts`) and strict loading
(:mod:`.loading`). A model concern, so it lives below ``engine`` and
``apis``; safe file reading is :mod:`srtoolbox.utils.checkpoint_io`."""
from .layouts import (SOURCES, detect_layout, extract_generator_state_dict,
                      extract_weights, is_state_dict)
from .loading import (GeneratorWeights, WeightsMismatchError,
                      load_generator_weights, load_pretrained_generator,
                      make_checkpoint, read_generator_weights,
                      resolve_checkpoint, state_dict_mismatches)

__all__ = [
    'SOURCES', 'detect_layout', 'extract_weights',
    'extract_generator_state_dict', 'is_state_dict', 'GeneratorWeights',
    'WeightsMismatchError', 'load_generator_weights',
    'load_pretrained_generator', 'make_checkpoint', 'read_generator_weights',
    'resolve_checkpoint', 'state_dict_mismatches'
]
