"""DISTS: the network against the authors' dists-pytorch package on a
shared random VGG16 (numbers pinned by tests/models/make_loss_references.py),
the loss, the metric, and the message when the VGG16 file is missing."""
import os.path as osp
import sys

import numpy as np
import pytest
import torch

from srtoolbox.evaluation.dists import DISTSNet, calculate_dists
from srtoolbox.registry import LOSSES, METRICS

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                            'models'))
from loss_reference_inputs import image_pair  # noqa: E402

# dists-pytorch 0.1 with the VGG16 of shared_backbone()
DISTS_REF = [0.011539936065673828, 0.10166335105895996]


@pytest.fixture(scope='module')
def shared_backbone():
    torch.manual_seed(0)  # as make_loss_references.shared_dists_backbone
    return DISTSNet(pretrained=None)


def dists_inputs():
    pred = image_pair(n=2, h=64, w=64, seed=7)[0]
    gt = torch.stack([image_pair(n=1, h=64, w=64, seed=7)[1][0],
                      image_pair(n=1, h=64, w=64, seed=8)[1][0]])
    return pred, gt


def test_dists_equals_the_authors_package(shared_backbone):
    pred, gt = dists_inputs()
    assert shared_backbone(pred, gt).tolist() == pytest.approx(DISTS_REF,
                                                               abs=1e-6)
    assert shared_backbone(gt, gt).tolist() == pytest.approx([0, 0],
                                                             abs=1e-6)
    # input_range (-1, 1) is mapped to [0, 1]
    signed = DISTSNet(pretrained=None, input_range=(-1, 1))
    signed.features.load_state_dict(shared_backbone.features.state_dict())
    assert signed(2 * pred - 1, 2 * gt - 1).tolist() == pytest.approx(
        DISTS_REF, abs=1e-6)


def test_dists_loss_trains_pred_only_and_keeps_no_state(shared_backbone):
    pred, gt = dists_inputs()
    loss = LOSSES.build(dict(type='DISTSLoss', pretrained=None,
                             loss_weight=2.0))
    loss._net_by_device = {torch.device('cpu'): shared_backbone}
    pred = pred.clone().requires_grad_()
    value = loss(pred, gt)
    assert float(value.detach()) == pytest.approx(2 * sum(DISTS_REF) / 2,
                                                  abs=2e-6)
    value.backward()
    assert pred.grad.abs().sum() > 0
    assert list(loss.parameters()) == [] and loss.state_dict() == {}
    assert loss.input_range == (0, 1)


def test_dists_metric_on_uint8_images(shared_backbone):
    pred, gt = dists_inputs()

    def to_uint8(t):
        return (t.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)

    a, b = to_uint8(pred[1]), to_uint8(gt[1])
    direct = calculate_dists(a, b, model=shared_backbone)
    assert direct == pytest.approx(DISTS_REF[1], abs=2e-3)  # quantised
    metric = METRICS.build(dict(type='DISTS', pretrained=None))
    metric._model = shared_backbone
    metric.process(None, [dict(pred=a, gt=b, dataset='Set5', key='x')])
    assert metric.compute_metrics(metric.results) == {
        'Set5/DISTS': pytest.approx(direct, abs=1e-7)}


def test_missing_vgg16_is_named_at_build(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path))
    expected = osp.join(str(tmp_path), 'checkpoints', 'vgg16-397923af.pth')
    with pytest.raises(FileNotFoundError) as err:
        LOSSES.build(dict(type='DISTSLoss'))
    message = str(err.value)
    assert message.startswith('DISTS needs the ImageNet vgg16 weights')
    assert expected in message and '\n' not in message
    # the metric skips with one line, or raises when asked to
    metric = METRICS.build(dict(type='DISTS'))
    assert metric.skip_reason.startswith('DISTS skipped') and \
        expected in metric.skip_reason
    metric.process(None, [dict(pred=None, gt=None)])
    assert metric.compute_metrics(metric.results) == {}
    with pytest.raises(FileNotFoundError, match='vgg16-397923af.pth'):
        METRICS.build(dict(type='DISTS', missing_weights='error'))


def test_dists_matches_the_installed_package_live(shared_backbone):
    pytest.importorskip('DISTS_pytorch')
    from make_loss_references import dists_reference
    pred, gt = dists_inputs()
    assert shared_backbone(pred, gt).tolist() == pytest.approx(
        dists_reference(pred, gt, shared_backbone), abs=1e-6)
