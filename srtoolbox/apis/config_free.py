"""Test a weights file that came without a config.

    cfg, detected = test_config_from_checkpoint('RCAN_BIX4.pt',
                                                data_root='data/demo')

builds the network from the file (:func:`~srtoolbox.models.weights.
load_generator_from_file`) and an mmengine test config around it: ``SRModel``
with the detected generator, the benchmarks' LR (HR cropped to a multiple of
the scale, MATLAB bicubic, 8 bits) and PSNR/SSIM on Y with ``scale`` border
pixels cropped, as the papers report them.
"""
from typing import Any, Optional, Sequence

from mmengine.config import Config

from ..models.weights import load_generator_from_file
from ..models.weights.loading import load_generator_weights
from ..utils.module_utils import unwrap_model
from ..registry import GENERATORS
from ..engine.launch import benchmark_dataloader

__all__ = ['test_config_from_checkpoint', 'load_detected_weights']


def test_config_from_checkpoint(checkpoint: str, data_root: str = 'data/demo',
                                test_sets: Sequence[Any] = ('Set5', 'Set14'),
                                prefer_ema: bool = True,
                                work_dir: Optional[Any] = None) -> Any:
    """``(Config, DetectedGenerator)`` for ``tools/test.py CHECKPOINT``.

    Args:
        checkpoint (str): weights file in any layout srtoolbox detects.
        data_root (str): folder holding the HR test sets.
        test_sets (sequence[str]): HR folders under ``data_root``.

    Raises:
        UnknownArchitectureError, NotSuperResolutionError: see
            :func:`~srtoolbox.models.weights.load_generator_from_file`.
        KeyError: the detected architecture is not a registered generator
            (it can run in SRInferencer, not in a test config).
    """
    detected = load_generator_from_file(checkpoint, prefer_ema)
    name = detected.generator_cfg['type']
    if name not in GENERATORS:
        raise KeyError(
            f'{detected.source}: detected {name}, which is not a registered '
            'generator; run it with tools/infer.py instead')
    scale = detected.scale
    metric = dict(crop_border=scale, test_y_channel=True)
    cfg = Config(dict(
        default_scope='srtoolbox',
        model=dict(type='SRModel', generator=dict(detected.generator_cfg),
                   data_preprocessor=dict(
                       type='SRDataPreprocessor',
                       gt_range=list(detected.output_range))),
        test_dataloader=benchmark_dataloader(data_root, list(test_sets),
                                             scale),
        test_evaluator=[dict(type='PSNR', **metric),
                        dict(type='SSIM', **metric)],
        test_cfg=dict(type='TestLoop'),
        env_cfg=dict(dist_cfg=dict(backend='gloo')),
        log_level='WARNING',
        work_dir=work_dir or 'work_dirs/config_free_test',
    ))
    return cfg, detected


def load_detected_weights(model: Any, detected: Any) -> None:
    """Copy a detected network's weights into a built model's generator
    (and ``generator_ema`` if it keeps one), strictly."""
    model = unwrap_model(model)
    sd = detected.network.state_dict()
    for name in ('generator', 'generator_ema'):
        net = getattr(model, name, None)
        if net is not None:
            load_generator_weights(unwrap_model(net), sd, detected.source)
