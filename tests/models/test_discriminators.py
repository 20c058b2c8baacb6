import pytest
import torch

from srtoolbox.models.discriminators import (SRGANDiscriminator,
                                             VGGStyleDiscriminator)
from srtoolbox.registry import DISCRIMINATORS


def num_params(model):
    return sum(p.numel() for p in model.parameters())


def test_srgan_discriminator_shape_and_logits():
    model = DISCRIMINATORS.build(dict(type='SRGANDiscriminator'))
    out = model(torch.rand(2, 3, 96, 96))
    assert out.shape == (2, 1)
    assert out.dtype == torch.float32


def test_srgan_discriminator_parameter_count():
    # Figure 4 of the SRGAN paper, 96x96 input:
    #   conv n64s1 with bias (no BN):          3*64*9 + 64      =      1,792
    #   7 convs without bias (BN follows):
    #     9*(64*64 + 64*128 + 128*128 + 128*256 + 256*256 + 256*512
    #        + 512*512)                                         =  4,681,728
    #   7 BNs (weight + bias): 2*(64+128+128+256+256+512+512)  =      3,712
    #   dense 1024 on the 512x6x6 map: 18432*1024 + 1024        = 18,875,392
    #   dense 1: 1024 + 1                                       =      1,025
    #   total                                                   = 23,563,649
    assert num_params(SRGANDiscriminator()) == 23_563_649


def test_srgan_discriminator_other_multiple_of_16():
    model = SRGANDiscriminator(input_size=32, num_feat=8)
    assert model(torch.rand(1, 3, 32, 32)).shape == (1, 1)


@pytest.mark.parametrize('size', [100, 0, -16, 96.0])
def test_srgan_discriminator_rejects_bad_input_size(size):
    with pytest.raises(ValueError, match='multiple of 16'):
        SRGANDiscriminator(input_size=size)


def test_srgan_discriminator_rejects_mismatched_input():
    model = SRGANDiscriminator(input_size=32, num_feat=8)
    with pytest.raises(ValueError, match=r'input_size=32.*got 48x48'):
        model(torch.rand(1, 3, 48, 48))


def test_vgg_style_shape_and_parameter_count():
    model = DISCRIMINATORS.build(dict(type='VGGStyleDiscriminator'))
    assert num_params(model) == 14_499_401  # BasicSR's, 128x128
    assert model(torch.rand(2, 3, 128, 128)).shape == (2, 1)


def test_vgg_style_basicsr_names():
    keys = VGGStyleDiscriminator(num_feat=8).state_dict().keys()
    assert {'conv0_0.weight', 'conv0_0.bias', 'conv0_1.weight',
            'bn0_1.weight', 'conv4_1.weight', 'bn4_1.running_var',
            'linear1.weight', 'linear2.bias'} <= set(keys)
    assert 'conv0_1.bias' not in keys and 'bn0_0.weight' not in keys
    assert not any(k.startswith('conv5') for k in keys)


def test_vgg_style_256():
    model = VGGStyleDiscriminator(input_size=256, num_feat=8)
    assert 'conv5_1.weight' in model.state_dict()
    assert model(torch.rand(1, 3, 256, 256)).shape == (1, 1)


def test_vgg_style_errors():
    with pytest.raises(ValueError, match=r'\[128, 256\].*96'):
        VGGStyleDiscriminator(input_size=96)
    model = VGGStyleDiscriminator(num_feat=8)
    with pytest.raises(ValueError, match=r'input_size=128.*got 96x96'):
        model(torch.rand(1, 3, 96, 96))
