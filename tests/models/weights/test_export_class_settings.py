"""#22 smaller: export_weights writes spandrel networks whose settings hold
classes (SwinIR's and HAT's ``norm_layer=nn.LayerNorm``) by name, and
loads them back: same class, same outputs. Real files; the tool runs in a
process."""
import json
import os.path as osp
import subprocess
import sys

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

import srtoolbox.models.generators  # noqa: F401 (registration)
from srtoolbox.apis.export_weights import export_weights
from srtoolbox.models.builder import build_generator
from srtoolbox.models.weights import load_generator_from_file
from srtoolbox.models.weights.safetensors_io import SafetensorsError

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
TINY = {
    'SwinIR': dict(type='SwinIR', upscale=2, embed_dim=12, depths=[1],
                   num_heads=[2], window_size=4, mlp_ratio=1.,
                   upsampler='pixelshuffledirect'),
    'HAT': dict(type='HAT', upscale=2, embed_dim=12, depths=(1, ),
                num_heads=(2, ), window_size=4, squeeze_factor=4,
                mlp_ratio=1., num_feat=8),
}


def _metadata(path):
    with safe_open(str(path), framework='pt') as f:
        return f.metadata()


@pytest.mark.parametrize('name', sorted(TINY))
def test_exported_by_class_name_and_loaded_back(name, tmp_path):
    torch.manual_seed(0)
    net = build_generator(TINY[name]).eval()
    weights = tmp_path / f'{name}.pth'
    torch.save({'params': net.state_dict()}, weights)
    out = tmp_path / f'{name}.safetensors'
    if name == 'SwinIR':  # the command line, as a user runs it
        proc = subprocess.run(
            [sys.executable, osp.join(REPO, 'tools', 'export_weights.py'),
             str(weights), str(out)], capture_output=True, text=True,
            timeout=180)
        assert proc.returncode == 0, proc.stderr[-3000:]
    else:
        export_weights(str(weights), str(out))
    cfg = json.loads(_metadata(out)['generator_cfg'])
    assert cfg['norm_layer'] == {'__class__': 'torch.nn.LayerNorm'}
    det = load_generator_from_file(str(out))
    assert det.how == 'srtoolbox safetensors metadata'
    assert det.generator_cfg['norm_layer'] is torch.nn.LayerNorm
    x = torch.rand(1, 3, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(det.network(x), net(x), rtol=0, atol=0)


def test_a_class_outside_torch_nn_is_not_read_back(tmp_path):
    net = build_generator(dict(type='SRVGGNetCompact', upscale=2,
                               num_feat=8, num_conv=2))
    out = tmp_path / 'evil.safetensors'
    cfg = dict(type='SRVGGNetCompact', upscale=2, num_feat=8, num_conv=2,
               act_type={'__class__': 'os.system'})
    save_file({k: v.contiguous() for k, v in net.state_dict().items()},
              str(out), metadata={'generator_cfg': json.dumps(cfg)})
    with pytest.raises(SafetensorsError, match="'os.system'"):
        load_generator_from_file(str(out))
