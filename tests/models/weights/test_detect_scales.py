"""#22.5: every layout srtoolbox detects by names and shapes loads at each
of its scales from a file with no config, with the scale it was saved at
and outputs identical to the saved network. (BasicSR MSRResNet x4 used to
come back as "upscale 8", x2 as x4 with missing keys.)"""
from collections import OrderedDict

import pytest
import torch

from srtoolbox.models.generators import EDSR, RCAN, MSRResNet, RRDBNet
from srtoolbox.models.weights.detect import load_generator_from_file


def _basicsr(net):
    return {'params': net.state_dict()}


def _mmagic_msrresnet(net):
    """MMagic's MSRResNet names inside an mmengine checkpoint."""
    sd = OrderedDict()
    for key, value in net.state_dict().items():
        key = key.replace('body.', 'trunk_net.', 1) if key.startswith(
            'body.') else key
        if key.startswith('upconv'):
            key = f'upsample{key[6]}.upsample_conv{key[7:]}'
        sd['generator.' + key] = value
    return {'state_dict': sd, 'meta': {}}


SMALL = dict(num_feat=16, num_blocks=1)
CASES = [(EDSR, _basicsr, {}, s) for s in EDSR.SUPPORTED_SCALES] + \
    [(RCAN, _basicsr, dict(num_groups=1, squeeze_factor=4), s)
     for s in RCAN.SUPPORTED_SCALES] + \
    [(MSRResNet, _basicsr, {}, s) for s in MSRResNet.SUPPORTED_SCALES] + \
    [(MSRResNet, _mmagic_msrresnet, dict(upsample_lrelu=False), s)
     for s in MSRResNet.SUPPORTED_SCALES] + \
    [(RRDBNet, _basicsr, dict(num_grow_ch=8), s)
     for s in RRDBNet.SUPPORTED_SCALES]


@pytest.mark.parametrize(
    'cls,layout,kwargs,scale', CASES,
    ids=[f'{c.__name__}-{w.__name__.strip("_")}-x{s}'
         for c, w, _, s in CASES])
def test_detected_at_its_scale_with_identical_outputs(cls, layout, kwargs,
                                                      scale, tmp_path):
    torch.manual_seed(scale)
    net = cls(upscale=scale, **SMALL, **kwargs).eval()
    path = tmp_path / f'{cls.__name__}_x{scale}.pth'
    torch.save(layout(net), path)
    det = load_generator_from_file(str(path))
    assert det.generator_cfg['type'] == cls.__name__
    assert det.generator_cfg['upscale'] == scale
    x = torch.rand(1, 3, 8, 8)
    with torch.no_grad():
        want, got = net(x), det.network(x)
    assert got.shape == (1, 3, 8 * scale, 8 * scale)
    torch.testing.assert_close(got, want, rtol=0, atol=0)
