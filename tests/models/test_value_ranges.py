"""Value ranges agree at build time or the model names the keys (#14.9)."""
import pytest
import torch

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


@pytest.mark.parametrize('generator', [
    dict(type='SRResNet', **TINY),
    dict(type='RRDBNet', num_feat=8, num_blocks=1, num_grow_ch=4)])
@pytest.mark.parametrize('pre,black,zero_pred', [
    (MINUS_ONE, -1.0, 128),   # the paper's SRResNet learns HR in [-1, 1]
    (None, 0.0, 0)])
def test_range_agnostic_generators_learn_and_predict_in_gt_range(
        generator, pre, black, zero_pred):
    """A generator that declares no output range learns HR in whichever
    gt_range the config gives: the targets are mapped into it, and its
    output is mapped back from it for evaluation."""
    model = sr(generator, **({'data_preprocessor': pre} if pre else {}))
    assert model.generator.output_range is None
    for param in model.generator.parameters():
        torch.nn.init.zeros_(param)  # the network outputs exactly 0
    data = model.data_preprocessor(dict(
        inputs=[torch.zeros(3, 4, 4)],
        data_samples=dict(gt=[torch.zeros(3, 16, 16)])), training=True)
    # a black HR pixel is the low end of gt_range for the loss
    assert data['data_samples']['gt'].unique().tolist() == [black]
    losses = model.compute_losses(data['inputs'], data['data_samples'])
    assert losses['loss_pix'].item() == pytest.approx(abs(black))
    # an output of 0 is mid-grey in [-1, 1], black in [0, 1]
    pred = model.predict(data['inputs'], data['data_samples'])[0]
    assert (pred['pred'] == zero_pred).all() and (pred['gt'] == 0).all()


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
