"""LPIPS: srtoolbox's network equals the ``lpips`` package's.

Both get the same random backbone (no ImageNet file is needed): the
package's randomly initialised AlexNet/VGG16 is saved in torchvision's
layout and loaded by srtoolbox from that file, exactly as the real
``alexnet-owt-7be5be79.pth`` would be. The calibrated linear layers are the
package's own in both.
"""
import numpy as np
import pytest
import torch

lpips = pytest.importorskip('lpips')
# the package asks torchvision with the deprecated pretrained= argument
pytestmark = pytest.mark.filterwarnings('ignore::UserWarning:torchvision')

from srtoolbox.evaluation import LPIPS, calculate_lpips  # noqa: E402
from srtoolbox.evaluation.lpips import (LPIPS_BACKBONES, LPIPSNet,  # noqa
                                        lpips_unavailable_reason)
from srtoolbox.registry import LOSSES, METRICS  # noqa: E402


def _features_only(builder):
    """torchvision's builder with the classifier left on the meta device
    (never initialised: saves seconds per VGG16); features initialised as
    torchvision does."""
    def build(pretrained=False, **kwargs):
        with torch.device('meta'):
            model = builder()
        model.features = model.features.to_empty(device='cpu')
        for module in model.features:
            if isinstance(module, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(module.weight, mode='fan_out',
                                              nonlinearity='relu')
                torch.nn.init.normal_(module.bias, std=0.01)
        return model
    return build


def _reference_and_file(net, folder):
    """The package's LPIPS with a random backbone, and that backbone saved
    in torchvision's layout under torchvision's file name."""
    torch.manual_seed(0)
    tv = lpips.pretrained_networks.tv
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tv, 'alexnet', _features_only(tv.alexnet))
        patch.setattr(tv, 'vgg16', _features_only(tv.vgg16))
        ref = lpips.LPIPS(net=net, pnet_rand=True, verbose=False)
    state = {}
    for i in range(1, 6):
        for name, module in getattr(ref.net, f'slice{i}').named_children():
            for key, value in module.state_dict().items():
                state[f'features.{name}.{key}'] = value
    state['classifier.1.weight'] = torch.zeros(1)  # ignored, as in a real file
    path = folder / LPIPS_BACKBONES[net]['filename']
    torch.save(state, path)
    return ref, path


@pytest.fixture(scope='module')
def alex(tmp_path_factory):
    return _reference_and_file('alex', tmp_path_factory.mktemp('hub'))


@pytest.mark.parametrize('net', ['alex', 'vgg'])
def test_equals_lpips_package(net, tmp_path):
    ref, path = _reference_and_file(net, tmp_path)
    ours = LPIPSNet(net, pretrained=path)
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(2, 3, 48, 64, generator=gen)
    y = (x + 0.1 * torch.randn(2, 3, 48, 64, generator=gen)).clamp(0, 1)
    expected = ref(x, y, normalize=True).view(-1)
    assert torch.allclose(ours(x, y), expected, rtol=1e-5, atol=1e-7)
    assert ours(x, x).abs().max() == 0
    signed = LPIPSNet(net, pretrained=path, input_range=(-1, 1))
    assert torch.allclose(signed(2 * x - 1, 2 * y - 1), expected, rtol=1e-5,
                          atol=1e-7)


