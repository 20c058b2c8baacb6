"""#13.5: every operator is counted (transposed convolutions, attention
products, custom layers); what cannot be counted is listed; the zoo's
figures for plain conv nets are unchanged."""
import torch
from torch import nn

from srtoolbox.apis.flops import count_complexity, count_macs


class FSRCNN(nn.Module):
    """FSRCNN (Dong et al. 2016), d=56, s=12, m=4, x4: the deconvolution
    tail is most of its work and was missed by a Conv2d/Linear counter."""

    def __init__(self, d=56, s=12, m=4, upscale=4):
        super().__init__()
        layers = [nn.Conv2d(1, d, 5, padding=2), nn.PReLU(d),
                  nn.Conv2d(d, s, 1), nn.PReLU(s)]
        for _ in range(m):
            layers += [nn.Conv2d(s, s, 3, padding=1), nn.PReLU(s)]
        layers += [nn.Conv2d(s, d, 1), nn.PReLU(d)]
        self.body = nn.Sequential(*layers)
        self.deconv = nn.ConvTranspose2d(d, 1, 9, upscale, 4,
                                         output_padding=upscale - 1)

    def forward(self, x):
        return self.deconv(self.body(x))


def test_transposed_convolution_matches_the_analytic_count():
    h, w, d, s = 30, 40, 56, 12
    pixels = h * w
    body = pixels * (1 * d * 25 + d * s + 4 * s * s * 9 + s * d)
    # a transposed conv: every input pixel is multiplied into k*k*Cout
    deconv = pixels * d * 1 * 81
    net = FSRCNN()
    assert count_macs(net, (1, 1, h, w)) == body + deconv
    result = count_complexity(net, (1, 1, h, w))
    assert result.by_op['aten.convolution'] == body + deconv
    assert result.uncounted == {}  # PReLU: element-wise, not a MAC


class _Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.qkv = nn.Linear(c, 3 * c)

    def forward(self, x):  # (N, C, H, W)
        n, c, h, w = x.shape
        t = x.flatten(2).transpose(1, 2)  # (N, HW, C)
        q, k, v = self.qkv(t).chunk(3, dim=-1)
        attn = torch.softmax(q @ k.transpose(1, 2) / c ** 0.5, dim=-1)
        return (attn @ v).transpose(1, 2).reshape(n, c, h, w)


def test_attention_products_and_linear_layers_are_counted():
    c, h, w = 8, 4, 5
    tokens = h * w
    expected = tokens * c * 3 * c + 2 * tokens * tokens * c
    assert count_macs(_Attention(c), (1, c, h, w)) == expected


class _Spectral(nn.Module):
    def forward(self, x):
        return torch.fft.irfft2(torch.fft.rfft2(x), s=x.shape[-2:])


def test_uncounted_operators_are_listed_with_their_module():
    net = nn.Sequential(nn.Conv2d(3, 3, 1), _Spectral())
    result = count_complexity(net, (1, 3, 8, 8))
    assert result.macs == 64 * 9
    assert list(result.uncounted) == ['1']
    assert any('fft' in op for op in result.uncounted['1'])


def test_zoo_figures_of_plain_conv_nets_are_unchanged():
    from srtoolbox.models.builder import build_generator
    with torch.device('meta'):
        net = build_generator(dict(type='MSRResNet', upscale=4))
    # model-zoo.md: MSRResNet 146.1 G MACs at 180x320
    assert count_macs(net, (1, 3, 180, 320)) == 146_080_972_800
