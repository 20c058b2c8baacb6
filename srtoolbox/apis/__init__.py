"""The top layer: one entry point per task, behind the command-line tools.

Inference (:class:`SRInferencer`, tiling), folder evaluation, ONNX export,
checkpoint conversion, network interpolation, complexity counting. The
weight-loading functions live in :mod:`srtoolbox.models.weights` and safe
checkpoint I/O in :mod:`srtoolbox.utils.checkpoint_io`; they are re-exported
here for convenience. Optional dependencies (onnx, onnxruntime) are
imported lazily, where they are used.
"""
from ..models.weights import (GeneratorWeights, WeightsMismatchError,
                              extract_generator_state_dict,
                              load_generator_weights,
                              load_pretrained_generator,
                              read_generator_weights)
from ..utils.checkpoint_io import (UnsafeCheckpointError,
                                   load_checkpoint_file, save_checkpoint_file)
from .compare import compare_models
from .convert import convert_checkpoint
from .evaluate import evaluate_folder, format_table, write_results
from .export import check_onnx, export_onnx
from .flops import count_macs, count_params
from .inference import RunSummary, SRInferencer
from .interpolation import interpolate_checkpoints, interpolate_state_dicts
from .model import init_model
from .tiling import receptive_field_radius, tile_boxes

__all__ = [
    'UnsafeCheckpointError', 'load_checkpoint_file', 'save_checkpoint_file',
    'extract_generator_state_dict', 'read_generator_weights',
    'GeneratorWeights', 'load_generator_weights', 'load_pretrained_generator',
    'convert_checkpoint', 'interpolate_state_dicts', 'interpolate_checkpoints',
    'count_macs', 'count_params', 'SRInferencer', 'RunSummary',
    'WeightsMismatchError', 'receptive_field_radius', 'tile_boxes',
    'evaluate_folder', 'write_results', 'format_table', 'export_onnx',
    'check_onnx', 'compare_models', 'init_model'
]
