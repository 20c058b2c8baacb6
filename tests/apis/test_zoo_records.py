"""Zoo weights published as <name>-<sha8>.safetensors with a JSON record."""
import hashlib
import json

import torch

from srtoolbox.apis.zoo_records import publish_weights, training_facts
from srtoolbox.models.builder import build_generator
from srtoolbox.models.weights import load_generator_from_file, make_checkpoint

CFG = dict(type='Compact', upscale=4, num_feat=8, num_conv=2)


def test_publish_names_files_by_sha256_and_records_the_facts(tmp_path):
    net = build_generator(CFG)
    torch.save(make_checkpoint(net.state_dict(), {
        'generator_cfg': CFG, 'iter': 60, 'cfg': 'x = 1'}),
        tmp_path / 'iter_60.pth')
    rec = publish_weights(tmp_path / 'iter_60.pth', tmp_path / 'zoo',
                          'compact_demo')
    res = rec['resources'][0]
    weights = tmp_path / 'zoo' / res['file']
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()
    assert res['sha256'] == digest
    assert res['file'] == f'compact_demo-{digest[:8]}.safetensors'
    saved = json.loads((tmp_path / 'zoo' / f'compact_demo-{digest[:8]}.json')
                       .read_text())
    assert saved == json.loads(json.dumps(rec))
    assert (rec['architecture'], rec['scale'], rec['trainingIterations'],
            rec['license']) == ('Compact', 4, 60, 'Apache-2.0')
    assert rec['parameters'] == sum(p.numel() for p in net.parameters())
    assert load_generator_from_file(weights).generator_cfg['num_conv'] == 2


def test_training_facts_of_the_swinir_demo():
    data, patch, batch = training_facts(
        'configs/swinir/swinir_lightweight_x4_demo.py')
    assert (data, patch, batch) == ('data/demo/SunHays80', 64, 8)
