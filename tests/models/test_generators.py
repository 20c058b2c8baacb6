"""Every registered generator at every supported scale, on tiny inputs.

New generators are picked up from the registry automatically; give them a
small configuration in ``SMALL`` to keep this file fast.
"""
import pytest
import torch

import srtoolbox.models.generators  # noqa: F401 (registration)
from srtoolbox.models.generators import EDSR, MSRN, RCAN, RRDBNet
from srtoolbox.registry import GENERATORS

# cheap configurations for the forward/backward test (counts are pinned
# separately on the defaults)
SMALL = {
    'SRResNet': dict(num_feat=8, num_blocks=1),
    'MSRResNet': dict(num_feat=8, num_blocks=1),
    'RRDBNet': dict(num_feat=8, num_blocks=1, num_grow_ch=4),
    'MSRN': dict(num_feat=8, num_blocks=1),
    'RCAN': dict(num_feat=16, num_groups=1, num_blocks=1, squeeze_factor=4),
    'EDSR': dict(num_feat=8, num_blocks=1),
    'EDSRLarge': dict(num_feat=8, num_blocks=1),
}

# default configuration, x4: the papers' / reference implementations' counts
PARAMS_X4 = {
    'SRResNet': 1_550_659,
    'MSRResNet': 1_517_571,
    'RRDBNet': 16_697_987,
    'MSRN': 6_078_019,
    'RCAN': 15_592_355,
    'EDSR': 1_517_571,  # baseline: 16 blocks x 64
    'EDSRLarge': 43_089_923,  # 32 blocks x 256
}


def registered():
    # spandrel's networks: tests/models/test_spandrel_archs.py
    return sorted((name, cls) for name, cls in GENERATORS.module_dict.items()
                  if not hasattr(cls, 'spandrel_arch'))


def num_params(model):
    return sum(p.numel() for p in model.parameters())


CASES = [
    pytest.param(name, scale, id=f'{name}-x{scale}')
    for name, cls in registered()
    for scale in getattr(cls, 'SUPPORTED_SCALES', (4, ))
]


@pytest.mark.parametrize('name,scale', CASES)
def test_forward_backward(name, scale):
    torch.manual_seed(0)
    model = GENERATORS.build(dict(type=name, upscale=scale,
                                  **SMALL.get(name, {})))
    model.train()
    x = torch.rand(1, 3, 8, 8)
    out = model(x)
    assert out.shape == (1, 3, 8 * scale, 8 * scale)
    assert out.dtype == torch.float32
    assert torch.isfinite(out).all()
    out.abs().mean().backward()
    params = [p for p in model.parameters() if p.requires_grad]
    assert all(p.grad is not None for p in params)
    assert all(torch.isfinite(p.grad).all() for p in params)
    assert any(p.grad.abs().sum() > 0 for p in params)


@pytest.mark.parametrize('name,count', sorted(PARAMS_X4.items()))
def test_default_parameter_count_x4(name, count):
    with torch.device('meta'):  # counting needs no weights
        model = GENERATORS.build(dict(type=name, upscale=4))
    assert num_params(model) == count


@pytest.mark.parametrize('name,cls', registered())
def test_unsupported_scale(name, cls):
    supported = getattr(cls, 'SUPPORTED_SCALES', (4, ))
    bad = next(s for s in (5, 7, 16, 6) if s not in supported)
    with pytest.raises(ValueError, match=rf'{name} supports upscale'):
        GENERATORS.build(dict(type=name, upscale=bad, **SMALL.get(name, {})))


def test_reference_parameter_names():
    """Names that BasicSR / MSRN-PyTorch checkpoints use."""
    with torch.device('meta'):
        rrdb = RRDBNet(num_blocks=2).state_dict()
        rcan = RCAN(num_groups=1, num_blocks=1).state_dict()
        edsr = EDSR(num_blocks=1).state_dict()
        msrn = MSRN(num_blocks=1).state_dict()
    assert {'conv_first.weight', 'body.1.rdb3.conv5.bias', 'conv_body.weight',
            'conv_up1.weight', 'conv_up2.weight', 'conv_hr.weight',
            'conv_last.weight'} <= set(rrdb)
    assert {'conv_first.weight', 'body.0.residual_group.0.rcab.0.weight',
            'body.0.residual_group.0.rcab.3.attention.3.bias',
            'body.0.conv.weight', 'conv_after_body.weight',
            'upsample.0.weight', 'upsample.2.weight',
            'conv_last.weight'} <= set(rcan)
    assert {'body.0.conv1.weight', 'body.0.conv2.bias',
            'conv_after_body.weight', 'upsample.2.weight'} <= set(edsr)
    # BasicSR keeps the mean out of the state dict; MSRN-PyTorch keeps it in
    assert not any('mean' in k for k in list(rcan) + list(edsr))
    assert {'body.0.conv_3_1.weight', 'body.0.conv_5_1.weight',
            'body.0.conv_3_2.weight', 'body.0.conv_5_2.weight',
            'body.0.confusion.weight'} <= set(msrn)
    assert {k for k in msrn if not k.startswith('body.')} == {
        f'{name}.{kind}' for kind in ('weight', 'bias')
        for name in ('sub_mean', 'head.0', 'tail.0', 'tail.1', 'tail.2.0',
                     'tail.2.2', 'tail.3', 'add_mean')}


def test_rrdbnet_x8_keeps_x4_names():
    with torch.device('meta'):
        x4 = RRDBNet(num_blocks=1, upscale=4).state_dict()
        x8 = RRDBNet(num_blocks=1, upscale=8).state_dict()
    assert set(x8) - set(x4) == {'conv_up3.weight', 'conv_up3.bias'}
    assert all(x8[k].shape == v.shape for k, v in x4.items())


def test_mean_shift_matches_basicsr_formula():
    """[0, 1] in; (x - mean) * 255 into the first conv; / 255 + mean out."""
    torch.manual_seed(0)
    model = EDSR(num_feat=8, num_blocks=1, upscale=2).eval()
    x = torch.rand(1, 3, 6, 6)
    mean = torch.tensor([0.4488, 0.4371, 0.4040]).view(1, 3, 1, 1)
    with torch.no_grad():
        feat = model.conv_first((x - mean) * 255.)
        feat = feat + model.conv_after_body(model.body(feat))
        expected = model.conv_last(model.upsample(feat)) / 255. + mean
        torch.testing.assert_close(model(x), expected, rtol=1e-5, atol=1e-5)


def test_msrn_mean_shift_buffers_load_but_do_not_count():
    model = MSRN(num_feat=8, num_blocks=1, upscale=2)
    sd = model.state_dict()
    sd['sub_mean.bias'] = torch.zeros(3)  # as if trained in the reference
    model.load_state_dict(sd)
    assert torch.equal(model.sub_mean.bias, torch.zeros(3))
    names = {n for n, _ in model.named_parameters()}
    assert not any('mean' in n for n in names)
