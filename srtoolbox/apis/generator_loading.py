"""The network an inferencer runs: from a config, or from a weights file
alone (srtoolbox metadata, a known layout, spandrel's detection), blended
with a second file for network interpolation."""
import logging
import os
from typing import Any, Optional

import torch

from ..engine.launch import load_config
from ..engine.optim_wrapper import resolve_amp_dtype
from ..models.weights import (GeneratorWeights, load_generator_from_file,
                              load_generator_weights, read_generator_weights)
from ..models.weights.interpolation import interpolate_weights

__all__ = ['load_config_arg', 'detect_blended_generator', 'load_weights',
           'amp_dtype']

logger = logging.getLogger('srtoolbox.apis.inference')


def load_config_arg(config: Any) -> Any:
    """``config`` as a loaded config: a path is read (srtoolbox's checks
    included), a dict or Config returned as it is, None kept."""
    if config is None:
        return None
    if isinstance(config, (str, os.PathLike)):
        return load_config(os.fspath(config))
    return config


def detect_blended_generator(checkpoint: Any,
                             interp_checkpoint: Optional[Any] = None,
                             alpha: Optional[Any] = None,
                             prefer_ema: bool = True) -> Any:
    """The checkpoint's network, blended with ``interp_checkpoint``."""
    if interp_checkpoint is not None and alpha is None:
        raise ValueError('interp_checkpoint needs alpha')
    alpha = float(alpha) if alpha is not None else 0.0
    detected = load_generator_from_file(checkpoint, prefer_ema)
    logger.info('detected %s', detected.describe())
    if interp_checkpoint is not None:
        other = load_generator_from_file(interp_checkpoint, prefer_ema)
        if other.generator_cfg != detected.generator_cfg:
            raise ValueError(
                f'{detected.source} and {other.source} are different '
                f'networks ({detected.generator_cfg} vs '
                f'{other.generator_cfg}); interpolation needs one')
        weights = interpolate_weights(
            GeneratorWeights(detected.network.state_dict(), {},
                             detected.source),
            GeneratorWeights(other.network.state_dict(), {},
                             other.source), alpha)
        load_generator_weights(detected.network, weights)
    return detected


def load_weights(generator: Any, checkpoint: Any,
                 interp_checkpoint: Optional[Any] = None,
                 alpha: Optional[Any] = None, prefer_ema: bool = True) -> None:
    """Load ``checkpoint`` (blended with ``interp_checkpoint`` at ``alpha``)
    into ``generator``; nothing when ``checkpoint`` is None."""
    if interp_checkpoint is not None and (checkpoint is None
                                          or alpha is None):
        raise ValueError('interp_checkpoint needs checkpoint and alpha')
    alpha = float(alpha) if alpha is not None else 0.0
    if checkpoint is None:
        return
    weights = read_generator_weights(checkpoint, prefer_ema)
    if interp_checkpoint is not None:
        weights = interpolate_weights(
            weights, read_generator_weights(interp_checkpoint,
                                            prefer_ema), alpha)
    load_generator_weights(generator, weights)


def amp_dtype(amp: Any, device_type: Any) -> Any:
    """(autocast dtype or None, note for the log)."""
    if amp is False or amp is None:
        return None, 'fp32'
    dtype = resolve_amp_dtype(device_type, 'auto' if amp is True else amp)
    if dtype is None:
        logger.warning(
            'SRInferencer: amp asked for, but this CPU has no native bf16 '
            '(AVX-512 BF16/AMX); running in fp32, which is faster here than '
            "emulated bf16 (pass amp='bf16' to force it)")
        return None, 'fp32 (no native bf16)'
    if device_type == 'cpu' and dtype == torch.float16:
        raise ValueError('fp16 autocast is not supported on CPUs; use '
                         "amp='bf16' or amp=True")
    return dtype, str(dtype).replace('torch.', '')
