"""NIQE and LPIPS wherever results are shown: eval_folder, tools/test.py's
table and metric swap, the SRGAN comparison hook, interpolation labels."""
import importlib.util
import os.path as osp
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from srtoolbox.apis.evaluate import evaluate_folder, format_table
from srtoolbox.evaluation import calculate_niqe, calculate_psnr
from srtoolbox.utils import imread, imresize, imwrite

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SET5 = osp.join(REPO, 'data', 'demo', 'Set5')


def _tool(name):
    spec = importlib.util.spec_from_file_location(
        f'{name}_tool', osp.join(REPO, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp('set5')
    arrays = {}
    for name in ('bird', 'woman'):
        gt = imread(osp.join(SET5, f'{name}.png'))
        gt = gt[:gt.shape[0] // 4 * 4, :gt.shape[1] // 4 * 4]
        sr = imresize(imresize(gt, 1 / 4), 4)
        imwrite(gt, str(root / 'gt' / f'{name}.png'))
        imwrite(sr, str(root / 'sr' / f'{name}_x4.png'))
        arrays[name] = (gt, sr)
    return root, arrays


@pytest.fixture
def no_lpips_weights(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path))


def test_eval_folder_niqe_and_lpips_skipped(folders, no_lpips_weights,
                                            capsys):
    root, arrays = folders
    rows, summary = evaluate_folder(
        str(root / 'gt'), str(root / 'sr'), crop_border=4,
        test_y_channel=True, suffix='_x4',
        metrics=('PSNR', 'SSIM', 'NIQE', 'LPIPS'))
    for row in rows:
        gt, sr = arrays[row['key']]
        assert row['NIQE'] == calculate_niqe(sr, 4)  # of the SR image only
        assert row['PSNR'] == calculate_psnr(sr, gt, 4, True)
        assert 'LPIPS' not in row
    assert summary['NIQE'] == pytest.approx(np.mean([r['NIQE']
                                                     for r in rows]))
    assert 'alexnet-owt-7be5be79.pth' in summary['skipped']['LPIPS']
    table = format_table(rows, summary).splitlines()
    assert table[0].split() == ['image', 'PSNR', 'SSIM', 'NIQE']
    assert table[-1].startswith('LPIPS skipped')
    assert len(table) == 1 + len(rows) + 1 + 1
    with pytest.raises(ValueError, match='choose from PSNR, SSIM, NIQE'):
        evaluate_folder(str(root / 'gt'), str(root / 'sr'), suffix='_x4',
                        metrics=['FID'])
    # the command line
    tool = _tool('eval_folder')
    assert tool.main(['--gt', str(root / 'gt'), '--restored',
                      str(root / 'sr'), '--suffix', '_x4', '--metrics',
                      'NIQE', 'LPIPS']) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ['image', 'NIQE']
    assert 'LPIPS skipped' in out


def test_eval_folder_names_an_image_too_small_for_niqe(tmp_path):
    img = np.random.default_rng(0).integers(0, 256, (100, 100, 3), np.uint8)
    imwrite(img, str(tmp_path / 'gt' / 'a.png'))
    imwrite(img, str(tmp_path / 'sr' / 'a.png'))
    with pytest.raises(ValueError, match=r'NIQE of .*a\.png: .*two 96x96'):
        evaluate_folder(str(tmp_path / 'gt'), str(tmp_path / 'sr'),
                        metrics=['NIQE'])


def test_test_tool_metrics_and_table():
    tool = _tool('test')
    evaluator = [dict(type='PSNR', crop_border=4, test_y_channel=True),
                 dict(type='SSIM', crop_border=4, test_y_channel=True)]
    assert tool.replace_metrics(evaluator, ['PSNR', 'NIQE', 'LPIPS']) == [
        dict(type=m, crop_border=4, test_y_channel=True)
        for m in ('PSNR', 'NIQE', 'LPIPS')]
    table = tool.format_summary({'Set5/PSNR': 28.4, 'Set5/NIQE': 7.3407,
                                 'Set14/PSNR': 26.0, 'Set14/NIQE': 7.1})
    lines = table.splitlines()
    assert lines[0].split() == ['dataset', 'PSNR', 'NIQE']
    assert lines[1].split() == ['Set5', '28.40', '7.3407']
    assert tool.parse_args(['c.py', 'k.pth', '--metrics', 'NIQE']).metrics \
        == ['NIQE']


class _Upsampler(torch.nn.Module):
    """A 'reference generator': nearest-neighbour x4 (one parameter so the
    hook can find its device)."""

    def __init__(self):
        super().__init__()
        self.unused = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return torch.nn.functional.interpolate(x, scale_factor=4)


def test_comparison_hook_prints_niqe(no_lpips_weights, tmp_path):
    from srtoolbox.engine.gan_hooks import (ReferenceComparisonHook,
                                            format_comparison)
    hook = ReferenceComparisonHook(
        model_name='SRGAN', crop_size=16, num_images=0,
        metrics=['PSNR', 'SSIM', 'NIQE', 'LPIPS'])
    hook.reference_network = lambda model: (_Upsampler(), None)
    gt = imread(osp.join(SET5, 'bird.png'))
    lq = imresize(gt, 1 / 4)
    tiny = gt[:64, :64]
    hook.before_val_epoch(None)
    hook.after_val_iter(None, 0, outputs=[
        dict(pred=imresize(lq, 4), gt=gt, lq=lq, key='bird',
             dataset='Set5'),
        dict(pred=tiny, gt=tiny, lq=imresize(tiny, 1 / 4), key='tiny',
             dataset='Set5')])
    model = SimpleNamespace(data_preprocessor=SimpleNamespace(
        output_to_unit=lambda x: x))
    warnings = []
    logger = SimpleNamespace(warning=warnings.append)
    table, names = hook.compare(model, str(tmp_path), logger)
    assert names == ['bicubic', 'SRResNet', 'SRGAN']
    assert hook.measured == ('PSNR', 'SSIM', 'NIQE')
    assert warnings[0].startswith('LPIPS skipped')
    # the tiny image cannot have a NIQE: NaN, left out of the mean, named
    assert any('NIQE of bicubic on Set5/tiny' in w for w in warnings)
    bicubic = imresize(lq, 4)
    assert table['Set5']['bicubic'][2] == pytest.approx(
        calculate_niqe(bicubic, 4))
    text = format_comparison(table, names, 'Y channel, crop 4',
                             hook.measured)
    lines = text.splitlines()
    assert lines[0].startswith('PSNR/SSIM/NIQE (Y channel, crop 4; lower '
                               'is better for NIQE)')
    assert lines[2].split() == ['PSNR', 'SSIM', 'NIQE'] * 3
    assert f'{calculate_niqe(bicubic, 4):.4f}' in lines[3]
    with pytest.raises(ValueError, match='unknown metric'):
        ReferenceComparisonHook(metrics=['PSNR', 'NIQ'])


def test_srgan_demo_config_asks_for_niqe():
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'srgan',
                                   'srgan_x4_demo.py'))
    hook = next(h for h in cfg.custom_hooks
                if h['type'] == 'ReferenceComparisonHook')
    assert 'NIQE' in hook['metrics']
    assert 'NIQE' in [m['type'] for m in cfg.val_evaluator]


