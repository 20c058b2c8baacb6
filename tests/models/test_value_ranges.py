"""Value ranges agree at build time or the model names the keys (#14.9)."""
import pytest

import srtoolbox.models  # noqa: F401 (registration)
from srtoolbox.registry import MODELS

TINY = dict(upscale=4, num_feat=8, num_blocks=1)
MINUS_ONE = dict(type='SRDataPreprocessor', gt_range=(-1.0, 1.0))
VGG = dict(type='PerceptualLoss', layer_weights={'relu1_1': 1.0},
           pretrained=None)


def sr(generator, **kwargs):
    return MODELS.build(dict(type='SRModel', generator=generator,
                             pixel_loss=dict(type='L1Loss'), **kwargs))


@pytest.mark.parametrize('generator', [
    dict(type='MSRResNet', **TINY),
    dict(type='EDSR', upscale=4, num_feat=8, num_blocks=1),
    dict(type='RCAN', upscale=4, num_feat=8, num_groups=1, num_blocks=1,
         squeeze_factor=4),
    dict(type='MSRN', upscale=4, num_feat=8, num_blocks=1)])
def test_zero_one_generators_refuse_minus_one_targets(generator):
    with pytest.raises(ValueError, match=(
            r'model.data_preprocessor.gt_range is \(-1.0, 1.0\), but '
            rf"model.generator \({generator['type']}\) works on images in "
            r'\(0.0, 1.0\)')):
        sr(generator, data_preprocessor=MINUS_ONE)
    sr(generator)  # [0, 1]: fine


def test_range_agnostic_generators_take_either_range():
    for gen in (dict(type='SRResNet', **TINY),
                dict(type='RRDBNet', num_feat=8, num_blocks=1,
                     num_grow_ch=4)):
        # no output_range declared: the model takes whatever gt_range the
        # config gives, and keeps it (the paper's SRResNet learns [-1, 1])
        for pre, expected in ((MINUS_ONE, (-1.0, 1.0)), (None, (0.0, 1.0))):
            model = sr(gen, **({'data_preprocessor': pre} if pre else {}))
            assert model.generator.output_range is None
            assert tuple(map(float, model.data_preprocessor.gt_range)) == \
                expected


def test_perceptual_loss_range_must_match_gt_range():
    gen = dict(type='SRResNet', **TINY)
    gan = dict(type='SRGAN', generator=gen, discriminator=dict(
        type='SRGANDiscriminator', num_feat=8, input_size=32),
        gan_loss=dict(type='GANLoss'), data_preprocessor=MINUS_ONE)
    with pytest.raises(ValueError, match=r'model.perceptual_loss.input_range '
                       r'is \(0, 1\)'):
        MODELS.build(dict(gan, perceptual_loss=dict(VGG)))
    MODELS.build(dict(gan, perceptual_loss=dict(VGG, input_range=(-1, 1))))
    with pytest.raises(ValueError, match=r'model.losses.vgg.input_range'):
        sr(gen, data_preprocessor=MINUS_ONE, losses=dict(vgg=dict(VGG)))
