"""init_model: one call from a config to a ready network, in a clean
interpreter (no init_default_scope, no other srtoolbox import first)."""
import json
import os.path as osp
import subprocess
import sys

import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(REPO, 'configs', 'srresnet', 'msrresnet_x4_demo.py')


def _fresh(code, cwd):
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, cwd=cwd, timeout=120,
                          env={'PYTHONPATH': REPO, 'OMP_NUM_THREADS': '1',
                               'PATH': '/usr/bin:/bin'})
    return proc


def test_init_model_from_a_clean_interpreter(tmp_path):
    from srtoolbox.models.builder import build_generator
    net = build_generator(dict(type='MSRResNet', upscale=4, num_feat=8,
                               num_blocks=1))
    ckpt = tmp_path / 'w.pth'
    torch.save({'state_dict': {f'generator.{k}': v for k, v in
                               net.state_dict().items()}}, ckpt)
    code = f'''
import json, torch
from srtoolbox.apis import init_model
net = init_model({DEMO!r}, {str(ckpt)!r}, device='cpu',
                 cfg_options={{'model.generator.num_feat': 8,
                              'model.generator.num_blocks': 1}})
x = torch.rand(1, 3, 6, 7)
print(json.dumps(dict(cls=type(net).__name__, training=net.training,
                      shape=list(net(x).shape),
                      w=float(net.conv_first.weight.sum()))))
'''
    proc = _fresh(code, str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out == dict(cls='MSRResNet', training=False, shape=[1, 3, 24, 28],
                       w=pytest.approx(float(net.conv_first.weight.detach().sum()),
                                       rel=1e-6))


def test_init_model_whole_model_and_generator_dict():
    from srtoolbox.apis import init_model
    model = init_model(DEMO, part='model', device='cpu',
                       cfg_options={'model.generator.num_feat': 8,
                                    'model.generator.num_blocks': 1})
    assert type(model).__name__ == 'SRModel' and not model.training
    net = init_model(dict(type='EDSR', upscale=2, num_feat=8, num_blocks=1),
                     device='cpu')
    assert net(torch.rand(1, 3, 5, 5)).shape == (1, 3, 10, 10)


def test_init_model_misspelt_type_says_what_is_registered():
    from srtoolbox.apis import init_model
    with pytest.raises(KeyError, match="Did you mean 'MSRResNet'"):
        init_model(dict(type='MSRResnet'), device='cpu')
    with pytest.raises(TypeError, match='config file path'):
        init_model(42)
