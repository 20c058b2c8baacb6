"""channels_last: one model switch the data preprocessor follows (#14.5)."""
import pytest
import torch

import srtoolbox.models  # noqa: F401 (registration)
from srtoolbox.models import sr_model
from srtoolbox.registry import MODELS

GEN = dict(type='MSRResNet', upscale=4, num_feat=8, num_blocks=1)


def build(channels_last=None, pre=None, type_='SRModel', **kwargs):
    cfg = dict(type=type_, generator=GEN, pixel_loss=dict(type='L1Loss'),
               data_preprocessor=dict(type='SRDataPreprocessor'), **kwargs)
    if channels_last is not None:
        cfg['channels_last'] = channels_last
    if pre is not None:
        cfg['data_preprocessor']['channels_last'] = pre
    return MODELS.build(cfg)


def is_cl(tensor):
    return tensor.is_contiguous(memory_format=torch.channels_last) and \
        not tensor.is_contiguous()


def test_auto_is_on_for_cpu_and_the_preprocessor_follows():
    model = build()
    assert model.channels_last is True
    assert model.data_preprocessor.channels_last is True
    assert is_cl(model.generator.conv_first.weight)
    data = model.data_preprocessor(dict(
        inputs=torch.rand(2, 3, 8, 8),
        data_samples=dict(gt=torch.rand(2, 3, 32, 32))), True)
    assert is_cl(data['inputs'])
    # a layout change, not a numerics one
    off = build(False)
    off.load_state_dict(model.state_dict())
    x = torch.rand(1, 3, 8, 8)
    assert not is_cl(off.generator.conv_first.weight)
    assert off.data_preprocessor.channels_last is False
    torch.testing.assert_close(model(x), off(x), rtol=1e-5, atol=1e-6)


def test_auto_is_off_on_other_devices(monkeypatch):
    # sr_model imports get_device at its top: patch the name it calls
    monkeypatch.setattr(sr_model, 'get_device', lambda: 'mps')
    model = build()
    assert model.channels_last is False
    assert model.data_preprocessor.channels_last is False
    monkeypatch.setattr(sr_model, 'get_device', lambda: 'cuda')
    assert build().channels_last is True


def test_older_configs_that_set_both_or_only_the_preprocessor():
    both = build(True, True)
    assert both.channels_last and both.data_preprocessor.channels_last
    only_pre = build(pre=False)  # 'auto' follows an explicit preprocessor
    assert only_pre.channels_last is False
    with pytest.raises(ValueError, match=r'model.channels_last=False but '
                       r'model.data_preprocessor.channels_last=True'):
        build(False, True)
    with pytest.raises(ValueError, match="'auto'"):
        build('yes')


def test_gan_discriminator_follows_the_switch():
    model = build(type_='SRGAN', discriminator=dict(
        type='SRGANDiscriminator', num_feat=8, input_size=32),
        gan_loss=dict(type='GANLoss'))
    assert model.channels_last is True
    conv = next(m for m in model.discriminator.modules()
                if isinstance(m, torch.nn.Conv2d))
    assert is_cl(conv.weight)
