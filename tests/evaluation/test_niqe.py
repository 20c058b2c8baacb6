"""NIQE: values pinned against BasicSR 1.4.2's ``calculate_niqe``.

The references were computed once with ``basicsr==1.4.2`` (installed with
``--no-deps``) on the same arrays: ``calculate_niqe(bgr, crop_border)``,
``convert_to='y'``. ``bicubic`` is the x4 reconstruction: HR cropped to a
multiple of 4, ``srtoolbox.utils.imresize`` down then up, 8 bits between.
"""
import os.path as osp

import numpy as np
import pytest

from srtoolbox.evaluation import NIQE, calculate_niqe
from srtoolbox.registry import METRICS
from srtoolbox.utils import imread, imresize

# (image, variant, crop_border, BasicSR 1.4.2 value)
BASICSR = [
    ('Set5/baby.png', 'hr', 0, 3.265489),
    ('Set5/baby.png', 'bicubic', 0, 7.341634),
    ('Set5/head.png', 'hr', 0, 8.350491),  # flat background
    ('Set5/bird.png', 'hr', 4, 5.283072),
    ('Set5/woman.png', 'bicubic', 0, 7.781026),  # 228x344: partial blocks
    ('Set14/bridge.png', 'hr', 0, 2.486399),  # grayscale PNG
]


def _load(demo_root, name, variant):
    img = imread(osp.join(demo_root, name))
    if variant == 'bicubic':
        h, w = img.shape[:2]
        img = img[:h - h % 4, :w - w % 4]
        img = imresize(imresize(img, 1 / 4), 4)
    return img


def test_issue_reference_values(demo_root):
    """The figures of issue #16 (BasicSR 1.4.2, Y, crop 0)."""
    assert calculate_niqe(_load(demo_root, 'Set5/baby.png', 'hr')) == \
        pytest.approx(3.2656, abs=1e-3)
    assert calculate_niqe(_load(demo_root, 'Set5/baby.png', 'bicubic')) == \
        pytest.approx(7.3407, abs=1e-3)


@pytest.mark.parametrize('name,variant,crop,expected', BASICSR)
def test_matches_basicsr(demo_root, name, variant, crop, expected):
    img = _load(demo_root, name, variant)
    assert calculate_niqe(img, crop) == pytest.approx(expected, abs=1e-3)


@pytest.fixture(scope='module')
def patch():
    img = imread(osp.join(osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))), 'data', 'demo', 'Set5', 'baby.png'))
    return img[100:300, 50:250]  # 200x200: four blocks


def test_crop_border_and_channel_order(patch):
    value = calculate_niqe(patch)
    assert calculate_niqe(patch, crop_border=3) == pytest.approx(
        calculate_niqe(patch[3:-3, 3:-3]))
    assert calculate_niqe(patch[..., ::-1], channel_order='bgr') == value
    assert calculate_niqe(patch.astype(np.float32)) == pytest.approx(value)
    # Y weights R, G, B differently: swapping them changes the score
    assert calculate_niqe(patch[..., ::-1]) != pytest.approx(value, abs=1e-3)


def test_odd_formats_follow_imread(patch):
    """Gray, gray+alpha, RGBA and 16-bit as srtoolbox.utils.imread reads
    them: replicated gray, alpha dropped, round(v / 257)."""
    gray = patch[..., 1]
    gray3 = np.repeat(gray[..., None], 3, axis=2)
    expected = calculate_niqe(gray3)
    assert calculate_niqe(gray) == expected
    assert calculate_niqe(gray[..., None]) == expected
    alpha = np.full_like(gray, 7)
    assert calculate_niqe(np.stack([gray, alpha], axis=2)) == expected
    rgba = np.concatenate([patch, np.zeros_like(patch[..., :1])], axis=2)
    assert calculate_niqe(rgba) == calculate_niqe(patch)
    assert calculate_niqe(patch.astype(np.uint16) * 257) == \
        calculate_niqe(patch)
    with pytest.raises(ValueError, match='pixel type int32'):
        calculate_niqe(patch.astype(np.int32))


def test_too_small_is_a_named_error(patch):
    calculate_niqe(patch[:96, :192])  # exactly two blocks: fine
    with pytest.raises(ValueError, match='at least two 96x96 blocks'):
        calculate_niqe(patch[:191, :191])
    with pytest.raises(ValueError, match='crop_border=4'):
        calculate_niqe(patch[:96, :192], crop_border=4)
    with pytest.raises(ValueError, match='flat'):
        calculate_niqe(np.full((192, 192, 3), 128, np.uint8))


def test_metric_needs_no_ground_truth(patch):
    metric = METRICS.build(dict(type='NIQE', crop_border=2))
    assert isinstance(metric, NIQE)
    samples = [dict(pred=patch, dataset='Set5', key='a'),
               dict(pred=patch[:, ::-1], dataset='Set5', key='b'),
               dict(pred=patch[::-1], dataset='Set14', key='c')]
    metric.process({}, samples)
    res = metric.compute_metrics(metric.results)
    assert set(res) == {'Set5/NIQE', 'Set14/NIQE'}
    assert res['Set5/NIQE'] == pytest.approx(np.mean(
        [calculate_niqe(s['pred'], 2) for s in samples[:2]]))
    with pytest.raises(ValueError, match='NIQE of Set5/tiny'):
        metric.process({}, [dict(pred=patch[:100, :100], dataset='Set5',
                                 key='tiny')])
