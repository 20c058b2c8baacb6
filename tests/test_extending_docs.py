"""#13.7: every example of docs/extending.md runs: the blocks are written
to a temporary ``my_project/``, each module's contract is checked and the
page's config trains for a few iterations with all of them."""
import os.path as osp
import re
import sys

import numpy as np
import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DOC = osp.join(REPO, 'docs', 'extending.md')
NAMES = {'generators': ['FSRCNN'], 'discriminators': ['TinyCritic'],
         'losses': ['SpectralL1Loss'], 'datasets': ['TextureDataset'],
         'transforms': ['AddLRNoise'], 'metrics': ['MAE'],
         'hooks': ['LossThresholdHook'],
         'models': ['SmoothRealGAN']}
GAN_LOSSES = ['RelativisticHingeGANLoss']


def _blocks():
    text = open(DOC, encoding='utf-8').read()
    found = {}
    for code in re.findall(r'```python\n(.*?)```', text, re.S):
        first = code.splitlines()[0]
        if first.startswith('# my_project/'):
            found[first[2:].strip()] = code.replace('SRTOOLBOX', REPO)
    return found


@pytest.fixture
def my_project(tmp_path, monkeypatch):
    blocks = _blocks()
    # 7 registries + the config + the GAN variant
    assert len(blocks) == 9, sorted(blocks)
    (tmp_path / 'my_project').mkdir()
    (tmp_path / 'my_project' / '__init__.py').write_text('')
    for name, code in blocks.items():
        (tmp_path / name).write_text(code)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    from srtoolbox import registry
    for reg, names in NAMES.items():  # leave the registries as they were
        for n in names:
            registry.ALL_REGISTRIES[reg]._module_dict.pop(n, None)
    for n in GAN_LOSSES:
        registry.LOSSES._module_dict.pop(n, None)
    for mod in [m for m in sys.modules if m.startswith('my_project')]:
        del sys.modules[mod]


def test_each_example_keeps_its_contract(my_project):
    import importlib
    for mod in ('fsrcnn', 'critic', 'fft_loss', 'textures', 'noise', 'mae',
                'early_stop'):
        importlib.import_module(f'my_project.{mod}')
    from srtoolbox.registry import (DATASETS, DISCRIMINATORS, GENERATORS,
                                    LOSSES, METRICS, TRANSFORMS)
    x = torch.rand(2, 3, 8, 8)
    gen = GENERATORS.build(dict(type='FSRCNN', upscale=4))
    assert gen(x).shape == (2, 3, 32, 32)
    critic = DISCRIMINATORS.build(dict(type='TinyCritic', input_size=32))
    assert critic(torch.rand(2, 3, 32, 32)).shape == (2, 1)
    loss = LOSSES.build(dict(type='SpectralL1Loss', loss_weight=2.0))
    a = torch.rand(2, 3, 8, 8)
    assert loss(a, a).item() == 0 and loss(a, a + 0.1).ndim == 0
    ds = DATASETS.build(dict(type='TextureDataset', num_images=3, size=16,
                             scale=4))
    gt = ds[1]['gt']
    assert len(ds) == 3 and gt.shape == (16, 16, 3) and gt.dtype == np.uint8
    noise = TRANSFORMS.build(dict(type='AddLRNoise', sigma=5.0))
    out = noise(dict(lq=np.full((4, 4, 3), 128, np.uint8)))
    assert out['lq'].dtype == np.uint8 and out['lq'].std() > 0
    mae = METRICS.build(dict(type='MAE'))
    mae.process(None, [dict(pred=np.full((2, 2, 3), 10, np.uint8),
                            gt=np.zeros((2, 2, 3), np.uint8), dataset='s')])
    assert mae.compute_metrics(mae.results) == {'s/MAE': 10.0}


def test_the_config_trains_with_all_of_them(my_project):
    from srtoolbox.engine.launch import (load_config, prepare_train_config,
                                         train_from_config)
    torch_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        cfg = load_config('my_project/fsrcnn_x4.py')
        cfg = prepare_train_config(cfg, work_dir=str(my_project / 'work'),
                                   check_data=False)
        runner = train_from_config(cfg)
    finally:
        torch.set_num_threads(torch_threads)
    lines = (my_project / 'work' / 'loss.txt').read_text().splitlines()
    assert [int(line.split()[0]) for line in lines] == [1, 2, 3, 4]
    scalars = runner.message_hub.log_scalars
    assert 'val/val_textures/MAE' in scalars and \
        'val/val_textures/PSNR' in scalars
    assert (my_project / 'work' / 'iter_4.pth').exists()


def test_the_gan_variant_trains_with_its_formulation_and_target(my_project):
    from mmengine.logging import MessageHub
    from mmengine.optim import OptimWrapper, OptimWrapperDict
    import my_project.rahinge_gan  # noqa: F401 (registers both)
    from srtoolbox.registry import MODELS
    block = _blocks()['my_project/rahinge_gan.py']
    assert len(block.splitlines()) < 40
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='SmoothRealGAN',
        generator=dict(type='SRResNet', num_feat=8, num_blocks=1),
        discriminator=dict(type='SRGANDiscriminator', num_feat=8,
                           input_size=32),
        pixel_loss=dict(type='L1Loss'), update_order='g_then_d',
        gan_loss=dict(type='RelativisticHingeGANLoss', loss_weight=5e-3,
                      target='gt_smooth')))
    optim = OptimWrapperDict(**{
        name: OptimWrapper(torch.optim.Adam(
            getattr(model, name).parameters(), lr=1e-3))
        for name in ('generator', 'discriminator')})
    gt = torch.rand(2, 3, 32, 32)
    data = dict(inputs=torch.rand(2, 3, 8, 8), data_samples=dict(gt=gt))
    with torch.no_grad():  # D judges the smoothed HR as real
        real = model.discriminator(torch.nn.functional.avg_pool2d(
            gt, 3, 1, 1))
        fake = model.discriminator(model.generator(data['inputs']))
    MessageHub.get_current_instance().update_info('iter', 0)
    d0 = [p.detach().clone() for p in model.discriminator.parameters()]
    log = model.train_step(data, optim)
    # the hinge of the smoothed HR's logits against the mean fake logit
    assert log['loss_d_real'] == pytest.approx(
        torch.relu(1 - real + fake.mean()).mean().item(), rel=1e-5)
    assert {'loss_gan', 'loss_pix', 'loss_d_real', 'loss_d_fake'} <= set(log)
    assert any(not torch.equal(a, b) for a, b in
               zip(d0, model.discriminator.parameters()))
