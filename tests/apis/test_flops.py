import torch
from torch import nn

from srtoolbox.apis.flops import count_macs, count_params


def test_count_macs_by_hand():
    model = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1),  # 4*5*5 outputs x 3*3*3 = 2700
        nn.ReLU(),
        nn.Conv2d(4, 2, 1, groups=2),  # 2*5*5 outputs x (4/2)*1*1 = 100
        nn.Flatten(),
        nn.Linear(50, 7))  # 7 outputs x 50 = 350
    model.train()
    before = [p.clone() for p in model.parameters()]
    assert count_macs(model, (1, 3, 5, 5)) == 3150
    assert count_macs(model, (3, 5, 5)) == 3150  # batch of one implied
    assert count_macs(model, (2, 3, 5, 5)) == 6300
    assert model.training  # mode restored
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert all(p.device.type == 'cpu' for p in model.parameters())
    assert count_params(model) == 112 + 6 + 357


def test_count_macs_x4_upsampler():
    from srtoolbox.models.common import Upsample
    # x4 = two (conv 8 -> 32, shuffle) stages at 3x3 then 6x6
    expected = (32 * 3 * 3 + 32 * 6 * 6) * 8 * 9
    assert count_macs(Upsample(4, 8), (1, 8, 3, 3)) == expected
