"""Weights files without a config: detected, loaded, refused with reasons."""
import json
import os
import pickle

import numpy as np
import pytest
import torch

from srtoolbox.apis.export_weights import export_weights
from srtoolbox.apis.inference import SRInferencer
from srtoolbox.models.builder import build_generator
from srtoolbox.models.weights import (NotSuperResolutionError,
                                      SafetensorsError,
                                      UnknownArchitectureError,
                                      WeightsMismatchError,
                                      load_generator_from_file,
                                      make_checkpoint, read_safetensors,
                                      write_safetensors)
from srtoolbox.utils.checkpoint_io import UnsafeCheckpointError

SWINIR = dict(type='SwinIR', upscale=2, embed_dim=12, depths=[1],
              num_heads=[2], window_size=4, mlp_ratio=1.,
              upsampler='pixelshuffledirect')
COMPACT = dict(type='Compact', upscale=4, num_feat=8, num_conv=2)


def net_and_input(cfg):
    torch.manual_seed(0)
    return build_generator(cfg).eval(), torch.rand(1, 3, 16, 16)


def same_output(a, b, x):
    with torch.no_grad():
        torch.testing.assert_close(a(x), b(x))


@pytest.mark.parametrize('wrap', [
    'bare', 'params_ema', 'params', 'state_dict_module', 'mmagic_ema'])
def test_spandrel_detects_through_wrappers(wrap, tmp_path):
    net, x = net_and_input(SWINIR)
    sd = net.state_dict()
    ckpt = {
        'bare': sd,
        'params_ema': {'params_ema': sd, 'params': {
            k: torch.zeros_like(v) for k, v in sd.items()}},
        'params': {'params': sd},
        'state_dict_module': {'state_dict': {f'module.{k}': v
                                             for k, v in sd.items()}},
        'mmagic_ema': {'state_dict': {
            **{f'generator_ema.module.{k}': v for k, v in sd.items()},
            **{f'generator.module.{k}': v * 0 for k, v in sd.items()}},
            'meta': {}},
    }[wrap]
    torch.save(ckpt, tmp_path / 'w.pth')
    det = load_generator_from_file(tmp_path / 'w.pth')
    assert det.generator_cfg['type'] == 'SwinIR' and det.scale == 2
    assert det.generator_cfg['embed_dim'] == 12
    assert "spandrel's SwinIR" in det.how
    text = det.describe()
    assert 'SwinIR x2' in text and 'embed_dim=12' in text
    same_output(det.network, net, x)


def test_srtoolbox_checkpoint_records_its_generator(tmp_path):
    cfg = dict(type='MSRResNet', upscale=2, num_feat=8, num_blocks=1)
    net, x = net_and_input(cfg)
    ckpt = make_checkpoint(net.state_dict(), {'generator_cfg': cfg,
                                              'gt_range': [0.0, 1.0]})
    torch.save(ckpt, tmp_path / 'iter_1.pth')
    sr = SRInferencer(checkpoint=str(tmp_path / 'iter_1.pth'),
                      device='cpu', progress=False)
    assert sr.detected.how == 'srtoolbox checkpoint metadata'
    assert sr.detected.generator_cfg == cfg
    same_output(sr.generator, net, x)


def test_safetensors_export_loads_here_and_in_spandrel(tmp_path):
    from spandrel import ModelLoader
    net, x = net_and_input(COMPACT)
    torch.save(make_checkpoint(net.state_dict(), {
        'generator_cfg': COMPACT, 'iter': 7, 'cfg': 'model = dict()'}),
        tmp_path / 'iter_7.pth')
    out = tmp_path / 'compact.safetensors'
    export_weights(tmp_path / 'iter_7.pth', out)
    _, meta = read_safetensors(out)
    assert meta['architecture'] == 'Compact' and meta['scale'] == '4'
    assert meta['iterations'] == '7' and len(meta['config_hash']) == 64
    assert json.loads(meta['value_range']) == [0.0, 1.0]
    assert json.loads(meta['generator_cfg'])['num_conv'] == 2
    det = load_generator_from_file(out)
    assert det.how == 'srtoolbox safetensors metadata'
    same_output(det.network, net, x)
    theirs = ModelLoader().load_from_file(str(out))
    assert theirs.architecture.id == 'Compact' and theirs.scale == 4
    same_output(theirs.model.eval(), net, x)
    with pytest.raises(FileExistsError):
        export_weights(tmp_path / 'iter_7.pth', out)


def test_srtoolbox_network_safetensors_without_spandrel_support(tmp_path):
    cfg = dict(type='EDSR', upscale=2, num_feat=8, num_blocks=1)
    net, x = net_and_input(cfg)
    write_safetensors(net.state_dict(), tmp_path / 'edsr.safetensors',
                      generator_cfg=cfg, scale=2)
    det = load_generator_from_file(tmp_path / 'edsr.safetensors')
    same_output(det.network, net, x)
    # and with no metadata at all: found by its BasicSR names and shapes
    from safetensors.torch import save_file
    save_file({k: v.contiguous() for k, v in net.state_dict().items()},
              str(tmp_path / 'bare.safetensors'))
    det = load_generator_from_file(tmp_path / 'bare.safetensors')
    assert det.generator_cfg['type'] == 'EDSR' and det.scale == 2
    same_output(det.network, net, x)


