"""Checkpoint interop, proven without downloads: each foreign layout is
rebuilt from its key description around a tiny network's weights."""
import importlib.util
import os
import os.path as osp
import re
from collections import OrderedDict

import numpy as np
import pytest
import torch

from srtoolbox.apis.convert import convert_checkpoint
from srtoolbox.models.weights import extract_generator_state_dict
from srtoolbox.utils.checkpoint_io import (UnsafeCheckpointError,
                                           load_checkpoint_file,
                                           save_checkpoint_file)
from srtoolbox.models.generators import MSRResNet, RRDBNet

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def tiny_rrdbnet(seed=0):
    torch.manual_seed(seed)
    return RRDBNet(num_feat=8, num_blocks=2, num_grow_ch=4).eval()


def tiny_net(seed=0):
    torch.manual_seed(seed)
    return MSRResNet(num_feat=4, num_blocks=1, upscale=2).eval()


def to_esrgan_legacy(sd, num_blocks):
    """RRDBNet names -> the original ESRGAN repository's ``model.N`` names.

    Written from the key description (model.0 = conv_first,
    model.1.sub.<i>.RDB<j>.conv<k>.0 = the dense convs, model.1.sub.<B> =
    conv_body, model.3 / model.6 = the upsampling convs, model.8 = HRconv,
    model.10 = conv_last), independently of the code under test.
    """
    top = {'conv_first': 'model.0', 'conv_body': f'model.1.sub.{num_blocks}',
           'conv_up1': 'model.3', 'conv_up2': 'model.6',
           'conv_hr': 'model.8', 'conv_last': 'model.10'}
    out = OrderedDict()
    for key, value in sd.items():
        m = re.match(r'body\.(\d+)\.rdb(\d)\.conv(\d)\.(weight|bias)$', key)
        if m:
            i, j, k, kind = m.groups()
            out[f'model.1.sub.{i}.RDB{j}.conv{k}.0.{kind}'] = value
        else:
            name, kind = key.rsplit('.', 1)
            out[f'{top[name]}.{kind}'] = value
    return out


def to_esrgan_trunk(sd):
    """RRDBNet names -> the ESRGAN repository's later RRDBNet_arch names."""
    names = {'conv_body': 'trunk_conv', 'conv_up1': 'upconv1',
             'conv_up2': 'upconv2', 'conv_hr': 'HRconv'}
    out = OrderedDict()
    for key, value in sd.items():
        key = re.sub(r'^body\.(\d+)\.rdb(\d)\.', r'RRDB_trunk.\1.RDB\2.', key)
        name, kind = key.rsplit('.', 1)
        out[f'{names.get(name, name)}.{kind}'] = value
    return out


def assert_same_output(net_a, state_dict):
    net_b = RRDBNet(num_feat=8, num_blocks=2, num_grow_ch=4).eval()
    net_b.load_state_dict(state_dict)  # strict: names and shapes match
    x = torch.rand(1, 3, 6, 6)
    with torch.no_grad():
        assert torch.equal(net_a(x), net_b(x))


def generator_of(path):
    ckpt = load_checkpoint_file(path)
    assert set(ckpt) == {'state_dict', 'meta'}
    assert all(k.startswith('generator.') for k in ckpt['state_dict'])
    return ckpt, extract_generator_state_dict(ckpt)


def test_esrgan_legacy_convert_gives_identical_outputs(tmp_path):
    net = tiny_rrdbnet()
    legacy = to_esrgan_legacy(net.state_dict(), num_blocks=2)
    assert 'model.1.sub.0.RDB1.conv1.0.weight' in legacy
    src = tmp_path / 'RRDB_ESRGAN_x4.pth'
    torch.save(legacy, src)
    out = tmp_path / 'converted.pth'
    assert convert_checkpoint(src, out, source='esrgan-legacy') == str(out)
    ckpt, sd = generator_of(out)
    assert ckpt['meta']['source'] == 'esrgan-legacy'
    assert ckpt['meta']['converted_from'] == str(src)
    assert_same_output(net, sd)


