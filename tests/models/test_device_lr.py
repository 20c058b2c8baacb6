"""LR made on the device (BicubicDownsample(on_device=True): the data
preprocessor resizes at the scale the batch carries) gives the batches the
data workers would."""
import os.path as osp
import random

import pytest
import torch
from torch.utils.data import default_collate

from srtoolbox.datasets.transforms import (BicubicDownsample, PackSRInputs,
                                           RandomFlipRotate)
from srtoolbox.models.data_preprocessor import SRDataPreprocessor
from srtoolbox.utils import imread

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _samples(on_device, seed=3):
    """Four packed 96x96 crops of Set14 images, flipped/rotated by seed."""
    random.seed(seed)
    steps = [BicubicDownsample(4, on_device=on_device), RandomFlipRotate(),
             PackSRInputs()]
    out = []
    for name, (y, x) in (('baboon', (10, 20)), ('comic', (40, 8)),
                         ('lenna', (200, 300)), ('zebra', (100, 100))):
        img = imread(osp.join(REPO, 'data', 'demo', 'Set14', name + '.png'))
        results = dict(gt=img[y:y + 96, x:x + 96], key=name)
        for step in steps:
            results = step(results)
        out.append(results)
    return default_collate(out)


def test_device_lr_equals_the_workers_lr_bit_for_bit():
    workers = SRDataPreprocessor()(_samples(on_device=False), True)
    device_batch = _samples(on_device=True)
    assert device_batch['inputs'].numel() == 0  # nothing resized in workers
    # the pipeline's one switch is enough: the batch carries its scale
    device = SRDataPreprocessor()(device_batch, True)
    assert device['inputs'].shape == (4, 3, 24, 24)
    assert 'lq_scale' not in device['data_samples']
    torch.testing.assert_close(device['inputs'], workers['inputs'], rtol=0,
                               atol=0)
    torch.testing.assert_close(device['data_samples']['gt'],
                               workers['data_samples']['gt'], rtol=0, atol=0)
    # the model runs its data preprocessor inside the step's autocast
    # region: the resize must not drop to bf16 there
    with torch.autocast('cpu', dtype=torch.bfloat16):
        in_autocast = SRDataPreprocessor()(_samples(on_device=True), True)
    assert torch.equal(in_autocast['inputs'], workers['inputs'])
    # an explicit lq_from_gt that agrees changes nothing
    agreed = SRDataPreprocessor(lq_from_gt=4)(_samples(on_device=True), True)
    assert torch.equal(agreed['inputs'], workers['inputs'])
    # a paired batch (validation) keeps its own LR
    paired = SRDataPreprocessor(lq_from_gt=4)(_samples(False), True)
    assert torch.equal(paired['inputs'], workers['inputs'])


def test_missing_or_conflicting_scale_is_named():
    batch = _samples(on_device=True)
    del batch['data_samples']['lq_scale']  # a pipeline of one's own
    with pytest.raises(ValueError, match='lq_from_gt'):
        SRDataPreprocessor()(batch, True)
    assert SRDataPreprocessor(lq_from_gt=4)(batch, True)['inputs'].shape == (
        4, 3, 24, 24)
    with pytest.raises(ValueError, match=r'lq_from_gt=2 but .*scale=4'):
        SRDataPreprocessor(lq_from_gt=2)(_samples(on_device=True), True)
    with pytest.raises(ValueError, match='lq_from_gt must be the integer'):
        SRDataPreprocessor(lq_from_gt=0.25)


def test_unit_range_is_passed_through_and_other_ranges_mapped():
    gt = torch.rand(2, 3, 8, 8)
    batch = dict(inputs=torch.rand(2, 3, 2, 2), data_samples=dict(gt=gt))
    out = SRDataPreprocessor()(batch, True)['data_samples']
    assert torch.equal(out['gt'], gt) and torch.equal(out['gt_unit'], gt)
    out = SRDataPreprocessor(gt_range=(-1, 1))(batch, True)['data_samples']
    torch.testing.assert_close(out['gt'], gt * 2 - 1)
