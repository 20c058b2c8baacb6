import copy

import pytest
import torch
from torch import nn

from srtoolbox.models.losses import PerceptualLoss
from srtoolbox.models.losses.perceptual import (VGG19_FILENAME,
                                                VGG19_LAYER_NAMES, VGG19_URL)
from srtoolbox.registry import LOSSES

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


@pytest.fixture(scope='module')
def deep_loss():
    torch.manual_seed(0)
    return PerceptualLoss(layer_weights={'relu2_2': 1.0, 'conv5_4': 1.0,
                                         'relu5_4': 1.0, 'pool5': 1.0},
                          pretrained=None)


def shallow(**kwargs):
    torch.manual_seed(0)
    kwargs.setdefault('layer_weights', {'relu2_2': 1.0})
    return PerceptualLoss(pretrained=None, **kwargs)


def test_layer_names_follow_torchvision_indices():
    assert len(VGG19_LAYER_NAMES) == 37
    assert VGG19_LAYER_NAMES[:5] == ('conv1_1', 'relu1_1', 'conv1_2',
                                     'relu1_2', 'pool1')
    assert VGG19_LAYER_NAMES.index('conv5_4') == 34
    assert VGG19_LAYER_NAMES.index('relu5_4') == 35
    assert VGG19_LAYER_NAMES[-1] == 'pool5'


def test_feature_shapes(deep_loss):
    features = deep_loss.extract_features(torch.rand(1, 3, 32, 32))
    assert {k: tuple(v.shape) for k, v in features.items()} == {
        'relu2_2': (1, 128, 16, 16), 'conv5_4': (1, 512, 2, 2),
        'relu5_4': (1, 512, 2, 2), 'pool5': (1, 512, 1, 1)}
    # conv5_4 is taken before the ReLU: it keeps negative values
    assert (features['conv5_4'] < 0).any()
    assert torch.equal(features['relu5_4'], features['conv5_4'].clamp(min=0))


def test_truncated_after_deepest_layer():
    assert len(shallow().vgg()) == VGG19_LAYER_NAMES.index('relu2_2') + 1


def test_unknown_layer():
    with pytest.raises(ValueError, match="'relu5_4'"):
        PerceptualLoss(layer_weights={'relu5_5': 1.0}, pretrained=None)


@pytest.fixture(scope='module')
def torchvision_vgg19():
    from torchvision.models import vgg19
    torch.manual_seed(1)
    return vgg19(weights=None).eval()


def test_loads_torchvision_weights_from_hub_cache(torchvision_vgg19, tmp_path,
                                                  monkeypatch):
    # torchvision layout; the 400 MB classifier is left out but for one key,
    # which must be ignored
    state = {k: v for k, v in torchvision_vgg19.state_dict().items()
             if k.startswith('features.')}
    state['classifier.6.bias'] = torch.zeros(1000)
    (tmp_path / 'checkpoints').mkdir()
    torch.save(state, tmp_path / 'checkpoints' / VGG19_FILENAME)
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path))
    names = ['conv1_1', 'relu3_4', 'conv5_4', 'relu5_4']
    loss = PerceptualLoss(layer_weights=dict.fromkeys(names, 1.0),
                          pretrained='torchvision')
    x = torch.rand(1, 3, 32, 32)
    ours = loss.extract_features(x)
    expected, feat = {}, (x - MEAN) / STD
    with torch.no_grad():
        for index, layer in enumerate(torchvision_vgg19.features):
            feat = layer(feat.clone())  # torchvision's ReLUs are in-place
            if VGG19_LAYER_NAMES[index] in names:
                expected[VGG19_LAYER_NAMES[index]] = feat.clone()
    for name in names:
        torch.testing.assert_close(ours[name], expected[name])


def test_loads_features_only_state_dict_from_path(tmp_path):
    source = shallow()
    path = tmp_path / 'features_only.pth'
    torch.save(source.vgg().state_dict(), path)  # keys '0.weight', ...
    loaded = PerceptualLoss(layer_weights={'relu2_2': 1.0}, pretrained=path)
    x = torch.rand(1, 3, 16, 16)
    torch.testing.assert_close(loaded.extract_features(x)['relu2_2'],
                               source.extract_features(x)['relu2_2'])


