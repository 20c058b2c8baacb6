import os.path as osp
import runpy
import sys

import numpy as np
import pytest
import torch

from srtoolbox.utils.checkpoint_io import save_checkpoint_file
from srtoolbox.apis.export import check_onnx, export_onnx
from srtoolbox.models.generators import MSRResNet, SRResNet

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

ort = pytest.importorskip(
    'onnxruntime', reason='the onnx extra is not installed '
    '(pip install -e .[onnx])')
pytest.importorskip('onnx', reason='the onnx extra is not installed '
                    '(pip install -e .[onnx])')


def small(cls, seed=0):
    torch.manual_seed(seed)
    return cls(num_blocks=2, num_feat=16, upscale=4).eval()


@pytest.mark.parametrize('cls', [SRResNet, MSRResNet])
def test_fp32_parity(cls, tmp_path):
    gen = small(cls)
    gen.train()  # export must not depend on (or change) the mode
    path = export_onnx(gen, str(tmp_path / 'm.onnx'), (1, 3, 24, 20))
    assert gen.training
    x = torch.rand(1, 3, 24, 20)
    assert check_onnx(gen, path, x) < 1e-4
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    assert session.get_inputs()[0].shape == [1, 3, 24, 20]
    assert session.get_outputs()[0].shape == [1, 3, 96, 80]


def test_dynamic_fp16_and_range(tmp_path):
    gen = small(MSRResNet)
    dyn = export_onnx(gen, str(tmp_path / 'dyn.onnx'), (1, 3, 16, 16),
                      dynamic=True, output_range=(-1, 1))
    x = torch.rand(2, 3, 12, 20)  # other batch and size than traced
    assert check_onnx(gen, dyn, x, output_range=(-1, 1)) < 1e-4
    session = ort.InferenceSession(dyn, providers=['CPUExecutionProvider'])
    got = session.run(None, {'input': x.numpy()})[0]
    with torch.no_grad():
        want = (gen(x).numpy() + 1) / 2  # [-1, 1] mapped to [0, 1]
    np.testing.assert_allclose(got, want, atol=1e-4)

    half = export_onnx(gen, str(tmp_path / 'half.onnx'), (1, 3, 16, 16),
                       fp16=True)
    session = ort.InferenceSession(half, providers=['CPUExecutionProvider'])
    assert session.get_inputs()[0].type == 'tensor(float16)'
    assert check_onnx(gen, half) < 1e-2
    assert next(gen.parameters()).dtype == torch.float32  # untouched


def test_refuses_overwrite_and_names_the_extra(tmp_path, monkeypatch):
    gen = small(MSRResNet)
    path = str(tmp_path / 'm.onnx')
    export_onnx(gen, path, (1, 3, 8, 8))
    with pytest.raises(FileExistsError, match='overwrite'):
        export_onnx(gen, path, (1, 3, 8, 8))
    export_onnx(gen, path, (1, 3, 8, 8), overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['m.onnx']
    monkeypatch.setitem(sys.modules, 'onnx', None)  # as if not installed
    with pytest.raises(ImportError, match=r'pip install -e \.\[onnx\]'):
        export_onnx(gen, str(tmp_path / 'n.onnx'))


def test_export_cli(tmp_path, capsys):
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(
        'model = dict(generator=dict(type="MSRResNet", num_blocks=2, '
        'num_feat=16, upscale=4), data_preprocessor=dict('
        'type="SRDataPreprocessor", gt_range=(-1.0, 1.0)))\n')
    ckpt = str(tmp_path / 'w.pth')
    save_checkpoint_file({'params_ema': small(MSRResNet).state_dict()}, ckpt)
    out = str(tmp_path / 'm.onnx')
    tool = runpy.run_path(osp.join(REPO, 'tools', 'export_onnx.py'))
    assert tool['main']([str(cfg), ckpt, out, '--dynamic', '--shape', '16',
                         '16']) == 0
    stdout = capsys.readouterr().out
    assert 'max abs difference' in stdout and osp.isfile(out)
    assert 'output range: [0, 1]' in stdout
    assert float(stdout.rsplit(':', 1)[1]) < 1e-4
    assert tool['main']([str(cfg), ckpt, out]) == 1  # exists
    assert 'exists' in capsys.readouterr().err
