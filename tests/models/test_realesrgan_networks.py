"""UNetDiscriminatorSN and SRVGGNetCompact: sizes, BasicSR names and
outputs equal to BasicSR 1.4.2's (numbers pinned once from basicsr's
``UNetDiscriminatorSN`` and ``SRVGGNetCompact`` loaded with the same
generated weights; BasicSR is not needed here)."""
import numpy as np
import pytest
import torch

from srtoolbox.registry import DISCRIMINATORS, GENERATORS


def make_image(b, c, h, w):
    """Deterministic images in [0, 1] (as tests/degradations)."""
    x = torch.arange(w, dtype=torch.float64)
    y = torch.arange(h, dtype=torch.float64)[:, None]
    out = []
    for i in range(b):
        chans = []
        for j in range(c):
            smooth = 0.5 + 0.35 * torch.sin(0.21 * x * (j + 1) +
                                            0.13 * y * (i + 1) + j)
            texture = torch.frac(torch.sin(x * 12.9898 + y * 78.233 +
                                           7.0 * i + 3.0 * j) * 43758.5453)
            chans.append((0.8 * smooth + 0.2 * texture).clamp(0, 1))
        out.append(torch.stack(chans))
    return torch.stack(out).float()


def summary(a):
    a = np.asarray(a, dtype=np.float64)
    w = np.arange(a.size, dtype=np.float64).reshape(a.shape) % 7 - 3
    flat = a.reshape(-1)
    return np.array([flat[0], flat[a.size // 2], flat[-1], flat[a.size // 3],
                     (a * w).sum(), (a**2).sum()])


def generated_weights(state_dict):
    """Closed-form weights for every key (sorted), scaled by 1/sqrt(fan-in);
    spectral-norm vectors u, v set to the top singular pair."""
    out = {}
    for i, (key, value) in enumerate(sorted(state_dict.items())):
        t = torch.arange(value.numel(), dtype=torch.float64)
        fan_in = value[0].numel() if value.dim() > 1 else 1
        out[key] = (torch.sin(t * 0.7 + i) / fan_in**0.5).reshape(
            value.shape).float()
    for key in list(out):
        if key.endswith('weight_orig'):
            w = out[key].double().reshape(out[key].shape[0], -1)
            v = torch.linalg.svd(w)[2][0]
            u = w @ v
            out[key[:-4] + 'u'] = (u / u.norm()).float()
            out[key[:-4] + 'v'] = v.float()
    return out


def num_params(net):
    return sum(p.numel() for p in net.parameters())


def test_unet_discriminator_size_and_names():
    net = DISCRIMINATORS.build(dict(type='UNetDiscriminatorSN',
                                    in_channels=3, num_feat=64))
    assert num_params(net) == 4_376_897
    keys = set(net.state_dict())
    assert {'conv0.weight', 'conv0.bias', 'conv1.weight_orig',
            'conv1.weight_u', 'conv1.weight_v', 'conv9.weight',
            'conv9.bias'} <= keys
    assert len(keys) == 4 + 8 * 3  # conv0/9 weight+bias, 8 SN convs


def test_unet_discriminator_equals_basicsr():
    net = DISCRIMINATORS.build(dict(type='UNetDiscriminatorSN', num_feat=16))
    net.load_state_dict(generated_weights(net.state_dict()))
    net.eval()  # no power iteration: u, v as loaded
    with torch.no_grad():
        out = net(make_image(2, 3, 32, 40))
    assert out.shape == (2, 1, 32, 40)
    np.testing.assert_allclose(
        summary(out), [0.983058, 0.938247, 0.720986, 0.727749, -5.704246,
                       1488.89268], rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match='multiples of 8'):
        net(torch.zeros(1, 3, 30, 32))


@pytest.mark.parametrize('num_conv, params', [(16, 621_424),
                                              (32, 1_213_296)])
def test_compact_sizes(num_conv, params):
    net = GENERATORS.build(dict(type='SRVGGNetCompact', upscale=4,
                                num_feat=64, num_conv=num_conv))
    assert num_params(net) == params
    assert isinstance(net.body[1], torch.nn.PReLU)
    assert net.upscale == 4


def test_compact_equals_basicsr():
    net = GENERATORS.build(dict(type='SRVGGNetCompact', upscale=4,
                                num_feat=16, num_conv=4))
    assert sorted(net.state_dict())[:3] == ['body.0.bias', 'body.0.weight',
                                            'body.1.weight']
    net.load_state_dict(generated_weights(net.state_dict()))
    with torch.no_grad():
        out = net(make_image(1, 3, 12, 10))
    assert out.shape == (1, 3, 48, 40)
    np.testing.assert_allclose(
        summary(out), [1.29554, 1.135583, -0.73762, 1.805051, 10.751717,
                       7857.937498], rtol=1e-5, atol=1e-5)


def test_compact_bad_options():
    with pytest.raises(ValueError, match='upscale'):
        GENERATORS.build(dict(type='SRVGGNetCompact', upscale=5))
    with pytest.raises(ValueError, match='act_type'):
        GENERATORS.build(dict(type='SRVGGNetCompact', act_type='gelu'))


def test_compact_residual_init_scale():
    torch.manual_seed(0)
    plain = GENERATORS.build(dict(type='SRVGGNetCompact', num_feat=16,
                                  num_conv=2))
    scaled = GENERATORS.build(dict(type='SRVGGNetCompact', num_feat=16,
                                   num_conv=2, residual_init_scale=0.1))
    last = float(scaled.body[-1].weight.std())
    assert last < 0.2 * float(scaled.body[0].weight.std())
    assert float(scaled.body[-1].bias.abs().max()) == 0
    assert float(plain.body[-1].bias.abs().max()) > 0  # torch's default
