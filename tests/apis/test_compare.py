"""compare_models / tools/compare_models.py on a real photograph."""
import importlib.util
import os.path as osp
from collections import OrderedDict

import numpy as np
import pytest
import torch

from srtoolbox.apis.compare import compare_models
from srtoolbox.apis.inference import SRInferencer
from srtoolbox.evaluation.functional import calculate_psnr, calculate_ssim
from srtoolbox.models.generators import SRResNet
from srtoolbox.utils import imread, imresize

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BIRD = osp.join(REPO, 'data', 'demo', 'Set5', 'bird.png')
BAND = 22  # label band above each panel


def _model(tmp_path, seed, upscale=2):
    torch.manual_seed(seed)
    net = SRResNet(num_feat=4, num_blocks=1, upscale=upscale)
    ckpt = tmp_path / f'net{seed}_x{upscale}.pth'
    torch.save({'state_dict': OrderedDict(
        ('generator.' + k, v) for k, v in net.state_dict().items())}, ckpt)
    cfg = tmp_path / f'tiny_x{upscale}.py'
    cfg.write_text(f"model = dict(generator=dict(type='SRResNet', "
                   f"num_feat=4, num_blocks=1, upscale={upscale}), "
                   "data_preprocessor=dict(type='SRDataPreprocessor', "
                   "gt_range=[0.0, 1.0]))\n")
    return str(cfg), str(ckpt)


def test_panels_and_figures_match_the_images(tmp_path):
    cfg, ckpt_a = _model(tmp_path, 0)
    _, ckpt_b = _model(tmp_path, 1)
    crop = (10, 20, 30, 40)
    figure, rows = compare_models([('A', cfg, ckpt_a), ('B', cfg, ckpt_b)],
                                  BIRD, crop=crop, zoom=2)
    assert [r['label'] for r in rows] == ['bicubic', 'A', 'B', 'HR']
    # four panels of 40x30 HR pixels shown at zoom 2, 4 px gaps
    assert figure.shape == (BAND + 60, 4 * 80 + 3 * 4, 3)
    panels = [figure[BAND:, i * 84:i * 84 + 80] for i in range(4)]

    hr = imread(BIRD)
    hr = hr[:hr.shape[0] // 2 * 2, :hr.shape[1] // 2 * 2]
    lr = imresize(hr, 0.5)
    expected = [imresize(lr, 2),
                SRInferencer(config=cfg, checkpoint=ckpt_a,
                             progress=False)(lr),
                SRInferencer(config=cfg, checkpoint=ckpt_b,
                             progress=False)(lr), hr]
    top, left, h, w = crop
    for panel, img, row in zip(panels, expected, rows):
        want = np.kron(img[top:top + h, left:left + w],
                       np.ones((2, 2, 1), np.uint8))
        np.testing.assert_array_equal(panel, want)
        if row['label'] != 'HR':  # whole image, Y channel, crop = scale
            assert row['psnr'] == pytest.approx(
                calculate_psnr(img, hr, 2, test_y_channel=True))
            assert row['ssim'] == pytest.approx(
                calculate_ssim(img, hr, 2, test_y_channel=True))
    assert rows[-1]['psnr'] is None
    assert not np.array_equal(panels[1], panels[2])
    # the labels are drawn: the bands are not blank
    assert (figure[:BAND] < 128).any()


def test_bad_requests_are_named(tmp_path):
    cfg2, ckpt2 = _model(tmp_path, 0, upscale=2)
    cfg4, ckpt4 = _model(tmp_path, 0, upscale=4)
    with pytest.raises(ValueError, match=r'x4.*x2.*one scale'):
        compare_models([('two', cfg2, ckpt2), ('four', cfg4, ckpt4)], BIRD)
    with pytest.raises(ValueError, match='does not fit'):
        compare_models([('two', cfg2, ckpt2)], BIRD, crop=(0, 0, 9999, 10))
    with pytest.raises(ValueError, match='at least one model'):
        compare_models([], BIRD)


def test_cli_writes_once_and_prints_figures(tmp_path, capsys):
    cfg, ckpt = _model(tmp_path, 0)
    spec = importlib.util.spec_from_file_location(
        'compare_tool', osp.join(REPO, 'tools', 'compare_models.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = tmp_path / 'cmp.png'
    argv = ['--image', BIRD, '--model', 'tiny', cfg, ckpt, '--zoom', '1',
            '--out', str(out)]
    assert tool.main(argv) == 0
    text = capsys.readouterr().out
    assert 'bicubic' in text and 'tiny' in text and 'dB' in text
    # bicubic | tiny | HR of the central quarter, at zoom 1
    h, w = (v // 2 * 2 for v in imread(BIRD).shape[:2])
    assert imread(str(out)).shape == (BAND + h // 2, 3 * (w // 2) + 2 * 4, 3)
    # an unknown generator type is named, without a traceback
    bad = tmp_path / 'bad.py'
    bad.write_text("model = dict(generator=dict(type='MSRResnet'))\n")
    assert tool.main(['--image', BIRD, '--model', 'x', str(bad), ckpt,
                      '--out', str(tmp_path / 'bad.png')]) == 1
    assert "'MSRResnet' is not in srtoolbox's generator registry" in \
        capsys.readouterr().err
    assert not (tmp_path / 'bad.png').exists()
    before = out.read_bytes()
    assert tool.main(argv) == 1  # exists: kept
    assert 'exists' in capsys.readouterr().err
    assert out.read_bytes() == before
