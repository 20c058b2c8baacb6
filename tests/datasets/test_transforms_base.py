"""srtoolbox's transforms are mmcv ``BaseTransform``s (MMagic's way), so
they compose with mmcv's own in one pipeline; what matters for SR is that
every step keeps the HR/LR pair aligned, and mmcv's ``RandomFlip`` (which
flips ``img`` only) is refused instead of silently leaving it unflipped."""
import random

import numpy as np
import pytest
from mmcv.transforms import BaseTransform, Compose, RandomFlip

from srtoolbox.datasets import HRImageDataset
from srtoolbox.registry import TRANSFORMS


def test_every_registered_transform_is_an_mmcv_transform():
    TRANSFORMS.import_from_location()
    own = dict(TRANSFORMS.module_dict)
    assert {'ModCrop', 'PairedRandomCrop', 'BicubicDownsample',
            'RandomFlipRotate', 'PackSRInputs'} <= set(own)
    not_mmcv = [name for name, cls in own.items()
                if not issubclass(cls, BaseTransform)]
    assert not not_mmcv


def _pair(rng, h=8, w=6, scale=4):
    """An LR image and its HR twin made by pixel replication, so that any
    transform that treats both alike keeps ``gt == kron(lq)``."""
    lq = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    return lq, np.kron(lq, np.ones((scale, scale, 1), np.uint8))


def test_mmcv_compose_keeps_the_pair_aligned_through_every_flip():
    rng = np.random.default_rng(0)
    pipeline = Compose([
        TRANSFORMS.build(dict(type='PairedRandomCrop', gt_size=16, scale=4)),
        TRANSFORMS.build(dict(type='RandomFlipRotate')),
    ])
    seen = set()
    random.seed(0)
    for _ in range(64):
        lq, gt = _pair(rng)
        out = pipeline(dict(gt=gt, lq=lq, key='x'))
        assert out['gt'].shape == (16, 16, 3) and out['lq'].shape == (4, 4, 3)
        np.testing.assert_array_equal(
            out['gt'], np.kron(out['lq'], np.ones((4, 4, 1), np.uint8)))
        seen.add(out['lq'].tobytes())
    assert len(seen) > 8  # crops and flips vary


def test_all_eight_dihedral_transforms_occur():
    lq = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    flip = TRANSFORMS.build(dict(type='RandomFlipRotate', keys=('lq', )))
    random.seed(1)
    shapes = {flip(dict(lq=lq.copy()))['lq'].tobytes() for _ in range(200)}
    assert len(shapes) == 8


@pytest.mark.parametrize('step', [
    dict(type='RandomFlip', prob=0.5), dict(type='mmcv.RandomFlip', prob=0.5),
    RandomFlip(prob=0.5)])
def test_mmcv_random_flip_is_refused_naming_the_replacement(step, demo_root):
    with pytest.raises(ValueError) as info:
        HRImageDataset(data_root=demo_root, gt_folder='Set5', scale=4,
                       pipeline=[dict(type='PairedRandomCrop', gt_size=16,
                                      scale=4), step])
    msg = str(info.value)
    assert 'pipeline[1]' in msg and 'RandomFlipRotate' in msg
    assert "results['img'] only" in msg


def test_mmcv_random_flip_would_leave_the_pair_unflipped():
    # why it is refused: mmcv's flip never touches 'gt' or 'lq'
    lq, gt = _pair(np.random.default_rng(1))
    out = RandomFlip(prob=1.0, direction='horizontal')(
        dict(gt=gt.copy(), lq=lq.copy(), img=gt.copy()))
    np.testing.assert_array_equal(out['gt'], gt)
    np.testing.assert_array_equal(out['img'], gt[:, ::-1])