def test_esrgan_trunk_names_are_mapped(tmp_path):
    net = tiny_rrdbnet(1)
    trunk = to_esrgan_trunk(net.state_dict())
    assert 'RRDB_trunk.1.RDB3.conv5.weight' in trunk and 'HRconv.bias' in trunk
    assert_same_output(net, extract_generator_state_dict(trunk))


def test_esrgan_legacy_cli(tmp_path):
    net = tiny_rrdbnet(2)
    src, out = tmp_path / 'legacy.pth', tmp_path / 'out.pth'
    torch.save(to_esrgan_legacy(net.state_dict(), 2), src)
    spec = importlib.util.spec_from_file_location(
        'convert_checkpoint_tool', osp.join(REPO, 'tools',
                                            'convert_checkpoint.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.main(['--from', 'esrgan-legacy', str(src), str(out)]) == 0
    assert_same_output(net, generator_of(out)[1])
    # refuses to replace it without --overwrite, replaces it with
    assert tool.main(['--from', 'esrgan-legacy', str(src), str(out)]) == 1
    assert tool.main(['--from', 'esrgan-legacy', str(src), str(out),
                      '--overwrite']) == 0


def test_basicsr_prefers_params_ema(tmp_path):
    plain, ema = tiny_net(0).state_dict(), tiny_net(1).state_dict()
    ckpt = {'params': plain, 'params_ema': ema}
    got = extract_generator_state_dict(ckpt)
    assert all(torch.equal(got[k], ema[k]) for k in ema)
    got = extract_generator_state_dict(ckpt, prefer_ema=False)
    assert all(torch.equal(got[k], plain[k]) for k in plain)
    # params only, saved from a DDP-wrapped model
    got = extract_generator_state_dict(
        {'params': {f'module.{k}': v for k, v in plain.items()}})
    assert list(got) == list(plain)

    src, out = tmp_path / 'net_g_latest.pth', tmp_path / 'out.pth'
    torch.save(ckpt, src)
    convert_checkpoint(src, out, source='basicsr')
    meta, sd = generator_of(out)
    assert meta['meta']['weights'] == 'params_ema'
    model = tiny_net(5)
    model.load_state_dict(sd)
    assert torch.equal(model.conv_first.weight, ema['conv_first.weight'])


@pytest.mark.parametrize('prefix', ['generator.', 'generator.module.'])
def test_mmagic_layout(tmp_path, prefix):
    gen, disc = tiny_net(0).state_dict(), {'conv0.weight': torch.ones(2)}
    state = OrderedDict((prefix + k, v) for k, v in gen.items())
    state.update(('discriminator.' + k, v) for k, v in disc.items())
    state['data_preprocessor.mean'] = torch.zeros(3)
    src, out = tmp_path / 'iter_1000.pth', tmp_path / 'out.pth'
    torch.save({'meta': {'mmagic_version': '1.2.0'}, 'state_dict': state},
               src)
    convert_checkpoint(src, out, source='mmagic')
    sd = generator_of(out)[1]
    assert list(sd) == list(gen)
    assert all(torch.equal(sd[k], gen[k]) for k in gen)


def test_mmengine_ema_preferred_and_averaged_model_unwrapped():
    gen, ema = tiny_net(0).state_dict(), tiny_net(1).state_dict()
    state = OrderedDict(('generator.' + k, v) for k, v in gen.items())
    # mmengine's ExponentialMovingAverage: 'module.<k>' plus a 'steps' buffer
    state.update(('generator_ema.module.' + k, v) for k, v in ema.items())
    state['generator_ema.steps'] = torch.tensor(10)
    ckpt = {'state_dict': state, 'meta': {}}
    got = extract_generator_state_dict(ckpt)
    assert list(got) == list(ema)
    assert all(torch.equal(got[k], ema[k]) for k in ema)
    got = extract_generator_state_dict(ckpt, prefer_ema=False)
    assert all(torch.equal(got[k], gen[k]) for k in gen)


def test_bare_state_dict_and_ddp_prefix():
    gen = tiny_net(0).state_dict()
    assert list(extract_generator_state_dict(dict(gen))) == list(gen)
    ddp = {f'module.{k}': v for k, v in gen.items()}
    assert list(extract_generator_state_dict(ddp)) == list(gen)


def test_wrong_source_is_refused(tmp_path):
    src = tmp_path / 'basicsr.pth'
    torch.save({'params': tiny_net().state_dict()}, src)
    with pytest.raises(ValueError, match='esrgan-legacy'):
        convert_checkpoint(src, tmp_path / 'out.pth', source='esrgan-legacy')
    assert not (tmp_path / 'out.pth').exists()


def test_refuses_to_overwrite(tmp_path):
    src, out = tmp_path / 'in.pth', tmp_path / 'out.pth'
    torch.save({'params': tiny_net().state_dict()}, src)
    out.write_bytes(b'precious')
    with pytest.raises(FileExistsError, match='out.pth'):
        convert_checkpoint(src, out, source='basicsr')
    assert out.read_bytes() == b'precious'
    convert_checkpoint(src, out, source='basicsr', overwrite=True)
    generator_of(out)
    assert sorted(os.listdir(tmp_path)) == ['in.pth', 'out.pth']  # no temp


def test_atomic_save_leaves_nothing_on_failure(tmp_path):
    class Unsaveable:
        def __reduce__(self):
            raise RuntimeError('cannot pickle')

    with pytest.raises(RuntimeError):
        save_checkpoint_file({'x': Unsaveable()}, tmp_path / 'a.pth')
    assert os.listdir(tmp_path) == []


CALLS = []


def _record_call(*args):
    CALLS.append(args)
    return 'owned'


class Payload:
    """Would run ``_record_call`` when unpickled by plain pickle."""

    def __reduce__(self):
        return (_record_call, ('pwned', ))


def test_pickled_code_is_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'params': tiny_net().state_dict(), 'extra': Payload()}, path)
    with pytest.raises(UnsafeCheckpointError, match='evil.pth'):
        load_checkpoint_file(path)
    with pytest.raises(UnsafeCheckpointError, match='evil.pth'):
        convert_checkpoint(path, tmp_path / 'out.pth', source='basicsr')
    assert CALLS == []
    assert not (tmp_path / 'out.pth').exists()


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere.pth'):
        load_checkpoint_file(tmp_path / 'nowhere.pth')


