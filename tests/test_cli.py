"""#13.3: the ``srt`` command: sub-commands over tools/*.py, from any
directory; unknown sub-commands list the valid ones; custom modules and
signatures in ``srt list``; ``srt infer`` names an unreadable image and
goes on."""
import os.path as osp
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from srtoolbox import cli

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _srt():
    exe = shutil.which('srt')
    return [exe] if exe else [sys.executable, '-m', 'srtoolbox.cli']


def test_help_from_another_directory(tmp_path):
    proc = subprocess.run(_srt() + ['--help'], capture_output=True,
                          text=True, cwd=str(tmp_path), timeout=120)
    assert proc.returncode == 0, proc.stderr
    for name in ('train', 'test', 'infer', 'eval', 'list', 'convert',
                 'interpolate', 'lmdb', 'flops'):
        assert f'\n  {name} ' in proc.stdout


def test_unknown_subcommand_lists_the_valid_ones(capsys):
    assert cli.main(['trian']) == 2
    err = capsys.readouterr().err
    assert "unknown sub-command 'trian'" in err and "'train'" in err
    assert all(name in err for name in cli.COMMANDS)


def test_flops_finds_a_repo_config_from_elsewhere(tmp_path, monkeypatch,
                                                  capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(['flops', 'configs/srresnet/msrresnet_x4_demo.py',
                     '--shape', '18', '32']) == 0
    out = capsys.readouterr()
    assert 'using ' + osp.join(REPO, 'configs') in out.err
    # 146,080,972,800 MACs at 180x320 scale with the pixel count
    assert 'MACs:      1,460,809,728 ' in out.out


MY_NET = '''
from torch import nn
from srtoolbox.registry import GENERATORS


@GENERATORS.register_module(force=True)
class CliTestUpsampler(nn.Module):
    """A one-conv x4 upsampler of the CLI test."""

    def __init__(self, *, num_feat: int = 7, upscale: int = 4):
        super().__init__()
        self.conv = nn.Conv2d(3, 3 * upscale ** 2, 3, 1, 1)
        self.shuffle = nn.PixelShuffle(upscale)

    def forward(self, x):
        return self.shuffle(self.conv(x))
'''


def test_list_imports_custom_modules_and_shows_signatures(
        tmp_path, monkeypatch, capsys):
    (tmp_path / 'my_cli_nets.py').write_text(MY_NET)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, 'path', list(sys.path))
    from srtoolbox.registry import GENERATORS
    try:
        assert cli.main(['list', 'generators', '--import', 'my_cli_nets',
                         '--verbose']) == 0
    finally:  # leave the registry as other tests expect it
        GENERATORS._module_dict.pop('CliTestUpsampler', None)
        sys.modules.pop('my_cli_nets', None)
    out = capsys.readouterr().out
    assert 'CliTestUpsampler' in out and '[my_cli_nets]' in out
    assert 'CliTestUpsampler(*, num_feat: int = 7, upscale: int = 4)' in out
    assert 'MSRResNet(*' in out  # srtoolbox's own, with their signature


def test_infer_names_an_unreadable_image_and_continues(tmp_path, capsys,
                                                       caplog):
    from srtoolbox.models.builder import build_generator
    from srtoolbox.utils.image_io import imwrite
    cfg = tmp_path / 'tiny.py'
    cfg.write_text("model = dict(type='SRModel', generator=dict("
                   "type='MSRResNet', upscale=4, num_feat=8, num_blocks=1))\n")
    net = build_generator(dict(type='MSRResNet', upscale=4, num_feat=8,
                               num_blocks=1))
    ckpt = tmp_path / 'w.pth'
    torch.save({'state_dict': {f'generator.{k}': v for k, v in
                               net.state_dict().items()}}, ckpt)
    photos = tmp_path / 'photos'
    photos.mkdir()
    imwrite(np.zeros((6, 5, 3), np.uint8), photos / 'a_good.png')
    (photos / 'b_broken.png').write_bytes(b'\x89PNG not really')
    imwrite(np.zeros((4, 7, 3), np.uint8), photos / 'c_good.png')
    out = tmp_path / 'out'
    code = cli.main(['infer', '--config', str(cfg), '--checkpoint',
                     str(ckpt), '--input', str(photos), '--output', str(out),
                     '--device', 'cpu'])
    assert code == 1  # something was skipped
    said = capsys.readouterr()
    assert 'b_broken.png' in said.out + said.err + caplog.text
    assert sorted(p.name for p in out.iterdir()) == ['a_good.png',
                                                    'c_good.png']