def test_missing_weights_name_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path))
    with pytest.raises(FileNotFoundError) as info:
        PerceptualLoss()  # pretrained='torchvision' by default
    message = str(info.value)
    assert VGG19_FILENAME in message and VGG19_URL in message
    assert str(tmp_path / 'checkpoints' / VGG19_FILENAME) in message
    assert 'pretrained' in message
    with pytest.raises(FileNotFoundError, match='nowhere.pth'):
        PerceptualLoss(pretrained=tmp_path / 'nowhere.pth')


def test_wrong_state_dict(tmp_path):
    path = tmp_path / 'other.pth'
    torch.save({'features.0.weight': torch.zeros(64, 3, 3, 3)}, path)
    with pytest.raises(ValueError, match='features.0.bias'):
        PerceptualLoss(layer_weights={'relu1_1': 1.0}, pretrained=path)


def test_input_range():
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    y = torch.rand(2, 3, 16, 16) * 2 - 1
    signed = shallow(input_range=(-1, 1))
    unit = shallow(input_range=[0, 1])  # lists from configs are fine
    torch.testing.assert_close(signed(x, y), unit((x + 1) / 2, (y + 1) / 2))
    with pytest.raises(ValueError, match='input_range'):
        shallow(input_range=(0, 255))


def test_vgg_is_not_part_of_the_model():
    parent = nn.Module()
    parent.perceptual_loss = LOSSES.build(
        dict(type='PerceptualLoss', layer_weights={'relu2_2': 1.0},
             pretrained=None))
    assert list(parent.parameters()) == []
    assert list(parent.state_dict()) == []
    parent.load_state_dict(parent.state_dict())  # strict, round trip
    vgg = parent.perceptual_loss.vgg()
    assert not any(p.requires_grad for p in vgg.parameters())
    parent.train()
    assert parent.perceptual_loss.training and not vgg.training
    copied = copy.deepcopy(parent)  # e.g. EMA copies
    assert not copied.perceptual_loss.vgg().training


def test_vgg_follows_the_input_device():
    loss = shallow()
    cpu_vgg = loss.vgg()
    meta = torch.device('meta')
    out = loss(torch.rand(1, 3, 8, 8, device=meta),
               torch.rand(1, 3, 8, 8, device=meta))
    assert out.device == meta
    assert next(loss.vgg(meta).parameters()).device == meta
    assert loss.vgg() is cpu_vgg  # the CPU copy is kept, not moved


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_cuda():
    loss = shallow().to('cuda')
    x = torch.rand(1, 3, 16, 16, device='cuda', requires_grad=True)
    loss(x, torch.rand(1, 3, 16, 16, device='cuda')).backward()
    assert x.grad is not None and x.grad.device.type == 'cuda'


def test_gradients_flow_to_input_only():
    loss = shallow(criterion='l1')
    x = torch.rand(1, 3, 16, 16, requires_grad=True)
    target = torch.rand(1, 3, 16, 16, requires_grad=True)
    loss(x, target).backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert target.grad is None
    assert all(p.grad is None for p in loss.vgg().parameters())


def test_feature_scale_and_weights():
    x, y = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    plain = shallow()
    scaled = shallow(feature_scale=1 / 12.75)
    torch.testing.assert_close(
        scaled.extract_features(x)['relu2_2'],
        plain.extract_features(x)['relu2_2'] / 12.75)
    torch.testing.assert_close(scaled(x, y), plain(x, y) / 12.75**2)
    l1 = shallow(criterion='l1')
    l1_scaled = shallow(criterion='l1', feature_scale=1 / 12.75,
                        loss_weight=3.0)
    torch.testing.assert_close(l1_scaled(x, y), 3.0 * l1(x, y) / 12.75)
    assert plain(x, x).item() == 0