def test_mmengine_runner_checkpoint_loads(tmp_path):
    """mmengine's Runner saves its MessageHub (HistoryBuffer, numpy)."""
    from mmengine.logging import MessageHub
    hub = MessageHub('srtoolbox_test_checkpoint')
    hub.update_scalar('train/loss', 0.25)
    hub.update_info('best_psnr', np.float64(30.5))
    path = tmp_path / 'iter_10.pth'
    torch.save({
        'meta': {'iter': 10, 'seed': np.int64(0)},
        'state_dict': OrderedDict(
            ('generator.' + k, v) for k, v in tiny_net().state_dict().items()),
        'message_hub': hub.state_dict(),
    }, path)
    ckpt = load_checkpoint_file(path)
    assert ckpt['message_hub']['log_scalars']['train/loss'].mean() == 0.25
    assert list(extract_generator_state_dict(ckpt)) == list(
        tiny_net().state_dict())


def test_corrupt_file_is_not_called_unsafe(tmp_path):
    path = tmp_path / 'truncated.pth'
    path.write_bytes(b'\x80\x02not a checkpoint')
    with pytest.raises(RuntimeError, match='truncated.pth') as err:
        load_checkpoint_file(path)
    assert not isinstance(err.value, UnsafeCheckpointError)


# --------------------------------------------------------------------------
# MMagic's own generator layouts, rebuilt from their key description
# (mmagic/models/editors/srgan/sr_resnet.py, edsr/edsr_net.py) with a
# reference forward written from MMagic's code, independent of srtoolbox's.
# --------------------------------------------------------------------------
def _conv(sd, name, x):
    return torch.nn.functional.conv2d(x, sd[f'{name}.weight'],
                                      sd[f'{name}.bias'], padding=1)


