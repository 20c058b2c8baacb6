"""#21.2: a schedule-free optimizer's evaluation weights go to checkpoints,
validation and the EMA; --resume after SIGKILL continues bit for bit."""
import pytest
import torch

from srtoolbox.engine.schedule_free_hook import ScheduleFreeHook

from .tiny_run import (load_weights, run_train, run_until_paused_then_kill,
                       tiny_config, train_in_process)

SF = dict(optim_wrapper="dict(type='OptimWrapper', optimizer=dict("
                        "type='AdamWScheduleFree', lr=2e-3, warmup_steps=2))",
          param_scheduler='None')


def _eval_weights(y, z, beta1=0.9):
    """schedulefree's eval(): x = lerp(y, z, 1 - 1 / beta1)."""
    return torch.lerp(y, z, 1 - 1 / beta1)


@pytest.fixture(scope='module')
def sf_straight_run(tiny_data, tmp_path_factory):
    root = tmp_path_factory.mktemp('sf_straight')
    config = tiny_config(tiny_data, root / 'cfg.py', **SF)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        runner, state = train_in_process(config, root / 'work')
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(False)
    return config, runner, state, root / 'work'


def test_checkpoints_hold_eval_weights_and_train_weights(sf_straight_run):
    _, runner, _, work = sf_straight_run
    assert any(isinstance(h, ScheduleFreeHook) for h in runner.hooks)
    ckpt = torch.load(work / 'iter_10.pth', weights_only=True)
    train = ckpt['schedule_free']['train_weights']
    opt_state = ckpt['optimizer']
    assert all(not g['train_mode'] for g in opt_state['param_groups'])
    names = [n for n, p in runner.model.named_parameters() if p.requires_grad]
    assert sorted(train) == sorted(names)
    for i, name in enumerate(names):  # the optimizer's order
        z = opt_state['state'][i]['z']
        expected = _eval_weights(train[name], z)
        assert torch.allclose(ckpt['state_dict'][name], expected,
                              rtol=0, atol=1e-6), name
    assert not torch.equal(ckpt['state_dict'][names[0]], train[names[0]])


def test_ema_averages_eval_weights_and_training_weights_are_kept():
    from srtoolbox.models.sr_model import SRModel
    from mmengine.optim import OptimWrapper
    import schedulefree

    torch.manual_seed(0)
    model = SRModel(generator=dict(type='MSRResNet', upscale=4, num_feat=8,
                                   num_blocks=1),
                    pixel_loss=dict(type='L1Loss'), ema_decay=0.5,
                    channels_last=False)
    opt = schedulefree.AdamWScheduleFree(model.generator.parameters(),
                                         lr=1e-2)
    wrapper = OptimWrapper(opt)

    class _Runner:  # what the hook reads
        pass
    runner = _Runner()
    runner.model, runner.optim_wrapper = model, wrapper
    hook = ScheduleFreeHook()
    hook.before_train(runner)
    data = dict(inputs=torch.rand(2, 3, 8, 8),
                data_samples=dict(gt=torch.rand(2, 3, 32, 32)))
    for _ in range(3):
        ema_before = {n: p.clone() for n, p in
                      model.generator_ema.named_parameters()}
        hook.before_train_iter(runner, 0)
        model.train_step(data, wrapper)
        assert not hook.in_eval and opt.param_groups[0]['train_mode']
        y = {n: p.detach().clone() for n, p in
             model.generator.named_parameters()}
        for n, p in model.generator_ema.named_parameters():
            x = _eval_weights(y[n], opt.state[
                dict(model.generator.named_parameters())[n]]['z'])
            assert torch.allclose(p, 0.5 * ema_before[n] + 0.5 * x,
                                  atol=1e-6), n
    # validation switches to x and the next iteration back to y, exactly
    hook.before_val(runner)
    x0 = next(model.generator.parameters()).detach().clone()
    assert not torch.equal(x0, y[next(iter(y))])
    hook.before_train_iter(runner, 0)
    for n, p in model.generator.named_parameters():
        assert torch.equal(p, y[n])


def test_resume_after_kill_is_bit_exact(tiny_data, sf_straight_run, tmp_path,
                                        one_thread):
    config, _, expected, _ = sf_straight_run
    work = tmp_path / 'work'
    # checkpoint at 4 (in training) and 5 (best PSNR, during validation);
    # killed after iteration 7
    run_until_paused_then_kill(tiny_data, config, work, 'iter:7')
    run_train(tiny_data, config, work, '--resume')
    state = load_weights(work / 'final_rank0.pth')
    assert set(state) == set(expected)
    different = [k for k in expected if not torch.equal(state[k],
                                                        expected[k])]
    assert not different, f'weights differ after resuming: {different}'
    # what training ended with is the eval weights, also in iter_10.pth
    final = load_weights(work / 'iter_10.pth')
    assert all(torch.equal(final[k], expected[k]) for k in expected)
