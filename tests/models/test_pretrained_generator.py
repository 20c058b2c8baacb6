"""pretrained_generator on every model: layouts, x2 -> x4 fine-tuning
(the upsampler skipped), the EMA copy filled, what was loaded logged."""
import pytest
import torch
from mmengine.logging import MMLogger

import srtoolbox.models  # noqa: F401 (registration)
from srtoolbox.models.weights import WeightsMismatchError
from srtoolbox.registry import GENERATORS, MODELS


def edsr(upscale):
    return dict(type='EDSR', num_feat=8, num_blocks=1, upscale=upscale)


def x2_weights(seed=3):
    torch.manual_seed(seed)
    return GENERATORS.build(edsr(2)).state_dict()


def save(layout, sd, folder):
    if layout == 'basicsr':
        path = folder / 'edsr_x2.pth'
        torch.save({'params': sd, 'params_ema': sd}, path)
    else:
        # a bare file of another tool (no srtoolbox metadata)
        from safetensors.torch import save_file
        path = folder / 'edsr_x2.safetensors'
        save_file({k: v.contiguous() for k, v in sd.items()}, str(path))
    return str(path)


MODEL_CFGS = {
    'SRModel': dict(type='SRModel', pixel_loss=dict(type='L1Loss')),
    'RealESRNet': dict(type='RealESRNet', queue_size=0, degradation=dict(
        type='SecondOrderDegradation', scale=4, gt_size=32)),
    'SRGAN': dict(type='SRGAN', gan_loss=dict(type='GANLoss'),
                  discriminator=dict(type='SRGANDiscriminator', num_feat=8,
                                     input_size=32)),
}


@pytest.mark.parametrize('layout', ['basicsr', 'safetensors'])
@pytest.mark.parametrize('model_type', sorted(MODEL_CFGS))
def test_x2_to_x4_skips_the_upsampler_and_fills_the_ema(
        tmp_path, layout, model_type, capsys):
    source = x2_weights()
    path = save(layout, source, tmp_path)
    torch.manual_seed(0)
    model = MODELS.build(dict(
        MODEL_CFGS[model_type], generator=edsr(4), ema_decay=0.9,
        pretrained_generator=dict(path=path, skip_mismatched=['upsample.'])))
    fresh = {k: v.clone() for k, v in model.generator.state_dict().items()}
    MMLogger.get_instance(f'pretrained-{model_type}-{layout}')
    model.init_weights()
    got = model.generator.state_dict()
    for key, value in source.items():  # upsample.0 has the same shape
        assert torch.equal(got[key], value), key
    # the x4 network's second upsampling conv is new: left as initialised
    assert torch.equal(got['upsample.2.weight'], fresh['upsample.2.weight'])
    assert not torch.equal(got['upsample.2.weight'],
                           source['upsample.0.weight'])
    ema = model.generator_ema.state_dict()
    assert all(torch.equal(ema[k], v) for k, v in got.items())
    out = capsys.readouterr().out
    assert f'{len(source)} of {len(got)} tensors loaded' in out
    assert 'upsample.2.weight (not in the file)' in out


def test_strict_names_what_does_not_fit(tmp_path):
    path = save('basicsr', x2_weights(), tmp_path)
    model = MODELS.build(dict(MODEL_CFGS['SRModel'], generator=edsr(4),
                              pretrained_generator=path))
    with pytest.raises(WeightsMismatchError,
                       match=r'missing keys \(2\): upsample\.2\.weight'):
        model.init_weights()
    # skipping elsewhere does not excuse the upsampler
    model.pretrained_cfg['skip_mismatched'] = ['conv_last.']
    with pytest.raises(WeightsMismatchError, match='upsample.2.bias'):
        model.init_weights()


def test_a_file_of_which_nothing_fits_is_refused(tmp_path):
    torch.manual_seed(0)
    other = GENERATORS.build(dict(type='SRVGGNetCompact', num_feat=8,
                                  num_conv=1)).state_dict()
    path = tmp_path / 'compact.pth'
    torch.save({'params': other}, path)
    model = MODELS.build(dict(MODEL_CFGS['SRModel'], generator=edsr(4),
                              pretrained_generator=dict(
                                  path=str(path), strict=False)))
    with pytest.raises(WeightsMismatchError, match='no tensor of the file'):
        model.init_weights()
    with pytest.raises(ValueError, match='pretrained_generator must be'):
        MODELS.build(dict(MODEL_CFGS['SRModel'], generator=edsr(4),
                          pretrained_generator=dict(file=str(path))))


def test_edsr_pytorch_release_x2_to_x4(tmp_path):
    """The authors' EDSR layout (head/body/tail keys, [0, 255] mean
    shifts) read from its bare file, the x2 upsampler kept for x4."""
    import importlib.util
    import os.path as osp
    spec = importlib.util.spec_from_file_location('edsr_layout', osp.join(
        osp.dirname(osp.abspath(__file__)), 'weights',
        'test_edsr_pytorch_layout.py'))
    layout = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(layout)
    torch.manual_seed(0)
    sd, _ = layout.edsr_layout(8, 1, 2)
    torch.save(sd, tmp_path / 'EDSR_x2.pt')
    model = MODELS.build(dict(
        MODEL_CFGS['SRModel'], generator=edsr(4), pretrained_generator=dict(
            path=str(tmp_path / 'EDSR_x2.pt'), skip_mismatched='upsample.')))
    model.init_weights()
    got = model.generator.state_dict()
    assert torch.equal(got['conv_first.weight'], sd['head.0.weight'])
    assert torch.equal(got['upsample.0.weight'], sd['tail.0.0.weight'])
