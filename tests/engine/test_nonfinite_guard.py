"""The engine never applies a step whose loss is NaN/Inf (#24, #25).

The optim wrapper skips it (on the device with a fused optimizer: nothing
is read on the host), the EMA follows the wrapper's record, and the policy
hook decides whether to stop, reading the records at its interval.
"""
import copy

import pytest
import torch
from mmengine.config import Config
from torch import nn

from srtoolbox.engine.config_checks import ConfigError, check_config
from srtoolbox.engine.nonfinite import NonFiniteLossError, NonFiniteLossHook
from srtoolbox.engine.optim_wrapper import (SROptimWrapper,
                                            use_foreach_optimizers)
from srtoolbox.engine.runner import guard_plain_wrappers
from srtoolbox.models.generators import MSRResNet
from srtoolbox.models.sr_model import SRModel

from .test_stability import _nan_config
from .tiny_run import train_in_process


def _net_and_wrapper(**adam):
    torch.manual_seed(0)
    net = nn.Conv2d(3, 3, 3)
    return net, SROptimWrapper(
        optimizer=torch.optim.Adam(net.parameters(), lr=0.1, **adam))


def _step(net, wrapper, nan):
    loss = net(torch.rand(1, 3, 6, 6)).square().mean()
    wrapper.update_params(loss * float('nan') if nan else loss)


def _snapshot(net, wrapper):
    state = wrapper.optimizer.state_dict()['state']
    return ([p.detach().clone() for p in net.parameters()],
            copy.deepcopy(state))


def _same(a, b):
    params_a, state_a = a
    params_b, state_b = b
    assert all(torch.equal(x, y) for x, y in zip(params_a, params_b))
    assert state_a.keys() == state_b.keys()
    for k in state_a:
        for name in state_a[k]:
            assert torch.equal(state_a[k][name], state_b[k][name]), name


def test_fused_optimizer_skips_a_nan_step_on_the_device(monkeypatch):
    net, wrapper = _net_and_wrapper(fused=True)
    _step(net, wrapper, nan=False)
    before = _snapshot(net, wrapper)
    with monkeypatch.context() as m:
        def boom(*args, **kwargs):
            raise AssertionError('a tensor was read on the host')
        for name in ('__bool__', 'item', 'tolist', '__float__', '__int__'):
            m.setattr(torch.Tensor, name, boom)
        _step(net, wrapper, nan=True)
        record = wrapper.last_step_skipped
    # weights, moments and Adam's step count: untouched
    _same(before, _snapshot(net, wrapper))
    assert isinstance(record, torch.Tensor) and float(record) == 1
    _step(net, wrapper, nan=False)  # and the next finite step applies
    assert not torch.equal(before[0][0], net.weight)
    flags = wrapper.pop_skip_flags()
    assert [float(f) for f in flags] == [0, 1, 0]
    assert wrapper.pop_skip_flags() == []


def test_other_optimizers_skip_by_reading_the_flag():
    net, wrapper = _net_and_wrapper(foreach=True)
    _step(net, wrapper, nan=False)
    before = _snapshot(net, wrapper)
    _step(net, wrapper, nan=True)
    _same(before, _snapshot(net, wrapper))
    assert wrapper.last_step_skipped is True
    assert net.weight.grad is None  # zeroed as after any step


