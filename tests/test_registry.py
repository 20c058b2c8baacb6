import os.path as osp
import subprocess
import sys
import textwrap

import pytest
import torch

from srtoolbox.registry import (ALL_REGISTRIES, GENERATORS, LOSSES, METRICS,
                                RegistryMissError)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def test_lookup_hit_imports_location():
    cls = GENERATORS.get('SRResNet')
    assert cls.__name__ == 'SRResNet'
    assert 'MSELoss' in LOSSES
    assert METRICS.get('PSNR').__name__ == 'PSNR'


def test_lookup_miss_names_registry_lists_and_suggests():
    with pytest.raises(RegistryMissError) as err:
        GENERATORS.build(dict(type='SRResnet'))
    msg = str(err.value)
    assert "'SRResnet' is not in srtoolbox's generator registry" in msg
    assert 'MSRResNet' in msg and 'RRDBNet' in msg  # lists what it holds
    assert "Did you mean 'SRResNet'" in msg
    assert isinstance(err.value, KeyError)
    assert 'NotAThing' not in GENERATORS  # membership tests don't raise


def test_runner_level_build_gives_the_same_message():
    # models built by mmengine's root registry (as the Runner does) switch
    # to srtoolbox's MODELS and must fail just as clearly
    from mmengine.registry import MODELS as ROOT
    with pytest.raises(KeyError, match="Did you mean 'SRModel'"):
        ROOT.build(dict(type='SRModle', generator=dict(type='SRResNet')))


def test_sub_registries_build_under_default_scope():
    # GENERATORS is a child of MODELS: with default scope 'srtoolbox' a build
    # must stay in GENERATORS rather than switch to MODELS
    net = GENERATORS.build(dict(type='MSRResNet', num_blocks=1, upscale=2))
    assert net(torch.rand(1, 3, 4, 4)).shape == (1, 3, 8, 8)


def test_custom_module_via_custom_imports(tmp_path):
    pkg = tmp_path / 'my_sr_project'
    pkg.mkdir()
    (pkg / '__init__.py').write_text('')
    (pkg / 'tiny_net.py').write_text(textwrap.dedent('''
        from torch import nn
        from srtoolbox.registry import GENERATORS

        @GENERATORS.register_module()
        class TinyUpsampler(nn.Module):
            def __init__(self, *, upscale=2):
                super().__init__()
                self.upscale = upscale
                self.conv = nn.Conv2d(3, 3 * upscale ** 2, 3, 1, 1)
                self.shuffle = nn.PixelShuffle(upscale)

            def forward(self, x):
                return self.shuffle(self.conv(x))
    '''))
    cfg_file = tmp_path / 'tiny.py'
    cfg_file.write_text(textwrap.dedent('''
        custom_imports = dict(imports=['my_sr_project.tiny_net'],
                              allow_failed_imports=False)
        model = dict(type='SRModel',
                     generator=dict(type='TinyUpsampler', upscale=2),
                     pixel_loss=dict(type='L1Loss'))
    '''))
    sys.path.insert(0, str(tmp_path))
    try:
        from mmengine.config import Config
        from mmengine.registry import MODELS as ROOT
        cfg = Config.fromfile(str(cfg_file))  # imports the custom module
        model = ROOT.build(cfg.model)
        assert type(model.generator).__name__ == 'TinyUpsampler'
        out = model(torch.rand(1, 3, 5, 5), mode='tensor')
        assert out.shape == (1, 3, 10, 10)
    finally:
        sys.path.remove(str(tmp_path))
        GENERATORS.module_dict.pop('TinyUpsampler', None)


def test_list_modules_tool_prints_every_registry():
    out = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'list_modules.py')],
        capture_output=True, text=True, check=True).stdout
    for name in ALL_REGISTRIES:
        assert f'{name} (' in out
    for module in ('SRResNet', 'SRGANDiscriminator', 'PerceptualLoss',
                   'HRImageDataset', 'PSNR', 'SRModel'):
        assert module in out
    one = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'list_modules.py'),
         'losses'], capture_output=True, text=True, check=True).stdout
    assert 'MSELoss' in one and 'generators (' not in one


def test_import_srtoolbox_is_light():
    code = ('import sys, srtoolbox; print(srtoolbox.__version__); '
            "print(any(m in sys.modules for m in ('torch', 'mmengine', "
            "'cv2', 'lmdb')))")
    out = subprocess.run([sys.executable, '-c', code], cwd=REPO,
                         capture_output=True, text=True, check=True)
    version, heavy = out.stdout.split()
    assert version.count('.') == 2
    assert heavy == 'False'