def _shuffle_stages(scale):
    return [(f'{i}', 2) for i in range(scale.bit_length() - 1)] \
        if scale in (2, 4, 8) else [('0', 3)]


def mmagic_msrresnet(mid, blocks, scale, seed=0):
    """MMagic MSRResNet keys -> random tensors of their shapes."""
    shapes = OrderedDict(conv_first=(mid, 3))
    for i in range(blocks):
        shapes[f'trunk_net.{i}.conv1'] = (mid, mid)
        shapes[f'trunk_net.{i}.conv2'] = (mid, mid)
    if scale == 4:
        shapes['upsample1.upsample_conv'] = (mid * 4, mid)
        shapes['upsample2.upsample_conv'] = (mid * 4, mid)
    else:
        shapes['upsample1.upsample_conv'] = (mid * scale * scale, mid)
    shapes['conv_hr'] = (mid, mid)
    shapes['conv_last'] = (3, mid)
    return _random_convs(shapes, seed)


def mmagic_edsr(mid, blocks, scale, seed=0):
    """MMagic EDSRNet keys -> random tensors of their shapes."""
    shapes = OrderedDict(conv_first=(mid, 3))
    for i in range(blocks):
        shapes[f'body.{i}.conv1'] = (mid, mid)
        shapes[f'body.{i}.conv2'] = (mid, mid)
    shapes['conv_after_body'] = (mid, mid)
    for index, factor in _shuffle_stages(scale):
        shapes[f'upsample.{index}.upsample_conv'] = (mid * factor ** 2, mid)
    shapes['conv_last'] = (3, mid)
    return _random_convs(shapes, seed)


def _random_convs(shapes, seed):
    gen = torch.Generator().manual_seed(seed)
    sd = OrderedDict()
    for name, (cout, cin) in shapes.items():
        sd[f'{name}.weight'] = torch.randn(cout, cin, 3, 3,
                                           generator=gen) * 0.05
        sd[f'{name}.bias'] = torch.randn(cout, generator=gen) * 0.01
    return sd


def mmagic_msrresnet_forward(sd, x, blocks, scale):
    lrelu = torch.nn.functional.leaky_relu
    feat = lrelu(_conv(sd, 'conv_first', x), 0.1)
    out = feat
    for i in range(blocks):
        res = _conv(sd, f'trunk_net.{i}.conv2',
                    torch.relu(_conv(sd, f'trunk_net.{i}.conv1', out)))
        out = out + res
    shuffle = torch.nn.functional.pixel_shuffle
    if scale == 4:  # no activation after the shuffles
        out = shuffle(_conv(sd, 'upsample1.upsample_conv', out), 2)
        out = shuffle(_conv(sd, 'upsample2.upsample_conv', out), 2)
    else:
        out = shuffle(_conv(sd, 'upsample1.upsample_conv', out), scale)
    out = _conv(sd, 'conv_last', lrelu(_conv(sd, 'conv_hr', out), 0.1))
    return out + torch.nn.functional.interpolate(
        x, scale_factor=scale, mode='bilinear', align_corners=False)


def mmagic_edsr_forward(sd, x, blocks, scale, mean=(0.4488, 0.4371, 0.4040)):
    mean = torch.tensor(mean).view(1, 3, 1, 1)
    x = _conv(sd, 'conv_first', x - mean)  # std 1, images in [0, 1]
    res = x
    for i in range(blocks):
        res = res + _conv(sd, f'body.{i}.conv2',
                          torch.relu(_conv(sd, f'body.{i}.conv1', res)))
    res = _conv(sd, 'conv_after_body', res) + x
    for index, factor in _shuffle_stages(scale):
        res = torch.nn.functional.pixel_shuffle(
            _conv(sd, f'upsample.{index}.upsample_conv', res), factor)
    return _conv(sd, 'conv_last', res) + mean


