import csv
import json
import os
import os.path as osp
import runpy
import subprocess
import sys

import numpy as np
import pytest

from srtoolbox.apis.evaluate import (evaluate_folder, format_table,
                                     pair_images, write_results)
from srtoolbox.evaluation.functional import calculate_psnr, calculate_ssim
from srtoolbox.utils import imread, imresize, imwrite

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SET5 = osp.join(REPO, 'data', 'demo', 'Set5')
NAMES = ('baby', 'bird', 'butterfly')


@pytest.fixture(scope='module')
def folders(tmp_path_factory):
    """Set5 ground truth (cropped to multiples of 4) and x4 bicubic
    restorations named ``<stem>_x4.png``."""
    root = tmp_path_factory.mktemp('set5')
    gt_dir, sr_dir = root / 'gt', root / 'sr'
    arrays = {}
    for name in NAMES:
        gt = imread(osp.join(SET5, f'{name}.png'))
        h, w = gt.shape[0] // 4 * 4, gt.shape[1] // 4 * 4
        gt = gt[:h, :w]
        sr = imresize(imresize(gt, 1 / 4), 4)
        imwrite(gt, str(gt_dir / f'{name}.png'))
        imwrite(sr, str(sr_dir / f'{name}_x4.png'))
        arrays[name] = (gt, sr)
    return gt_dir, sr_dir, arrays


def test_matches_direct_metrics(folders):
    gt_dir, sr_dir, arrays = folders
    rows, summary = evaluate_folder(str(gt_dir), str(sr_dir), crop_border=4,
                                    test_y_channel=True, suffix='_x4')
    assert [r['key'] for r in rows] == sorted(NAMES)
    for row in rows:
        gt, sr = arrays[row['key']]
        assert row['PSNR'] == calculate_psnr(sr, gt, 4, True)
        assert row['SSIM'] == calculate_ssim(sr, gt, 4, True)
        assert 20 < row['PSNR'] < 40 and 0.5 < row['SSIM'] < 1
    assert summary['num_images'] == 3
    assert summary['PSNR'] == pytest.approx(np.mean([r['PSNR']
                                                     for r in rows]))
    assert summary['SSIM'] == pytest.approx(np.mean([r['SSIM']
                                                     for r in rows]))
    table = format_table(rows, summary)
    assert 'butterfly' in table and 'mean' in table


def test_write_results(folders, tmp_path):
    gt_dir, sr_dir, _ = folders
    rows, summary = evaluate_folder(str(gt_dir), str(sr_dir), suffix='_x4')
    prefix = str(tmp_path / 'res' / 'set5')
    json_path, csv_path = write_results(rows, summary, prefix)
    with open(json_path, encoding='utf-8') as f:
        data = json.load(f)
    assert data['summary']['PSNR'] == pytest.approx(summary['PSNR'])
    with open(csv_path, encoding='utf-8') as f:
        table = list(csv.DictReader(f))
    assert [r['key'] for r in table] == [r['key'] for r in rows]
    assert float(table[0]['PSNR']) == pytest.approx(rows[0]['PSNR'])
    assert not [n for n in os.listdir(tmp_path / 'res') if 'tmp' in n]
    with pytest.raises(FileExistsError):
        write_results(rows, summary, prefix)


def test_missing_pairs_and_size_mismatch(folders, tmp_path):
    gt_dir, sr_dir, arrays = folders
    with pytest.raises(FileNotFoundError) as err:
        pair_images(str(gt_dir), str(sr_dir))  # no suffix: none match
    assert '3 of 3' in str(err.value) and 'baby.png' in str(err.value)

    partial = tmp_path / 'partial'
    gt, sr = arrays['bird']
    imwrite(sr, str(partial / 'bird_x4.png'))
    imwrite(sr[:-4], str(partial / 'baby_x4.jpg'))  # any extension
    with pytest.raises(FileNotFoundError) as err:
        evaluate_folder(str(gt_dir), str(partial), suffix='_x4')
    assert 'butterfly.png' in str(err.value) and 'bird' not in str(err.value)
    imwrite(sr, str(partial / 'butterfly_x4.png'))
    with pytest.raises(ValueError, match='size mismatch.*baby_x4.jpg'):
        evaluate_folder(str(gt_dir), str(partial), suffix='_x4')


def test_eval_folder_cli(folders, tmp_path):
    gt_dir, sr_dir, _ = folders
    out = str(tmp_path / 'eval')
    res = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'eval_folder.py'), '--gt',
         str(gt_dir), '--restored', str(sr_dir), '--crop-border', '4',
         '--test-y-channel', '--suffix', '_x4', '--out', out],
        capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert 'mean' in res.stdout and 'baby' in res.stdout
    assert osp.isfile(out + '.json') and osp.isfile(out + '.csv')


def test_eval_folder_cli_error(folders, capsys):
    gt_dir, sr_dir, _ = folders
    tool = runpy.run_path(osp.join(REPO, 'tools', 'eval_folder.py'))
    assert tool['main'](['--gt', str(gt_dir), '--restored',
                         str(sr_dir)]) == 1  # no --suffix: no pairs
    assert 'no restored image' in capsys.readouterr().err
