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
@pytest.mark.parametrize('channels', [8, 64])  # 64: the vectorised loops
@pytest.mark.parametrize('lrelu', ['none', 'inplace_after', 'fused'])
def test_blocks_give_the_shuffles_values_and_weight_gradients(
        factor, channels, lrelu):
    torch.manual_seed(0)
    conv = nn.Conv2d(8, channels * factor * factor, 3, 1, 1).to(
        memory_format=torch.channels_last)
    x = torch.randn(2, 8, 5, 7).contiguous(memory_format=torch.channels_last)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert common._shuffles_in_blocks(x)  # the path under test
    after = lrelu != 'none'  # MSRResNet's LeakyReLU(0.1, inplace=True)
    plain = _run(lambda t: F.pixel_shuffle(conv(t), factor), conv, x, True,
                 after)
    slope = 0.1 if lrelu == 'fused' else None
    block = _run(lambda t: conv_pixel_shuffle(conv, t, factor, slope), conv,
                 x, True, lrelu == 'inplace_after')
    if lrelu == 'fused':
        assert (block[0] < 0).any()  # the slope was applied, not skipped
    assert block[0].is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(plain[0], block[0])  # output, bit for bit
    assert torch.equal(plain[2], block[2])  # weight gradient
    assert torch.equal(plain[3], block[3])  # bias gradient
    # the input gradient sums the output channels in another order
    torch.testing.assert_close(plain[1], block[1], rtol=1e-2, atol=1e-3)


def test_fused_slope_on_the_plain_path_is_the_module_sequence():
    """fp32 (the plain path) with a slope: pixel_shuffle then an in-place
    LeakyReLU, as MSRResNet computed it before: identical values."""
    torch.manual_seed(0)
    conv = nn.Conv2d(4, 16, 3, 1, 1)
    x = torch.randn(1, 4, 5, 5)
    expected = F.leaky_relu(F.pixel_shuffle(conv(x), 2), 0.2)
    assert torch.equal(conv_pixel_shuffle(conv, x, 2, 0.2), expected)


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


def test_torch_compile_traces_the_network_in_bf16():
    """Under torch.compile the plain shuffle is traced (the compiler fuses
    it with the LeakyReLU itself; the block path's writes into views do not
    trace): forward and backward run, and agree with eager to bf16
    rounding."""
    torch.manual_seed(0)
    net = MSRResNet(num_feat=8, num_blocks=1, upscale=4).to(
        memory_format=torch.channels_last)
    x = torch.rand(2, 3, 6, 6).contiguous(memory_format=torch.channels_last)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        eager = net(x)
        compiled = torch.compile(net, backend='aot_eager')(x)
    compiled.float().sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    torch.testing.assert_close(compiled.float(), eager.float(), rtol=0.05,
                               atol=0.05)