def _mmagic_file(tmp_path, generator_sd):
    """An MMagic (mmengine Runner) checkpoint around ``generator_sd``."""
    state = OrderedDict(('generator.' + k, v) for k, v in
                        generator_sd.items())
    path = tmp_path / 'mmagic_iter_1000.pth'
    torch.save({'meta': {'mmagic_version': '1.2.0', 'iter': 1000},
                'state_dict': state}, path)
    return path


@pytest.mark.parametrize('scale', [2, 3, 4])
def test_mmagic_msrresnet_same_outputs(tmp_path, scale):
    from srtoolbox.apis import (WeightsMismatchError, load_generator_weights,
                                read_generator_weights)
    mm = mmagic_msrresnet(8, 2, scale, seed=scale)
    src = _mmagic_file(tmp_path, mm)
    out = tmp_path / 'converted.pth'
    convert_checkpoint(src, out, source='mmagic')
    ckpt = load_checkpoint_file(out)
    assert ckpt['meta']['generator_settings'] == {'upsample_lrelu': False}
    x = torch.rand(1, 3, 7, 9)
    with torch.no_grad():
        expected = mmagic_msrresnet_forward(mm, x, 2, scale)
    for path in (out, src):  # the converted file, and the original read as is
        net = MSRResNet(num_feat=8, num_blocks=2, upscale=scale,
                        upsample_lrelu=False).eval()
        load_generator_weights(net, read_generator_weights(path))
        with torch.no_grad():
            torch.testing.assert_close(net(x), expected, rtol=0, atol=1e-6)
    # built BasicSR's way (LeakyReLU after the shuffles): refused by name
    with pytest.raises(WeightsMismatchError,
                       match=r'upsample_lrelu=False.*model\.generator\.'
                       r'upsample_lrelu=False'):
        load_generator_weights(MSRResNet(num_feat=8, num_blocks=2,
                                         upscale=scale),
                               read_generator_weights(out))


@pytest.mark.parametrize('scale', [2, 3, 4])
def test_mmagic_edsr_same_outputs(tmp_path, scale):
    from srtoolbox.apis import (WeightsMismatchError, load_generator_weights,
                                read_generator_weights)
    from srtoolbox.models.generators import EDSR
    mm = mmagic_edsr(8, 2, scale, seed=scale)
    out = tmp_path / 'converted.pth'
    convert_checkpoint(_mmagic_file(tmp_path, mm), out, source='mmagic')
    x = torch.rand(1, 3, 7, 9)
    net = EDSR(num_feat=8, num_blocks=2, upscale=scale, img_range=1.).eval()
    load_generator_weights(net, read_generator_weights(out))
    with torch.no_grad():
        torch.testing.assert_close(net(x), mmagic_edsr_forward(mm, x, 2,
                                                               scale),
                                   rtol=0, atol=1e-5)
    with pytest.raises(WeightsMismatchError, match=r'img_range=1\.0'):
        load_generator_weights(EDSR(num_feat=8, num_blocks=2, upscale=scale),
                               read_generator_weights(out))


def test_mmagic_rrdbnet_names_are_basicsr_names(tmp_path):
    # MMagic's RRDBNet (esrgan/rrdb_net.py): conv_first, body.N.rdbM.convK,
    # conv_body, conv_up1/2, conv_hr, conv_last, as BasicSR; no settings
    from srtoolbox.apis import read_generator_weights
    net = tiny_rrdbnet(3)
    weights = read_generator_weights(_mmagic_file(tmp_path,
                                                  net.state_dict()))
    assert weights.settings == {}
    assert 'body.1.rdb3.conv5.weight' in weights.state_dict
    assert_same_output(net, weights.state_dict)
