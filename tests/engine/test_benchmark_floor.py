"""The training-step floor: one timing per distinct convolution shape, with
its count (srtoolbox.engine.benchmark and tools/benchmark_train.py).
Nothing here asserts a speed."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from torch import nn

from srtoolbox.engine.benchmark import (ConvShape, conv_floor, conv_shapes,
                                        machine_info, machine_line)
from srtoolbox.models.builder import build_generator

from .test_benchmark_train import _tool
from .tiny_run import REPO


def _tiny():
    # 3->4 once, 4->4 (same shape) twice, a strided 4->8 once, and a 4->4
    # at half the size after the strided one (a different shape)
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
        nn.Conv2d(4, 4, 3, padding=1), nn.Conv2d(4, 4, 3, padding=1),
        nn.Conv2d(4, 8, 3, stride=2, padding=1), nn.Conv2d(8, 4, 1))


def test_conv_shapes_counts_each_distinct_shape():
    found = conv_shapes(_tiny(), (2, 3, 12, 12))
    by_label = {s.label(): n for s, n in found.items()}
    assert by_label == {'3->4 k3x3 @ 2x12x12': 1, '4->4 k3x3 @ 2x12x12': 2,
                        '4->8 k3x3 @ 2x12x12': 1, '8->4 k1x1 @ 2x6x6': 1}
    strided = next(s for s in found if s.out_channels == 8)
    assert strided.stride == (2, 2) and strided.bias


def test_conv_shapes_of_a_generator_follow_its_blocks():
    # MSRResNet: conv_first, 2 convs per block, upconv1/2 (x4), conv_hr,
    # conv_last; the 64 -> 256 upconvs run at two sizes
    net = build_generator(dict(type='MSRResNet', num_feat=8, num_blocks=3,
                               upscale=4))
    found = conv_shapes(net, (1, 3, 6, 6))
    assert found[ConvShape((1, 8, 6, 6), 8, (3, 3), (1, 1), (1, 1), (1, 1),
                           1, True)] == 6
    assert sum(found.values()) == 1 + 6 + 2 + 2
    assert {s.input_shape for s in found if s.out_channels == 32} == {
        (1, 8, 6, 6), (1, 8, 12, 12)}


@pytest.mark.parametrize('channels_last', [False, True])
def test_floor_times_each_shape_once_and_sums_by_count(channels_last):
    floor = conv_floor(_tiny(), (2, 3, 12, 12), channels_last=channels_last,
                       iters=1, warmup=0)
    assert len(floor.layers) == 4
    assert sorted(t.count for t in floor.layers) == [1, 1, 1, 2]
    assert all(t.seconds > 0 for t in floor.layers)
    assert floor.seconds == pytest.approx(
        sum(t.count * t.seconds for t in floor.layers))
    assert floor.channels_last is channels_last and floor.dtype == 'float32'
    row = floor.layers[0].to_dict()
    assert row['total_seconds'] == pytest.approx(row['count']
                                                 * row['seconds'])


def test_floor_in_bf16_uses_bf16_tensors(monkeypatch):
    seen = []
    real = torch.nn.functional.conv2d

    def spy(x, weight, *args, **kwargs):
        if x.device.type != 'meta':  # the shape capture runs on meta
            seen.append((x.dtype, weight.dtype))
        return real(x, weight, *args, **kwargs)

    monkeypatch.setattr(torch.nn.functional, 'conv2d', spy)
    conv_floor(nn.Conv2d(3, 4, 3), (1, 3, 8, 8), dtype=torch.bfloat16,
               iters=1, warmup=0)
    # no casts: the timed convolution gets bf16 input and weights
    assert seen and set(seen) == {(torch.bfloat16, torch.bfloat16)}


def test_ratios():
    row = _tool().add_ratios(dict(runner_s_per_iter=3.0, bare_s_per_iter=2.0,
                                  floor_s_per_iter=0.5))
    assert row['step_over_floor'] == 4.0
    assert row['runner_over_floor'] == 6.0
    assert row['runner_over_bare'] == 1.5
    empty = _tool().add_ratios(dict(runner_s_per_iter=None,
                                    bare_s_per_iter=2.0,
                                    floor_s_per_iter=0.5))
    assert empty['runner_over_bare'] is None


def test_machine_line_names_the_flags():
    info = machine_info()
    assert set(info['flags']) == {'avx2', 'avx512f', 'avx512_bf16',
                                  'amx_bf16'}
    line = machine_line(info)
    assert line.startswith('machine: ') and 'avx512_bf16' in line
    assert f'torch {torch.__version__}' in line


def test_tool_writes_the_stable_json_keys(tmp_path):
    out = tmp_path / 'bench.json'
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'benchmark_train.py'),
         osp.join(REPO, 'configs', 'srresnet', 'msrresnet_x4_demo.py'),
         '--settings', 'fp32', '--iters', '1', '--warmup', '0',
         '--no-runner', '--json', str(out), '--cfg-options',
         'model.generator.num_feat=4', 'model.generator.num_blocks=1',
         'train_dataloader.batch_size=1',
         'train_dataloader.dataset.gt_folder=Set5'],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'machine: ' in proc.stdout and 'step/floor' in proc.stdout
    result = json.loads(out.read_text())
    assert result['machine_line'].startswith('machine: ')
    row = result['rows'][0]
    for key in ('floor_s_per_iter', 'runner_s_per_iter', 'bare_s_per_iter',
                'step_over_floor', 'runner_over_floor', 'runner_over_bare'):
        assert key in row
    assert row['floor_s_per_iter'] > 0 and row['bare_s_per_iter'] > 0
    assert row['runner_s_per_iter'] is None  # --no-runner
    assert row['step_over_floor'] == pytest.approx(
        row['bare_s_per_iter'] / row['floor_s_per_iter'])
    # MSRResNet x4, 1 block: conv_first, body (same shape twice), upconv1,
    # upconv2, conv_hr, conv_last
    counts = sorted(t['count'] for t in row['floor_layers'])
    assert counts == [1, 1, 1, 1, 1, 2]


def test_forward_seconds_runs_the_network_in_the_format_asked():
    from srtoolbox.engine.benchmark import forward_seconds
    seen = []
    net = _tiny()
    net[0].register_forward_hook(lambda m, i, o: seen.append(
        i[0].is_contiguous(memory_format=torch.channels_last)))
    assert forward_seconds(net, (1, 3, 8, 8), channels_last=True,
                           iters=2, warmup=1) > 0
    assert seen == [True, True, True]
