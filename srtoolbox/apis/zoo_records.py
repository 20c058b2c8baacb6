"""Zoo weights as released files: ``.safetensors`` + an OpenModelDB-style
JSON record, both named ``<name>-<first 8 hex of the sha256>`` (BasicSR's
convention, so a download can be checked against its name).

    rec = publish_weights('work_dirs/swinir_demo/iter_60.pth',
                          'model_zoo/weights', 'swinir_lightweight_x4_demo',
                          config='configs/swinir/swinir_lightweight_x4_demo.py')

The record holds what OpenModelDB lists for a model (architecture, scale,
size, licence, training data, iterations, patch size, the file's size and
sha256) and how to rebuild it (``generator_cfg``).
"""
import hashlib
import json
import os
import os.path as osp
from typing import Any, Optional

from ..utils.fileio import atomic_path
from .export_weights import export_weights
from ..models.weights import read_safetensors
from ..engine.launch import load_config

__all__ = ['publish_weights', 'sha256_file', 'training_facts']


def sha256_file(path: str, chunk: Any = 1 << 20) -> Any:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            digest.update(block)
    return digest.hexdigest()


def training_facts(config: Any) -> Any:
    """(training data, HR patch size, batch size) from a config file."""
    cfg = load_config(config)
    loader = cfg.get('train_dataloader') or {}
    dataset = loader.get('dataset') or {}
    data = osp.join(str(dataset.get('data_root') or ''),
                    str(dataset.get('gt_folder') or '')).strip('/')
    patch = next((t.get('gt_size') for t in dataset.get('pipeline') or []
                  if t.get('type') == 'PairedRandomCrop'), None)
    return data, patch, loader.get('batch_size')


def _human(count):
    for unit, size in (('M', 1e6), ('k', 1e3)):
        if count >= size:
            return f'{count / size:.3g}{unit}'
    return str(count)


def publish_weights(checkpoint: Any, out_dir: str, name: str,
                    config: Optional[Any] = None, licence: str = 'Apache-2.0',
                    overwrite: bool = False) -> Any:
    """Export ``checkpoint``'s generator as ``out_dir/<name>-<sha8>``
    ``.safetensors`` and ``.json``; returns the record (a dict)."""
    os.makedirs(out_dir, exist_ok=True)
    tmp = osp.join(out_dir, f'.{name}.publishing.safetensors')
    if osp.exists(tmp):
        os.remove(tmp)
    detected = export_weights(checkpoint, tmp)
    digest = sha256_file(tmp)
    stem = f'{name}-{digest[:8]}'
    weights = osp.join(out_dir, stem + '.safetensors')
    if osp.exists(weights) and not overwrite:
        os.remove(tmp)
        raise FileExistsError(f'{weights} exists; pass overwrite=True')
    os.replace(tmp, weights)
    _, meta = read_safetensors(weights)
    data, patch, batch = training_facts(config) if config else (None,) * 3
    params = sum(p.numel() for p in detected.network.parameters())
    record = {
        'name': name,
        'architecture': detected.generator_cfg['type'],
        'scale': detected.scale,
        'size': [_human(params)],
        'parameters': params,
        'license': licence,
        'inputChannels': 3,
        'outputChannels': 3,
        'dataset': data,
        'trainingIterations': int(meta['iterations'])
        if meta.get('iterations') else None,
        'trainingHRSize': patch,
        'trainingBatchSize': batch,
        'config': config,
        'configHash': meta.get('config_hash') or None,
        'generator_cfg': detected.generator_cfg,
        'resources': [{
            'platform': 'pytorch',
            'type': 'safetensors',
            'file': osp.basename(weights),
            'size': osp.getsize(weights),
            'sha256': digest,
        }],
    }
    with atomic_path(osp.join(out_dir, stem + '.json')) as path:
        with open(path, 'w', encoding='utf-8') as f:
            json.dump(record, f, indent=2, sort_keys=True, default=str)
            f.write('\n')
    return record
