"""#22 smaller: ``eval`` writes strict JSON when images are identical (PSNR
inf): ``null`` plus a ``non_finite`` flag, never ``Infinity``. Real files,
tools/eval_folder.py."""
import json
import os.path as osp
import shutil
import subprocess
import sys

import cv2
import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SET5 = osp.join(REPO, 'data', 'demo', 'Set5')


def _strict(text):
    def refuse(name):
        raise ValueError(f'not JSON: {name}')
    return json.loads(text, parse_constant=refuse)


def test_identical_images_give_null_and_a_flag(tmp_path):
    gt, restored = tmp_path / 'gt', tmp_path / 'restored'
    gt.mkdir()
    restored.mkdir()
    for name in ('bird.png', 'butterfly.png'):
        shutil.copy(osp.join(SET5, name), gt / name)
    shutil.copy(osp.join(SET5, 'bird.png'), restored / 'bird.png')
    noisy = cv2.imread(osp.join(SET5, 'butterfly.png')).astype(np.int16)
    noisy[::7, ::5] += 9
    cv2.imwrite(str(restored / 'butterfly.png'),
                np.clip(noisy, 0, 255).astype(np.uint8))
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'eval_folder.py'), '--gt',
         str(gt), '--restored', str(restored), '--out',
         str(tmp_path / 'res')], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    res = _strict((tmp_path / 'res.json').read_text())
    rows = {r['key']: r for r in res['per_image']}
    assert rows['bird']['PSNR'] is None
    assert rows['bird']['non_finite'] == {'PSNR': 'inf'}
    assert rows['bird']['SSIM'] == 1.0  # finite values are kept
    assert 30 < rows['butterfly']['PSNR'] < 60
    assert 'non_finite' not in rows['butterfly']
    assert res['summary']['PSNR'] is None
    assert res['summary']['non_finite'] == {'PSNR': 'inf'}
    # the CSV keeps the value
    assert 'inf' in (tmp_path / 'res.csv').read_text().splitlines()[1:][0]
