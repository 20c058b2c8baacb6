"""conv + pixel shuffle in reduced precision on channels-last tensors moves
blocks of channels (models/common.py ``conv_pixel_shuffle``, #24.3): the
same output and weight gradients as ``pixel_shuffle(conv(x))``, fp32
untouched."""
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from srtoolbox.models import common
from srtoolbox.models.common import Upsample, conv_pixel_shuffle
from srtoolbox.models.generators import MSRResNet


def _run(fn, conv, x, bf16, inplace_after=False):
    conv.zero_grad()
    x = x.clone().requires_grad_(True)
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
        y = fn(x)
        if inplace_after:  # MSRResNet's LeakyReLU(inplace=True)
            y = F.leaky_relu_(y, 0.1)
    weights = torch.linspace(-1, 1, y.numel()).view(y.shape)
    (y.float() * weights).sum().backward()
    return y.detach(), x.grad, conv.weight.grad.clone(), conv.bias.grad


@pytest.mark.parametrize('factor', [2, 3])
@pytest.mark.parametrize('inplace_after', [False, True])
def test_blocks_give_the_shuffles_values_and_weight_gradients(
        factor, inplace_after):
    torch.manual_seed(0)
    conv = nn.Conv2d(8, 8 * factor * factor, 3, 1, 1).to(
        memory_format=torch.channels_last)
    x = torch.randn(2, 8, 5, 7).contiguous(memory_format=torch.channels_last)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert common._shuffles_in_blocks(x)  # the path under test
    plain = _run(lambda t: F.pixel_shuffle(conv(t), factor), conv, x, True,
                 inplace_after)
    block = _run(lambda t: conv_pixel_shuffle(conv, t, factor), conv, x,
                 True, inplace_after)
    assert block[0].is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(plain[0], block[0])  # output, bit for bit
    assert torch.equal(plain[2], block[2])  # weight gradient
    assert torch.equal(plain[3], block[3])  # bias gradient
    # the input gradient sums the output channels in another order
    torch.testing.assert_close(plain[1], block[1], rtol=1e-2, atol=1e-3)


def test_fp32_and_nchw_keep_the_plain_path():
    x = torch.randn(1, 4, 3, 3)
    assert not common._shuffles_in_blocks(x)  # NCHW
    cl = x.contiguous(memory_format=torch.channels_last)
    assert not common._shuffles_in_blocks(cl)  # fp32: results unchanged
    assert common._shuffles_in_blocks(cl.bfloat16())


def test_networks_use_it_and_match_the_plain_path(monkeypatch):
    torch.manual_seed(0)
    nets = [MSRResNet(num_feat=8, num_blocks=1, upscale=4),
            nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1), Upsample(4, 8))]
    x = torch.rand(2, 3, 6, 6).contiguous(memory_format=torch.channels_last)
    for net in nets:
        net = net.to(memory_format=torch.channels_last)
        calls = []
        real = common._BlockShuffle.apply
        monkeypatch.setattr(common._BlockShuffle, 'apply',
                            lambda *a: calls.append(1) or real(*a))
        with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16):
            fast = net(x)
            assert len(calls) == 2  # both x2 stages
            monkeypatch.setattr(common, '_shuffles_in_blocks',
                                lambda t: False)
            plain = net(x)
        monkeypatch.undo()
        assert torch.equal(fast, plain)