def test_compare_models_labels_niqe(tmp_path):
    from collections import OrderedDict

    from srtoolbox.apis.compare import compare_models
    from srtoolbox.models.generators import SRResNet
    torch.manual_seed(0)
    net = SRResNet(num_feat=4, num_blocks=1, upscale=2)
    ckpt = tmp_path / 'net.pth'
    torch.save({'state_dict': OrderedDict(
        ('generator.' + k, v) for k, v in net.state_dict().items())}, ckpt)
    cfg = tmp_path / 'tiny.py'
    cfg.write_text("model = dict(generator=dict(type='SRResNet', num_feat=4, "
                   "num_blocks=1, upscale=2), data_preprocessor=dict("
                   "type='SRDataPreprocessor', gt_range=[0.0, 1.0]))\n")
    hr = imread(osp.join(SET5, 'bird.png'))
    _, rows = compare_models([('a=0', str(cfg), str(ckpt))], hr,
                             crop=(0, 0, 32, 32), zoom=1, niqe=True)
    assert [r['label'] for r in rows] == ['bicubic', 'a=0', 'HR']
    assert rows[2]['niqe'] == pytest.approx(calculate_niqe(hr, 2))
    assert rows[0]['niqe'] == pytest.approx(
        calculate_niqe(imresize(imresize(hr, 1 / 2), 2), 2))


def test_bicubic_hook_metric_list(no_lpips_weights, tmp_path):
    """What a demo (e.g. Real-ESRGAN's) gets from metrics=[..., 'NIQE']:
    PSNR from the validation, NIQE computed from its predictions."""
    from srtoolbox.engine.hooks import BicubicComparisonHook
    hook = BicubicComparisonHook(crop_border=4,
                                 metrics=['PSNR', 'NIQE', 'LPIPS'])
    gt = imread(osp.join(SET5, 'bird.png'))
    lq = imresize(gt, 1 / 4)
    pred = imresize(lq, 4)[:, ::-1].copy()  # any image of the right size

    def tensor(img):
        return torch.from_numpy(img.transpose(2, 0, 1) / 255.).float()
    dataset = [dict(inputs=tensor(lq),
                    data_samples=dict(gt=tensor(gt), dataset='Set5'))]
    hook.before_val_epoch(None)
    hook.after_val_iter(None, 0, outputs=[dict(pred=pred, gt=gt, lq=lq,
                                               dataset='Set5')])
    hook.after_val_epoch(None, {'Set5/PSNR': 30.0})
    warnings = []
    bicubic = hook.bicubic_metrics(dataset, warnings.append)
    assert warnings[0].startswith('LPIPS skipped')
    assert bicubic['Set5']['NIQE'] == pytest.approx(
        calculate_niqe(imresize(lq, 4), 4))
    assert bicubic['Set5']['PSNR'] == pytest.approx(
        calculate_psnr(imresize(lq, 4), gt, 4, True))
    model = hook.model_metrics(['Set5'], warnings.append)
    assert model == {'Set5': {'PSNR': 30.0,
                              'NIQE': pytest.approx(calculate_niqe(pred, 4))}}


def test_bicubic_hook_too_small_for_niqe_is_one_line(no_lpips_weights):
    from srtoolbox.engine.hooks import BicubicComparisonHook
    hook = BicubicComparisonHook(metrics=['PSNR', 'NIQE'])
    gt = imread(osp.join(SET5, 'bird.png'))[:128, :128]

    def tensor(img):
        return torch.from_numpy(img.transpose(2, 0, 1) / 255.).float()
    dataset = [dict(inputs=tensor(imresize(gt, 1 / 4)),
                    data_samples=dict(gt=tensor(gt), dataset='val'))] * 3
    warnings = []
    values = hook.bicubic_metrics(dataset, warnings.append)
    assert np.isnan(values['val']['NIQE']) and values['val']['PSNR'] > 20
    assert len(warnings) == 1
    assert warnings[0].startswith('NIQE: 3 of 3 images of val count as NaN')