def test_unknown_state_dict_lists_what_was_tried(tmp_path):
    torch.save({'encoder.weight': torch.zeros(4, 3, 3, 3)}, tmp_path / 'u.pth')
    with pytest.raises(UnknownArchitectureError) as err:
        load_generator_from_file(tmp_path / 'u.pth')
    msg = str(err.value)
    assert 'SwinIR' in msg and 'HAT' in msg and 'EDSR-PyTorch' in msg
    assert 'encoder.weight (4, 3, 3, 3)' in msg


def test_denoiser_is_named_not_super_resolution(tmp_path):
    from srtoolbox.models.generators.spandrel_archs import spandrel_class
    # spandrel detects DnCNN by the released models' 17 layers, BN-free ones
    dncnn = spandrel_class('DnCNN', 'DnCNN')(in_nc=3, out_nc=3, nc=8, nb=17,
                                             act_mode='R')
    torch.save(dncnn.state_dict(), tmp_path / 'dncnn.pth')
    with pytest.raises(NotSuperResolutionError, match='DnCNN'):
        SRInferencer(checkpoint=str(tmp_path / 'dncnn.pth'), device='cpu')


def test_config_that_disagrees_names_keys_and_shapes(tmp_path):
    net, _ = net_and_input(COMPACT)
    torch.save(net.state_dict(), tmp_path / 'c.pth')
    with pytest.raises(WeightsMismatchError) as err:
        SRInferencer(generator=dict(COMPACT, num_feat=16),
                     checkpoint=str(tmp_path / 'c.pth'), device='cpu')
    assert 'body.0.weight: checkpoint (8, 3, 3, 3) vs network ' \
        '(16, 3, 3, 3)' in str(err.value)


class _RunsCode:
    def __reduce__(self):
        return (os.getcwd, ())


def test_pickle_that_would_run_code_is_refused(tmp_path):
    with open(tmp_path / 'evil.pth', 'wb') as f:
        pickle.dump({'params': {'x': torch.zeros(1)}, 'hook': _RunsCode()},
                    f)
    torch.save({'params': {'w': torch.zeros(1)}, 'hook': _RunsCode()},
               tmp_path / 'evil2.pth')
    for name in ('evil.pth', 'evil2.pth'):
        with pytest.raises((UnsafeCheckpointError, RuntimeError)):
            load_generator_from_file(tmp_path / name)


def test_truncated_safetensors_is_named(tmp_path):
    net, _ = net_and_input(COMPACT)
    path = tmp_path / 'c.safetensors'
    write_safetensors(net.state_dict(), path, generator_cfg=COMPACT, scale=4)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(SafetensorsError, match='truncated'):
        load_generator_from_file(path)


def test_infer_tool_without_config(tmp_path, capsys):
    from tools.infer import main
    import cv2
    net, _ = net_and_input(COMPACT)
    torch.save({'params_ema': net.state_dict()}, tmp_path / 'compact.pth')
    img = (np.random.default_rng(0).random((12, 10, 3)) * 255).astype(
        np.uint8)
    cv2.imwrite(str(tmp_path / 'a.png'), img)
    assert main(['--checkpoint', str(tmp_path / 'compact.pth'), '--input',
                 str(tmp_path / 'a.png'), '--output',
                 str(tmp_path / 'out')]) == 0
    assert 'detected:' in capsys.readouterr().out
    assert cv2.imread(str(tmp_path / 'out' / 'a.png')).shape == (48, 40, 3)


def test_test_tool_without_config(tmp_path, capsys):
    from tools.test import main
    net, _ = net_and_input(COMPACT)
    torch.save({'params': net.state_dict()}, tmp_path / 'compact.pth')
    main([str(tmp_path / 'compact.pth'), '--data-root', 'data/demo',
          '--test-sets', 'Set5', '--work-dir', str(tmp_path / 'work')])
    out = capsys.readouterr().out
    assert 'detected:' in out and 'Compact x4' in out
    assert 'Set5' in out.split('PSNR')[-1]
    results = json.loads((tmp_path / 'work' / 'test_results.json')
                         .read_text())
    assert results['meta']['generator']['type'] == 'Compact'


def test_interpolate_tool_without_config(tmp_path):
    from tools.interpolate import main
    a, _ = net_and_input(COMPACT)
    torch.manual_seed(1)
    b = build_generator(COMPACT)
    torch.save({'params_ema': a.state_dict()}, tmp_path / 'a.pth')
    torch.save(b.state_dict(), tmp_path / 'b.pth')
    hr = tmp_path / 'hr.png'
    import cv2
    cv2.imwrite(str(hr), (np.random.default_rng(0).random((32, 32, 3)) * 255)
                .astype(np.uint8))
    assert main([str(tmp_path / 'a.pth'), str(tmp_path / 'b.pth'),
                 '--alpha', '0', '0.5', '--out', str(tmp_path / 'out'),
                 '--strip-image', str(hr)]) == 0
    half = load_generator_from_file(tmp_path / 'out' / 'interp_alpha0.50.pth')
    assert half.generator_cfg['type'] == 'Compact'
    expected = (a.state_dict()['body.0.weight'] +
                b.state_dict()['body.0.weight']) / 2
    torch.testing.assert_close(half.network.state_dict()['body.0.weight'],
                               expected)
    assert (tmp_path / 'out' / 'strip_hr.png').is_file()
