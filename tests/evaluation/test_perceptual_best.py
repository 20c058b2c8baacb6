"""PerceptualBest: LPIPS where its weights are present, else NIQE, under
the key GAN configs keep their best checkpoint by."""
import os.path as osp

import cv2
import pytest
from mmengine.logging import MMLogger

from srtoolbox.evaluation import PerceptualBest
from srtoolbox.evaluation.niqe import calculate_niqe


def test_without_lpips_weights_it_is_niqe_and_says_so(demo_root, tmp_path,
                                                      capsys):
    MMLogger.get_instance('perceptual-best-test')
    img = cv2.imread(osp.join(demo_root, 'Set5', 'baby.png'))[..., ::-1]
    metric = PerceptualBest(crop_border=4,
                            pretrained=str(tmp_path / 'missing.pth'))
    assert metric.metric_name == 'NIQE'
    assert 'best checkpoint by NIQE' in capsys.readouterr().out
    metric.process({}, [dict(pred=img, gt=img, dataset='Set5', key='baby')])
    out = metric.evaluate(1)
    expected = calculate_niqe(img, crop_border=4)
    assert out['Set5/NIQE'] == pytest.approx(expected)
    assert out['perceptual'] == pytest.approx(expected)
    assert not metric.results  # mmengine cleared the shared list