def test_calculate_lpips_on_uint8(alex):
    ref, path = alex
    model = LPIPSNet('alex', pretrained=path)
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (40, 52, 3), dtype=np.uint8)
    b = np.clip(a + rng.integers(-30, 31, a.shape), 0, 255).astype(np.uint8)

    def to_t(im):
        return torch.from_numpy(im.transpose(2, 0, 1) / 255.).float()[None]
    expected = float(ref(to_t(a), to_t(b), normalize=True).detach())
    assert calculate_lpips(a, b, model=model) == pytest.approx(expected,
                                                               rel=1e-5)
    assert calculate_lpips(a, b, crop_border=3, model=model) == \
        pytest.approx(calculate_lpips(a[3:-3, 3:-3], b[3:-3, 3:-3],
                                      model=model))
    # gray / 16-bit / RGBA as imread converts them
    gray = a[..., 0]
    assert calculate_lpips(gray, b, model=model) == pytest.approx(
        calculate_lpips(np.repeat(gray[..., None], 3, 2), b, model=model))
    assert calculate_lpips(a.astype(np.uint16) * 257, b, model=model) == \
        pytest.approx(expected, rel=1e-5)
    rgba = np.concatenate([a, np.zeros_like(a[..., :1])], axis=2)
    assert calculate_lpips(rgba, b, model=model) == pytest.approx(
        expected, rel=1e-5)
    with pytest.raises(ValueError, match='same size'):
        calculate_lpips(a, b[:-1], model=model)
    with pytest.raises(ValueError, match='same size'):
        model(to_t(a), to_t(b)[..., :-1])
    with pytest.raises(ValueError, match='at least 31x31'):
        calculate_lpips(a, b, crop_border=5, model=model)


def test_missing_backbone_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path))
    with pytest.raises(FileNotFoundError) as info:
        LPIPSNet('vgg')
    msg = str(info.value)
    assert 'vgg16-397923af.pth' in msg and str(tmp_path) in msg
    assert 'never downloads' in msg
    reason = lpips_unavailable_reason('alex')
    assert reason.startswith('LPIPS skipped') and \
        'alexnet-owt-7be5be79.pth' in reason
    with pytest.raises(ValueError, match="'alex', 'vgg'"):
        LPIPSNet('squeeze')


def test_metric_skips_or_measures(alex, tmp_path, monkeypatch):
    ref, path = alex
    rng = np.random.default_rng(0)
    samples = [dict(pred=rng.integers(0, 256, (40, 36, 3), dtype=np.uint8),
                    gt=rng.integers(0, 256, (40, 36, 3), dtype=np.uint8),
                    dataset='Set5', key=k) for k in 'ab']
    # no weights in the hub cache: one line, no figures, no error
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path))
    metric = METRICS.build(dict(type='LPIPS', crop_border=2))
    assert 'alexnet-owt-7be5be79.pth' in metric.skip_reason
    metric.process({}, samples)
    assert metric.compute_metrics(metric.results) == {}
    with pytest.raises(FileNotFoundError, match='alexnet-owt'):
        LPIPS(missing_weights='error')
    # the file where torchvision keeps it: measured
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(path.parent.parent))
    (path.parent.parent / 'checkpoints').mkdir(exist_ok=True)
    (path.parent.parent / 'checkpoints' / path.name).write_bytes(
        path.read_bytes())
    metric = METRICS.build(dict(type='LPIPS', crop_border=2))
    assert metric.skip_reason is None
    metric.process({}, samples)
    res = metric.compute_metrics(metric.results)
    model = LPIPSNet('alex', pretrained=path)
    expected = np.mean([calculate_lpips(s['pred'], s['gt'], 2, model=model)
                        for s in samples])
    assert res == {'Set5/LPIPS': pytest.approx(expected)}


def test_loss_gradients_and_no_state(alex):
    _, path = alex
    loss = LOSSES.build(dict(type='LPIPSLoss', net='alex', pretrained=path,
                             loss_weight=2.0))
    assert list(loss.parameters()) == [] and loss.state_dict() == {}
    gen = torch.Generator().manual_seed(2)
    pred = torch.rand(2, 3, 32, 32, generator=gen, requires_grad=True)
    target = torch.rand(2, 3, 32, 32, generator=gen, requires_grad=True)
    value = loss(pred, target)
    expected = 2.0 * LPIPSNet('alex', pretrained=path)(pred, target).mean()
    assert value.item() == pytest.approx(expected.item(), rel=1e-6)
    value.backward()
    assert pred.grad is not None and pred.grad.abs().sum() > 0
    assert target.grad is None
