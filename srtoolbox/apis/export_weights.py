"""Export a checkpoint's generator as ``.safetensors`` with its metadata.

    export_weights('work_dirs/swinir/iter_500000.pth', 'swinir_x4.safetensors')

The file holds the generator's tensors under the architecture's own names
(spandrel and chaiNNer detect spandrel's architectures from them) and the
metadata of :mod:`srtoolbox.models.weights.safetensors_io`: architecture,
keyword arguments, scale, value range, srtoolbox version, config hash and
training iterations. srtoolbox loads it without a config.
"""
import hashlib
from typing import Any

from ..models.weights import load_generator_from_file, write_safetensors
from ..utils.checkpoint_io import load_checkpoint_file

__all__ = ['export_weights', 'config_hash']


def config_hash(cfg_text: Any) -> Any:
    """sha256 (hex) of a config's text, '' when there is none."""
    if not cfg_text:
        return ''
    return hashlib.sha256(str(cfg_text).encode('utf-8')).hexdigest()


def _training_meta(path):
    try:
        ckpt = load_checkpoint_file(path)
    except Exception:  # noqa: B902 (safetensors and others: no meta)
        return '', None
    meta = ckpt.get('meta') if isinstance(ckpt, dict) else None
    if not isinstance(meta, dict):
        return '', None
    return config_hash(meta.get('cfg')), meta.get('iter')


def export_weights(checkpoint: str, out_path: str, prefer_ema: bool = True,
                   overwrite: bool = False) -> Any:
    """Write ``checkpoint``'s generator to ``out_path`` (``.safetensors``).

    Args:
        checkpoint (str): any file :func:`~srtoolbox.models.weights.
            load_generator_from_file` reads (a config is not needed).
        out_path (str): written atomically; kept unless ``overwrite``.
        prefer_ema (bool): export the EMA weights when present.

    Returns:
        DetectedGenerator: what was exported.
    """
    detected = load_generator_from_file(checkpoint, prefer_ema)
    cfg_hash, iterations = _training_meta(detected.source)
    write_safetensors(detected.network.state_dict(), out_path,
                      generator_cfg=detected.generator_cfg,
                      scale=detected.scale,
                      value_range=detected.output_range,
                      config_hash=cfg_hash, iterations=iterations,
                      overwrite=overwrite)
    return detected
