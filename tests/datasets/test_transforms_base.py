"""srtoolbox's transforms are mmcv ``BaseTransform``s (MMagic's way), so
they compose with mmcv's and mmagic's own transforms in one pipeline."""
import numpy as np
from mmcv.transforms import BaseTransform, Compose, RandomFlip

from srtoolbox.registry import TRANSFORMS


def test_every_registered_transform_is_an_mmcv_transform():
    TRANSFORMS.import_from_location()
    own = dict(TRANSFORMS.module_dict)
    assert {'ModCrop', 'PairedRandomCrop', 'BicubicDownsample',
            'RandomFlipRotate', 'PackSRInputs'} <= set(own)
    not_mmcv = [name for name, cls in own.items()
                if not issubclass(cls, BaseTransform)]
    assert not not_mmcv


def test_srtoolbox_and_mmcv_transforms_share_a_pipeline(demo_root):
    from srtoolbox.utils import imread
    gt = imread(f'{demo_root}/Set5/baby.png')
    pipeline = Compose([
        TRANSFORMS.build(dict(type='ModCrop', scale=4)),
        # mmcv's own flip works on 'img': the HR image under that name
        RandomFlip(prob=1.0, direction='horizontal'),
    ])
    out = pipeline(dict(gt=gt, img=gt.copy()))
    h, w = out['gt'].shape[:2]
    assert h % 4 == 0 and w % 4 == 0
    np.testing.assert_array_equal(out['img'], gt[:, ::-1])
