"""Fine-tuning from config: ``model.pretrained_generator`` reads BasicSR
and .safetensors files and skips the upsampler for x2 -> x4; mmengine's
``load_from`` that would load nothing, or part of the model, is refused.

The runs that stop at once name their experiment: mmengine names a run's
logger by its start second, and two runs in one second would share one
(the second then writes no log file of its own)."""
import pytest
import torch

from srtoolbox.engine.load_from import LoadFromMismatchError
from srtoolbox.models.weights import write_safetensors

from .tiny_run import tiny_config, train_in_process


def _x2_weights():
    import srtoolbox.models  # noqa: F401 (registration)
    from srtoolbox.registry import GENERATORS
    torch.manual_seed(5)
    return GENERATORS.build(dict(type='MSRResNet', upscale=2, num_feat=8,
                                 num_blocks=1)).state_dict()


@pytest.mark.parametrize('layout', ['basicsr', 'safetensors'])
def test_x2_to_x4_fine_tuning_from_config(tiny_data, tmp_path, layout,
                                          one_thread):
    source = _x2_weights()
    if layout == 'basicsr':
        path = tmp_path / 'msrresnet_x2.pth'
        torch.save({'params_ema': source}, path)
    else:
        path = tmp_path / 'msrresnet_x2.safetensors'
        write_safetensors(source, str(path), generator_cfg=dict(
            type='MSRResNet', upscale=2, num_feat=8, num_blocks=1), scale=2)
    config = tiny_config(tiny_data, tmp_path / 'cfg.py')
    # lr 0: the weights after training are the weights training started from
    _, state = train_in_process(config, tmp_path / 'work', **{
        'model.pretrained_generator': dict(path=str(path),
                                           skip_mismatched=['upconv2.']),
        'optim_wrapper.optimizer.lr': 0.0, 'train_cfg.max_iters': 2,
        'experiment_name': f'fine_tune_{layout}'})
    for key, value in source.items():
        assert torch.equal(state[f'generator.{key}'], value), key
        assert torch.equal(state[f'generator_ema.{key}'], value), key
    assert 'generator.upconv2.weight' in state


def test_load_from_that_loads_nothing_is_refused(tiny_data, tmp_path):
    path = tmp_path / 'basicsr.pth'
    torch.save({'params_ema': _x2_weights()}, path)
    config = tiny_config(tiny_data, tmp_path / 'cfg.py')
    with pytest.raises(LoadFromMismatchError,
                       match=r"0 of the model's \d+ tensors would be loaded"
                       r"(.|\n)*pretrained_generator"):
        train_in_process(config, tmp_path / 'work', load_from=str(path),
                         experiment_name='load_from_nothing')


def test_load_from_that_loads_part_of_the_model_is_refused(tiny_data,
                                                           tmp_path):
    # a checkpoint of the x2 model: every tensor but the x4 upsampler fits
    sd = {f'{prefix}.{k}': v for k, v in _x2_weights().items()
          for prefix in ('generator', 'generator_ema')}
    path = tmp_path / 'x2.pth'
    torch.save({'state_dict': sd, 'meta': {}}, path)
    config = tiny_config(tiny_data, tmp_path / 'cfg.py')
    with pytest.raises(LoadFromMismatchError,
                       match=r'not in the file \(4\): generator\.upconv2'):
        train_in_process(config, tmp_path / 'work', load_from=str(path),
                         experiment_name='load_from_part')
