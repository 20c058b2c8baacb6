"""model-zoo.md generation: measured rows, result files and strips."""
import json
import os.path as osp
from collections import OrderedDict

import pytest
import torch

from srtoolbox.apis.model_zoo import (ZooEntry, build_zoo, render_markdown,
                                      zoo_strip)
from srtoolbox.models.generators import SRResNet
from srtoolbox.utils import imread

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _tiny(tmp_path, name='tiny', with_ckpt=True):
    """A config, a checkpoint and a tools/test.py-style result file."""
    cfg = tmp_path / f'{name}.py'
    cfg.write_text("model = dict(generator=dict(type='SRResNet', num_feat=4, "
                   "num_blocks=1, upscale=4), data_preprocessor=dict("
                   "type='SRDataPreprocessor', gt_range=[0.0, 1.0]))\n")
    ckpt = tmp_path / f'{name}.pth'
    if with_ckpt:
        torch.manual_seed(0)
        net = SRResNet(num_feat=4, num_blocks=1, upscale=4)
        torch.save({'state_dict': OrderedDict(
            ('generator.' + k, v) for k, v in net.state_dict().items())},
            ckpt)
    result = tmp_path / f'{name}.json'
    result.write_text(json.dumps({
        'summary': {'Set5/PSNR': 30.123, 'Set5/SSIM': 0.8611,
                    'Set14/PSNR': 27.5, 'Set14/SSIM': 0.75},
        'meta': {'config': f'{name}.py', 'checkpoint': f'{name}.pth'}}))
    return ZooEntry(name, f'{name}.py', {'Set5': (32.0, 0.9)}, 'Paper 2017',
                    result=f'{name}.json', budget='3 iterations')


def test_rows_and_markdown(tmp_path):
    trained = _tiny(tmp_path)
    untrained = ZooEntry('other', trained.config)
    rows = build_zoo(str(tmp_path), [trained, untrained],
                     time_inference=False, shape=(8, 8))
    net = SRResNet(num_feat=4, num_blocks=1, upscale=4)
    assert rows[0]['stats']['params'] == sum(p.numel()
                                             for p in net.parameters())
    assert rows[0]['stats']['macs'] > 0
    text = render_markdown(rows, 'python tools/model_zoo.py', 'test machine',
                           shape=(8, 8))
    line = next(ln for ln in text.splitlines() if ln.startswith('| tiny |'))
    assert '30.12 / 0.8611' in line and '27.50 / 0.7500' in line
    assert '3 iterations' in line and line.count('–') >= 1  # no BSD68
    other = next(ln for ln in text.splitlines()
                 if ln.startswith('| other |'))
    assert 'not trained here' in other
    assert '| tiny | 32.00 / 0.9000 |' in text  # the paper's own table
    assert 'python tools/model_zoo.py' in text


def test_strip_needs_every_checkpoint(tmp_path):
    rows = build_zoo(str(tmp_path), [_tiny(tmp_path, 'a'),
                                     _tiny(tmp_path, 'b', with_ckpt=False)],
                     time_inference=False, shape=(8, 8))
    hr = osp.join(REPO, 'data', 'demo', 'Set5', 'bird.png')
    with pytest.raises(FileNotFoundError, match=r'b: .*b\.pth'):
        zoo_strip(rows, hr, str(tmp_path / 'strip.png'), root=str(tmp_path))
    out = tmp_path / 'strip.png'
    panels = zoo_strip(rows[:1], hr, str(out), crop=(0, 0, 40, 48), zoom=1,
                       root=str(tmp_path))
    assert [p['label'] for p in panels] == ['bicubic', 'a', 'HR']
    assert imread(str(out)).shape == (22 + 40, 3 * 48 + 2 * 4, 3)


def test_cli_checks_strip_arguments_before_timing(tmp_path, capsys):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'model_zoo_tool', osp.join(REPO, 'tools', 'model_zoo.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = tmp_path / 'zoo.md'
    for strip, message in ((['nope.png', '1', '2', '3', '4'],
                            'image nope.png does not exist'),
                           ([osp.join(REPO, 'data', 'demo', 'Set5',
                                      'bird.png'), '1', 'x', '3', '4'],
                            'must be integers')):
        with pytest.raises(SystemExit) as exc:
            tool.main(['--out', str(out), '--strip', *strip])
        assert exc.value.code == 2
        assert message in capsys.readouterr().err
    assert not out.exists()


def test_machine_line_and_footnotes_come_from_records(tmp_path):
    from srtoolbox.utils.provenance import provenance
    entry = _tiny(tmp_path)
    # a result file with a provenance record, as tools/test.py writes now
    record = provenance(checkpoint=str(tmp_path / 'tiny.pth'),
                        precision='fp32')
    data = json.loads((tmp_path / 'tiny.json').read_text())
    data['meta'] = record
    (tmp_path / 'tiny.json').write_text(json.dumps(data))
    rows = build_zoo(str(tmp_path), entries=[entry], time_inference=False)
    rows[0]['stats']['seconds_bf16'] = None  # as measure() leaves it
    emulated = {'cpu': 'Old CPU', 'cpu_flags': ['avx2'], 'threads': 2,
                'native_bf16_cpu': False, 'gpu': None, 'torch': '2.x'}
    text = render_markdown(rows, 'cmd', emulated)
    assert 'Machine for the timings: Old CPU, 2 threads (avx2; no native ' \
        'bf16), torch 2.x.' in text
    assert '¹ bf16 not timed: Old CPU has no native bf16' in text
    assert record['checkpoint']['sha256'][:12] in text
    assert record['git'] is None or record['git']['commit'][:10] in text
    # a machine with native bf16 times it: no such footnote
    rows[0]['stats']['seconds_bf16'] = 1.0
    native = dict(emulated, cpu='New CPU', cpu_flags=['avx2', 'amx_bf16'],
                  native_bf16_cpu=True)
    text = render_markdown(rows, 'cmd', native)
    assert 'Machine for the timings: New CPU, 2 threads (avx2, amx_bf16; ' \
        'native bf16)' in text
    assert 'bf16 not timed' not in text


def test_measure_times_bf16_only_where_it_is_native(native_bf16):
    from srtoolbox.apis.model_zoo import measure
    stats = measure(SRResNet(num_feat=4, num_blocks=1, upscale=4),
                    shape=(8, 8))
    assert stats['seconds_fp32'] > 0
    # emulated bf16 is slower than fp32, so it is not timed there (#22.3)
    assert (stats['seconds_bf16'] is None) is (not native_bf16)