@pytest.mark.parametrize('skipped', [True, torch.tensor(1.0)])
def test_ema_stays_when_the_step_was_skipped(skipped):
    model = SRModel(generator=dict(type='MSRResNet', num_feat=4,
                                   num_blocks=1), pixel_loss=dict(
                                       type='L1Loss'), ema_decay=0.5)
    with torch.no_grad():
        for p in model.generator.parameters():
            p.add_(1.0)
    ema = [p.clone() for p in model.generator_ema.parameters()]
    model.update_ema(skipped)
    assert all(torch.equal(a, b)
               for a, b in zip(ema, model.generator_ema.parameters()))
    model.update_ema(torch.tensor(0.0))  # a device record of a real step
    moved = [p.clone() for p in model.generator_ema.parameters()]
    for p, q in zip(model.generator_ema.parameters(), ema):
        p.data.copy_(q)
    model.update_ema(False)
    assert all(torch.allclose(a, b, rtol=0, atol=1e-7)
               for a, b in zip(moved, model.generator_ema.parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(moved, ema))


def test_the_policy_reads_at_its_interval_and_names_the_iteration(
        tiny_data, tmp_path):
    # NaN at 0-based iteration 2; a fused Adam keeps its records on the
    # device, read every 4 iterations (as on a GPU): found at the last
    # iteration's read, named as iteration 3 with its losses
    cfg = _nan_config(tiny_data, tmp_path / 'cfg.py', 'raise', interval=4,
                      optim_wrapper="dict(type='OptimWrapper', optimizer="
                                    "dict(type='Adam', lr=1e-3, fused=True))")
    seen, flush = [], NonFiniteLossHook.flush

    def spy(self):
        seen.append(len(self._pending))
        flush(self)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(NonFiniteLossHook, 'flush', spy)
        with pytest.raises(NonFiniteLossError,
                           match=r'iteration 3: .*loss_pix=nan'):
            train_in_process(cfg, tmp_path / 'work')
    assert seen[-1] == 4  # one read for the four iterations


def test_skip_counters_survive_a_checkpoint():
    hook = NonFiniteLossHook(action='skip', max_consecutive_skips=3)
    hook._pending = [(4, [True], None), (5, [torch.tensor(1.0)], None)]
    checkpoint = {}
    hook.before_save_checkpoint(None, checkpoint)
    assert checkpoint['nonfinite'] == dict(since=4, skipped=2)
    resumed = NonFiniteLossHook(action='skip', max_consecutive_skips=3)
    resumed.after_load_checkpoint(None, checkpoint)
    resumed._pending = [(6, [False, True], None)]  # D fine, G skipped
    with pytest.raises(NonFiniteLossError, match='3 consecutive'):
        resumed.flush()


def test_finite_iteration_resets_the_count():
    hook = NonFiniteLossHook(action='skip', max_consecutive_skips=2)
    hook._pending = [(0, [True], None), (1, [False], None),
                     (2, [True], None)]
    hook.flush()
    assert (hook.since, hook.skipped) == (2, 1)
    checkpoint = {}
    NonFiniteLossHook().before_save_checkpoint(None, checkpoint)
    assert 'nonfinite' not in checkpoint  # nothing at the start values


def test_the_old_model_keys_say_where_they_moved():
    cfg = Config(dict(model=dict(
        type='SRModel', generator=dict(type='MSRResNet'),
        pixel_loss=dict(type='L1Loss'), nonfinite_loss='skip')))
    with pytest.raises(ConfigError, match=r"model.nonfinite_loss.*moved to "
                                          r'default_hooks.nonfinite.action'):
        check_config(cfg)
    with pytest.raises(ValueError, match='default_hooks.nonfinite.action'):
        NonFiniteLossHook(action='ignore')


def test_plain_wrappers_are_built_guarded_and_others_are_refused():
    single = guard_plain_wrappers(dict(optimizer=dict(type='Adam')))
    assert single['type'] == 'SROptimWrapper'
    gan = guard_plain_wrappers(dict(
        constructor='MultiOptimWrapperConstructor',
        generator=dict(type='OptimWrapper', optimizer=dict(type='Adam')),
        discriminator=dict(type='AutocastOptimWrapper',
                           optimizer=dict(type='Adam'))))
    assert gan['generator']['type'] == 'SROptimWrapper'
    assert gan['discriminator']['type'] == 'AutocastOptimWrapper'
    assert gan['constructor'] == 'MultiOptimWrapperConstructor'

    class Runner:
        from mmengine.optim import OptimWrapper
        optim_wrapper = OptimWrapper(torch.optim.SGD(
            nn.Conv2d(1, 1, 1).parameters(), lr=0.1))
    with pytest.raises(TypeError, match=r'optim_wrapper: OptimWrapper '
                                        'cannot skip'):
        NonFiniteLossHook().before_train(Runner())


def test_gpus_get_fused_optimizers_cpus_foreach():
    cfg = dict(optimizer=dict(type='Adam', lr=1e-4))
    assert use_foreach_optimizers(copy.deepcopy(cfg), 'cuda') == ['Adam']
    gpu, cpu = copy.deepcopy(cfg), copy.deepcopy(cfg)
    use_foreach_optimizers(gpu, 'cuda')
    use_foreach_optimizers(cpu, 'cpu')
    assert gpu['optimizer'] == dict(type='Adam', lr=1e-4, fused=True)
    assert cpu['optimizer'] == dict(type='Adam', lr=1e-4, foreach=True)
    # one the fused kernels lack stays at PyTorch's default on GPUs
    rms = dict(optimizer=dict(type='RMSprop'))
    assert use_foreach_optimizers(rms, 'cuda') == []


@pytest.mark.parametrize('native_bf16', ['0', '1'])
def test_cpus_training_in_bf16_get_fused_optimizers(monkeypatch, native_bf16):
    """fused where the CPU autocasts (its rounding differs from the loop's
    as mixed precision does anyway); fp32 keeps the loop's weights."""
    monkeypatch.setenv('SRTOOLBOX_CPU_BF16', native_bf16)
    amp = dict(type='AutocastOptimWrapper', dtype='auto',
               optimizer=dict(type='Adam', lr=1e-4))
    use_foreach_optimizers(amp, 'cpu')
    fast = {'fused': True} if native_bf16 == '1' else {'foreach': True}
    assert amp['optimizer'] == dict(type='Adam', lr=1e-4, **fast)
    forced = dict(type='AutocastOptimWrapper', dtype='bfloat16',
                  optimizer=dict(type='SGD', lr=1e-4))
    use_foreach_optimizers(forced, 'cpu')  # bf16 asked for: it casts
    assert forced['optimizer'] == dict(type='SGD', lr=1e-4, fused=True)
    fp32 = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4))
    use_foreach_optimizers(fp32, 'cpu')
    assert fp32['optimizer'] == dict(type='Adam', lr=1e-4, foreach=True)
    gan = dict(generator=copy.deepcopy(amp), discriminator=dict(
        type='AutocastOptimWrapper', optimizer=dict(type='RMSprop')))
    gan['generator']['optimizer'] = dict(type='Adam')
    use_foreach_optimizers(gan, 'cpu')
    assert gan['generator']['optimizer'] == dict(type='Adam', **fast)
    # no fused RMSprop: the multi-tensor step
    assert gan['discriminator']['optimizer'] == dict(type='RMSprop',
                                                     foreach=True)
    assert MSRResNet  # the generator the other tests build by name
