"""Functions behind the command-line tools: checkpoint conversion, network
interpolation, complexity counting. Each imports only torch (and, lazily,
what it needs)."""
from .checkpoint import (UnsafeCheckpointError, convert_checkpoint,
                         extract_generator_state_dict, load_checkpoint_file,
                         save_checkpoint_file)
from .flops import count_macs, count_params
from .interpolation import interpolate_checkpoints, interpolate_state_dicts

__all__ = [
    'UnsafeCheckpointError', 'load_checkpoint_file', 'save_checkpoint_file',
    'extract_generator_state_dict', 'convert_checkpoint',
    'interpolate_state_dicts', 'interpolate_checkpoints', 'count_macs',
    'count_params'
]
