"""Functions behind the command-line tools: inference (tiling), folder
evaluation, ONNX export, checkpoint conversion, network interpolation,
complexity counting. Each imports only torch and numpy at import time (and,
lazily, what it needs: onnx, onnxruntime, tqdm, OpenCV)."""
from .checkpoint import (GeneratorWeights, UnsafeCheckpointError,
                         convert_checkpoint, extract_generator_state_dict,
                         load_checkpoint_file, read_generator_weights,
                         save_checkpoint_file)
from .compare import compare_models
from .evaluate import evaluate_folder, format_table, write_results
from .export import check_onnx, export_onnx
from .flops import count_macs, count_params
from .inference import (RunSummary, SRInferencer, WeightsMismatchError,
                        load_generator_weights, receptive_field_radius)
from .interpolation import interpolate_checkpoints, interpolate_state_dicts

__all__ = [
    'UnsafeCheckpointError', 'load_checkpoint_file', 'save_checkpoint_file',
    'extract_generator_state_dict', 'read_generator_weights',
    'GeneratorWeights', 'load_generator_weights', 'convert_checkpoint',
    'interpolate_state_dicts', 'interpolate_checkpoints', 'count_macs',
    'count_params', 'SRInferencer', 'RunSummary', 'WeightsMismatchError',
    'receptive_field_radius', 'evaluate_folder', 'write_results',
    'format_table', 'export_onnx', 'check_onnx', 'compare_models'
]
