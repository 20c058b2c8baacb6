import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

from srtoolbox.datasets import HRImageDataset, PairedImageDataset
from srtoolbox.datasets.transforms import (PairedRandomCrop,
                                           RandomFlipRotate)
from srtoolbox.datasets.transforms.crop import SmallImageError
from srtoolbox.utils import ImageReadError, imread, imresize

TRAIN = [dict(type='PairedRandomCrop', gt_size=32, scale=4),
         dict(type='BicubicDownsample', scale=4),
         dict(type='RandomFlipRotate'),
         dict(type='PackSRInputs')]
TEST = [dict(type='ModCrop', scale=4), dict(type='BicubicDownsample', scale=4),
        dict(type='PackSRInputs')]


def _copy(demo_root, tmp_path, names, folder='hr'):
    dst = tmp_path / folder
    dst.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(osp.join(demo_root, 'Set5', name), dst / name)
    return str(dst)


def test_hr_dataset_training_sample(demo_root):
    ds = HRImageDataset(data_root=demo_root, gt_folder='SunHays80', scale=4,
                        pipeline=TRAIN)
    assert len(ds) == 80 and ds.name == 'SunHays80'
    item = ds[3]
    lq, gt = item['inputs'], item['data_samples']['gt']
    assert lq.shape == (3, 8, 8) and gt.shape == (3, 32, 32)
    assert lq.dtype == gt.dtype and lq.min() >= 0 and lq.max() <= 1
    # the LR patch is the MATLAB bicubic of the HR patch, rounded to 8 bits
    gt8 = (gt.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    lq8 = (lq.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    np.testing.assert_array_equal(lq8, imresize(gt8, 1 / 4))
    assert item['data_samples']['gt_path'].endswith('.jpg')


def test_val_pipeline_grayscale_image_becomes_rgb(demo_root):
    ds = HRImageDataset(data_root=demo_root, gt_folder='Set14', scale=4,
                        pipeline=TEST, test_mode=True)
    idx = [d['key'] for d in ds.data_list].index('bridge')
    item = ds[idx]
    gt = item['data_samples']['gt']
    assert gt.shape[0] == 3 and gt.shape[1] % 4 == 0 and gt.shape[2] % 4 == 0
    assert np.array_equal(gt[0], gt[1]) and np.array_equal(gt[1], gt[2])
    assert item['inputs'].shape[1:] == (gt.shape[1] // 4, gt.shape[2] // 4)


def test_rgba_and_16bit_are_converted_by_the_rule(demo_root, tmp_path):
    rgb = imread(osp.join(demo_root, 'Set5', 'bird.png'))
    bgr = rgb[:, :, ::-1]
    alpha = np.full(rgb.shape[:2] + (1,), 7, np.uint8)
    cv2.imwrite(str(tmp_path / 'rgba.png'), np.concatenate([bgr, alpha], 2))
    cv2.imwrite(str(tmp_path / 'deep.png'), bgr.astype(np.uint16) * 257)
    np.testing.assert_array_equal(imread(tmp_path / 'rgba.png'), rgb)
    np.testing.assert_array_equal(imread(tmp_path / 'deep.png'), rgb)
    cv2.imwrite(str(tmp_path / 'float.tiff'), bgr.astype(np.float32))
    with pytest.raises(ImageReadError, match='float.tiff.*unsupported'):
        imread(tmp_path / 'float.tiff')


def test_small_hr_image_error_pad_and_skip(demo_root, tmp_path):
    folder = _copy(demo_root, tmp_path, ['baby.png'])
    small = imread(osp.join(demo_root, 'Set5', 'bird.png'))[:20, :24]
    cv2.imwrite(osp.join(folder, 'small.png'), small[:, :, ::-1])
    ds = HRImageDataset(gt_folder=folder, scale=4, pipeline=TRAIN)
    idx = [d['key'] for d in ds.data_list].index('small')
    with pytest.raises(SmallImageError, match=r'small\.png.*24x20.*gt_size=32'):
        ds[idx]
    padded = HRImageDataset(gt_folder=folder, scale=4, pipeline=[
        dict(TRAIN[0], small_image='pad')] + TRAIN[1:])
    assert padded[idx]['data_samples']['gt'].shape == (3, 32, 32)
    skipping = HRImageDataset(gt_folder=folder, scale=4, pipeline=[
        dict(TRAIN[0], small_image='skip')] + TRAIN[1:])
    item = skipping[idx]  # mmengine draws another sample instead
    assert item['data_samples']['key'] == 'baby'
    assert skipping.pipeline.transforms[0].num_skipped >= 1


def test_unreadable_file_is_named(tmp_path, demo_root):
    folder = _copy(demo_root, tmp_path, ['baby.png'])
    with open(osp.join(folder, 'broken.png'), 'wb') as f:
        f.write(b'not a png at all')
    ds = HRImageDataset(gt_folder=folder, scale=4, pipeline=TEST,
                        test_mode=True)
    idx = [d['key'] for d in ds.data_list].index('broken')
    with pytest.raises(ImageReadError, match=r'broken\.png.*could not be '
                       'decoded'):
        ds[idx]


def test_empty_and_missing_folders(tmp_path):
    (tmp_path / 'empty').mkdir()
    (tmp_path / 'empty' / 'notes.txt').write_text('no images here')
    with pytest.raises(FileNotFoundError, match='empty: no images found'):
        HRImageDataset(gt_folder=str(tmp_path / 'empty'), scale=4)
    with pytest.raises(FileNotFoundError, match='nowhere does not exist'):
        HRImageDataset(gt_folder=str(tmp_path / 'nowhere'), scale=4)


def _make_pairs(demo_root, tmp_path, tmpl='{}x4', scale=4):
    hr_dir = _copy(demo_root, tmp_path, ['baby.png', 'head.png'])
    lr_dir = tmp_path / 'lr'
    lr_dir.mkdir()
    for name in ('baby', 'head'):
        hr = imread(osp.join(hr_dir, name + '.png'))
        h, w = hr.shape[:2]
        lr = imresize(hr[:h - h % scale, :w - w % scale], 1 / scale)
        cv2.imwrite(str(lr_dir / (tmpl.format(name) + '.png')),
                    lr[:, :, ::-1])
    return hr_dir, str(lr_dir)


def test_paired_dataset_filename_template(demo_root, tmp_path):
    hr_dir, lr_dir = _make_pairs(demo_root, tmp_path)
    ds = PairedImageDataset(gt_folder=hr_dir, lq_folder=lr_dir, scale=4,
                            filename_tmpl='{}x4', pipeline=[
                                dict(type='PackSRInputs')], test_mode=True)
    assert len(ds) == 2
    item = ds[1]
    assert item['data_samples']['key'] == 'head'
    assert item['data_samples']['lq_path'].endswith('headx4.png')
    assert item['data_samples']['gt'].shape[1] == 4 * item['inputs'].shape[1]
    with pytest.raises(FileNotFoundError, match=r"'\{\}_LR'\): baby -> baby_LR"):
        PairedImageDataset(gt_folder=hr_dir, lq_folder=lr_dir, scale=4,
                           filename_tmpl='{}_LR')


def test_paired_dataset_wrong_scale_names_both_files(demo_root, tmp_path):
    hr_dir, lr_dir = _make_pairs(demo_root, tmp_path, tmpl='{}', scale=2)
    ds = PairedImageDataset(gt_folder=hr_dir, lq_folder=lr_dir, scale=4,
                            pipeline=[dict(type='PackSRInputs')],
                            test_mode=True)
    with pytest.raises(ValueError, match=r'lr/baby\.png.*times scale 4.*'
                       r'hr/baby\.png'):
        ds[0]


def test_crop_and_augment_keep_pairs_aligned():
    rng = np.random.default_rng(0)
    lq = rng.integers(0, 256, (10, 12, 3), dtype=np.uint8)
    gt = np.kron(lq, np.ones((4, 4, 1), np.uint8))  # each LR pixel -> 4x4
    crop = PairedRandomCrop(gt_size=16, scale=4)
    aug = RandomFlipRotate()
    for _ in range(20):
        res = aug(crop(dict(gt=gt, lq=lq)))
        assert res['gt'].shape == (16, 16, 3) and res['lq'].shape == (4, 4, 3)
        np.testing.assert_array_equal(res['gt'][::4, ::4], res['lq'])
    with pytest.raises(ValueError, match='does not match HR'):
        crop(dict(gt=gt[:36], lq=lq))
    with pytest.raises(ValueError, match='not a multiple of scale'):
        PairedRandomCrop(gt_size=18, scale=4)


def test_storage_is_detected_from_the_path(demo_root, tmp_path):
    from srtoolbox.datasets import create_lmdb
    folder = _copy(demo_root, tmp_path, ['baby.png', 'bird.png'])
    create_lmdb(folder, str(tmp_path / 'hr.lmdb'), workers=1)
    as_folder = HRImageDataset(gt_folder=folder, scale=4, pipeline=TEST,
                               test_mode=True)
    as_lmdb = HRImageDataset(gt_folder=str(tmp_path / 'hr.lmdb'), scale=4,
                             pipeline=TEST, test_mode=True)
    assert type(as_lmdb.gt_store).__name__ == 'LmdbStore'
    assert [d['key'] for d in as_lmdb.data_list] == ['baby', 'bird']
    for i in range(2):
        assert (as_folder[i]['data_samples']['gt'] ==
                as_lmdb[i]['data_samples']['gt']).all()
