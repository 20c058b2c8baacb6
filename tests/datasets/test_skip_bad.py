"""``skip_bad=True``: folder datasets leave out unreadable images, each
named in the log, counted in the summary and listed in ``dataset.skipped``.
A real folder of photographs with real corrupt files."""
import glob
import os.path as osp
import shutil
import uuid

import numpy as np
import pytest
from mmengine.logging import MMLogger

from srtoolbox.datasets import HRImageDataset, PairedImageDataset
from srtoolbox.utils import ImageReadError, imread, imwrite

TEST = [dict(type='ModCrop', scale=4), dict(type='BicubicDownsample', scale=4),
        dict(type='PackSRInputs')]


def _log(tmp_path):
    """A fresh current logger writing to a file; returns its path."""
    path = tmp_path / f'{uuid.uuid4().hex}.log'
    MMLogger.get_instance(f'skip-bad-{uuid.uuid4().hex}', log_file=str(path))
    return path


def _folder_with_corrupt_files(demo_root, tmp_path):
    folder = tmp_path / 'hr'
    folder.mkdir()
    for name in ('baby.png', 'bird.png', 'head.png'):
        shutil.copy(osp.join(demo_root, 'Set5', name), folder / name)
    (folder / 'broken.png').write_bytes(b'not a png at all')
    # a real JPEG cut short, as an interrupted copy leaves it
    jpeg = sorted(glob.glob(osp.join(demo_root, 'SunHays80', '*.jpg')))[0]
    with open(jpeg, 'rb') as f:
        (folder / 'cut.jpg').write_bytes(f.read(200))
    return folder


def test_hr_dataset_skips_unreadable_images(demo_root, tmp_path):
    folder = _folder_with_corrupt_files(demo_root, tmp_path)
    # without the option nothing is checked up front: the image is named
    # when it is read
    plain = HRImageDataset(gt_folder=str(folder), scale=4, pipeline=TEST,
                           test_mode=True)
    assert len(plain) == 5 and plain.skipped == []
    idx = [d['key'] for d in plain.data_list].index('broken')
    with pytest.raises(ImageReadError, match=r'broken\.png'):
        plain[idx]

    log = _log(tmp_path)
    ds = HRImageDataset(gt_folder=str(folder), scale=4, pipeline=TEST,
                        test_mode=True, skip_bad=True)
    assert [d['key'] for d in ds.data_list] == ['baby', 'bird', 'head']
    assert [osp.basename(p) for p, _ in ds.skipped] == ['broken.png',
                                                        'cut.jpg']
    assert all('decode' in reason for _, reason in ds.skipped)
    text = log.read_text()
    assert f'skipping unreadable image {folder / "broken.png"}' in text
    assert f'skipping unreadable image {folder / "cut.jpg"}' in text
    assert 'skipped 2 unreadable image(s) of 5 (skip_bad=True); 3 left' \
        in text and 'WARNING' in text
    for i in range(len(ds)):  # every image left reads
        assert ds[i]['data_samples']['gt'].shape[0] == 3


def test_paired_dataset_skips_a_pair_with_an_unreadable_side(demo_root,
                                                             tmp_path):
    hr, lr = tmp_path / 'hr', tmp_path / 'lr'
    for name in ('baby', 'bird', 'head'):
        img = imread(osp.join(demo_root, 'Set5', name + '.png'))
        h, w = img.shape[0] // 4 * 4, img.shape[1] // 4 * 4
        imwrite(img[:h, :w], hr / f'{name}.png')
        imwrite(np.ascontiguousarray(img[:h:4, :w:4]), lr / f'{name}.png')
    (lr / 'bird.png').write_bytes(b'\x89PNG\r\n\x1a\n truncated')
    log = _log(tmp_path)
    ds = PairedImageDataset(gt_folder=str(hr), lq_folder=str(lr), scale=4,
                            pipeline=[dict(type='PackSRInputs')],
                            test_mode=True, skip_bad=True)
    assert [d['key'] for d in ds.data_list] == ['baby', 'head']
    assert [p for p, _ in ds.skipped] == [str(lr / 'bird.png')]
    assert f'skipping unreadable image {lr / "bird.png"}' in log.read_text()
    # nothing readable at all: an error listing them, not an empty dataset
    for name in ('baby', 'head'):
        (hr / f'{name}.png').write_bytes(b'')
    with pytest.raises(ImageReadError, match=r'(?s)none of the 3.*baby\.png'
                       r'.*bird\.png.*head\.png'):
        PairedImageDataset(gt_folder=str(hr), lq_folder=str(lr), scale=4,
                           skip_bad=True)
