"""SRGAN / ESRGAN training wrappers: one iteration on tiny tensors."""
import os
import os.path as osp
import socket
import uuid

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub, MMLogger
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS
from torch.nn import functional as F

from srtoolbox.utils.checkpoint_io import UnsafeCheckpointError
from srtoolbox.models import SRGAN, SRModel  # noqa: F401 (registration)
from srtoolbox.models.weights import load_pretrained_generator
from srtoolbox.models.losses import MSELoss
from srtoolbox.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
G_LOG = {'loss_pix', 'loss_perceptual', 'loss_gan'}
D_LOG = {'loss_d_real', 'loss_d_fake', 'd_real_prob', 'd_fake_prob'}


def tiny_cfg(type_='SRGAN', **kwargs):
    cfg = dict(
        type=type_,
        generator=dict(type='SRResNet', num_feat=8, num_blocks=1),
        discriminator=dict(type='SRGANDiscriminator', num_feat=8,
                           input_size=32),
        pixel_loss=dict(type='L1Loss'),
        perceptual_loss=dict(type='PerceptualLoss',
                             layer_weights={'relu2_2': 1.0},
                             input_range=(-1, 1), pretrained=None),
        gan_loss=dict(type='GANLoss', gan_type='vanilla', loss_weight=1e-1),
        data_preprocessor=dict(type='SRDataPreprocessor', gt_range=(-1, 1)))
    cfg.update(kwargs)
    return cfg


def build(type_='SRGAN', **kwargs):
    torch.manual_seed(0)
    model = MODELS.build(tiny_cfg(type_, **kwargs))
    optim = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type='MultiOptimWrapperConstructor', optim_wrapper_cfg=dict(
            generator=dict(optimizer=dict(type='Adam', lr=1e-3)),
            discriminator=dict(optimizer=dict(type='Adam', lr=1e-3)))))(
                model)
    return model, optim


def batch(n=2):
    return dict(inputs=torch.rand(n, 3, 8, 8),
                data_samples=dict(gt=torch.rand(n, 3, 32, 32)))


def step(model, optim, it, data=None):
    MessageHub.get_current_instance().update_info('iter', it)
    return model.train_step(data or batch(), optim)


def adam_steps(wrapper):
    param = wrapper.optimizer.param_groups[0]['params'][0]
    state = wrapper.optimizer.state.get(param, {})
    return int(state['step']) if 'step' in state else 0


def snapshot(module):
    return [p.detach().clone() for p in module.parameters()]


def changed(before, module):
    return any(not torch.equal(a, b) for a, b in zip(before,
                                                     module.parameters()))


def test_train_step_updates_g_and_d_but_not_vgg():
    model, optim = build(ema_decay=0.5)
    vgg = model.perceptual_loss.vgg()
    g0, d0, v0 = (snapshot(model.generator), snapshot(model.discriminator),
                  snapshot(vgg))
    ema0 = snapshot(model.generator_ema)
    log = step(model, optim, 0)
    assert changed(g0, model.generator)
    assert changed(d0, model.discriminator)
    assert changed(ema0, model.generator_ema)
    assert not changed(v0, vgg)
    # the VGG is a measuring instrument: not trained, not saved
    assert not any(k.startswith('perceptual_loss')
                   for k in model.state_dict())
    assert set(log) == G_LOG | D_LOG
    # detached 0-dim tensors: the engine reads them at the logging interval
    assert all(torch.is_tensor(v) and v.dim() == 0 and not v.requires_grad
               for v in log.values())
    assert 0 < log['d_real_prob'] < 1 and 0 < log['d_fake_prob'] < 1
    # gradients are cleared, D is trainable again after the G step
    assert all(p.grad is None or not p.grad.any()
               for p in model.parameters())
    assert all(p.requires_grad for p in model.discriminator.parameters())


def test_disc_steps_gives_k_discriminator_updates_per_generator_update():
    model, optim = build(disc_steps=2)
    logs = [step(model, optim, it) for it in range(4)]
    assert adam_steps(optim['discriminator']) == 4
    assert adam_steps(optim['generator']) == 2
    # G updates close each group of k D updates: iterations 1 and 3
    assert ['loss_gan' in log for log in logs] == [False, True, False, True]


def test_disc_init_steps_trains_discriminator_alone_first():
    model, optim = build(disc_init_steps=3)
    g0 = snapshot(model.generator)
    logs = [step(model, optim, it) for it in range(3)]
    assert not changed(g0, model.generator)
    assert adam_steps(optim['generator']) == 0
    assert adam_steps(optim['discriminator']) == 3
    assert all(set(log) == D_LOG for log in logs)
    assert set(step(model, optim, 3)) == G_LOG | D_LOG
    assert adam_steps(optim['generator']) == 1


def test_losses_follow_gt_range_and_config():
    model, optim = build(pixel_loss=None, perceptual_loss=None)
    assert set(step(model, optim, 0)) == {'loss_gan'} | D_LOG
    with pytest.raises(TypeError, match='OptimWrapperDict'):
        model.train_step(batch(), optim['generator'])
    with pytest.raises(NotImplementedError, match='train_step'):
        model(torch.rand(1, 3, 8, 8), mode='loss')


def test_nonfinite_losses_update_neither_network():
    # the optim wrappers the runner builds skip a step whose loss is NaN
    # (the policy, raise or skip, is the engine's NonFiniteLossHook)
    model, _ = build()
    optim = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type='MultiOptimWrapperConstructor', optim_wrapper_cfg={
            name: dict(type='SROptimWrapper',
                       optimizer=dict(type='Adam', lr=1e-3))
            for name in ('generator', 'discriminator')}))(model)
    before = {k: v.clone() for k, v in model.state_dict().items()
              if k.startswith(('generator.', 'discriminator.'))
              and v.is_floating_point() and 'running' not in k}
    data = batch()
    data['data_samples']['gt'][0, 0, 0, 0] = float('nan')
    log = step(model, optim, 0, data)
    assert not torch.isfinite(log['loss_d_real'])
    assert optim['discriminator'].last_step_skipped is True
    assert optim['generator'].last_step_skipped is True
    after = model.state_dict()
    assert all(torch.equal(v, after[k]) for k, v in before.items())
    assert adam_steps(optim['generator']) == 0
    assert adam_steps(optim['discriminator']) == 0


def bce(logits, target):
    return F.binary_cross_entropy_with_logits(
        logits, torch.full_like(logits, float(target)))


def test_esrgan_discriminator_loss_is_relativistic_average():
    model, optim = build('ESRGAN')
    data = batch(3)
    with torch.no_grad():
        prep = model.data_preprocessor(dict(
            inputs=data['inputs'].clone(),
            data_samples=dict(gt=data['data_samples']['gt'].clone())), True)
        fake = model.generator(prep['inputs'])
        real_logits = model.discriminator(prep['data_samples']['gt'])
        fake_logits = model.discriminator(fake)
    log = step(model, optim, 0, data)
    # L_D^Ra = (BCE(C(x_r) - E C(x_f), 1) + BCE(C(x_f) - E C(x_r), 0)) / 2
    expected = (bce(real_logits - fake_logits.mean(), 1) +
                bce(fake_logits - real_logits.mean(), 0)) / 2
    assert log['loss_d_real'] + log['loss_d_fake'] == pytest.approx(
        expected.item(), rel=1e-5)
    assert log['d_real_prob'] == pytest.approx(
        torch.sigmoid(real_logits - fake_logits.mean()).mean().item(),
        rel=1e-5)
    assert set(log) == G_LOG | D_LOG


def test_esrgan_generator_loss_is_relativistic_and_depends_on_real():

    class FixedLogits(torch.nn.Module):
        """C(x) = per-image mean: fixed logits, differentiable in x."""

        def forward(self, x):
            return x.mean(dim=(1, 2, 3)).unsqueeze(1)

    model, _ = build('ESRGAN')
    disc = FixedLogits()
    gt = torch.tensor([0.5, -0.25, 1.0]).view(3, 1, 1, 1).expand(3, 3, 4, 4)
    fake = torch.tensor([0.1, 0.2, -0.3]).view(3, 1, 1, 1).expand(
        3, 3, 4, 4).clone().requires_grad_(True)
    loss = model.adversarial_loss(disc, fake, gt)
    real_l = torch.tensor([[0.5], [-0.25], [1.0]])
    fake_l = torch.tensor([[0.1], [0.2], [-0.3]])
    # L_G^Ra: the roles swapped, times loss_weight (0.1 here)
    expected = 0.1 * (bce(real_l - fake_l.mean(), 0) +
                      bce(fake_l - real_l.mean(), 1)) / 2
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    loss.backward()
    assert fake.grad.abs().sum() > 0
    # a different real batch changes the generator's loss
    assert model.adversarial_loss(disc, fake, gt + 1).item() != \
        pytest.approx(loss.item())


def save_generator_checkpoint(path, seed=1):
    torch.manual_seed(seed)
    source = MODELS.build(dict(
        type='SRModel', generator=tiny_cfg()['generator'],
        pixel_loss=dict(type='MSELoss')))
    torch.save({'state_dict': source.state_dict(), 'meta': {}}, path)
    return source.generator.state_dict()


def test_pretrained_generator_loads_file_or_work_dir(tmp_path):
    expected = save_generator_checkpoint(tmp_path / 'iter_10.pth')
    # mmengine records the checkpoint path relative to where training ran
    (tmp_path / 'last_checkpoint').write_text('work_dirs/run/iter_10.pth')
    for path in (tmp_path / 'iter_10.pth', tmp_path):
        model, _ = build(pretrained_generator=str(path), ema_decay=0.9)
        model.init_weights()
        for name, value in expected.items():
            assert torch.equal(model.generator.state_dict()[name], value)
            assert torch.equal(model.generator_ema.state_dict()[name], value)


def test_pretrained_generator_is_loaded_weights_only(tmp_path):
    bad = tmp_path / 'pickled.pth'
    torch.save({'state_dict': {}, 'meta': {'hook': Config}}, bad)
    with pytest.raises(UnsafeCheckpointError, match='pickled.pth'):
        load_pretrained_generator(torch.nn.Conv2d(1, 1, 1), bad)
    model, _ = build(pretrained_generator=str(tmp_path / 'missing'))
    with pytest.raises(FileNotFoundError, match='missing'):
        model.init_weights()
    # a checkpoint of another architecture is refused by name
    save_generator_checkpoint(tmp_path / 'srresnet.pth')
    other, _ = build(generator=dict(type='MSRResNet', num_feat=8,
                                    num_blocks=1),
                     pretrained_generator=str(tmp_path / 'srresnet.pth'),
                     # MSRResNet works in [0, 1] (its bilinear skip)
                     perceptual_loss=None,
                     data_preprocessor=dict(type='SRDataPreprocessor'))
    with pytest.raises(RuntimeError, match='do not fit MSRResNet'):
        other.init_weights()


def small_model_cfg(path):
    """A config's model with tiny networks (its losses untouched)."""
    model = Config.fromfile(osp.join(REPO, path)).model
    model.generator.update(num_feat=8, num_blocks=1)
    model.discriminator.update(num_feat=8, input_size=32)
    return model


def test_demo_falls_back_to_srgan_mse_without_vgg(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    missing = osp.join(str(tmp_path), 'hub', 'checkpoints',
                       'vgg19-dcbb9e9d.pth')
    log_file = tmp_path / 'run.log'
    MMLogger.get_instance(f'fallback-{uuid.uuid4().hex}',
                          log_file=str(log_file))
    model = MODELS.build(small_model_cfg('configs/srgan/srgan_x4_demo.py'))
    text = log_file.read_text()
    assert f'VGG19 weights not found at {missing}' in text
    assert "paper's SRGAN-MSE variant" in text and 'WARNING' in text
    assert model.vgg_fallback and model.perceptual_loss is None
    assert isinstance(model.pixel_loss, MSELoss)
    # the paper's configs never fall back: the missing file is named
    with pytest.raises(FileNotFoundError, match='vgg19-dcbb9e9d.pth'):
        MODELS.build(small_model_cfg('configs/srgan/srgan_x4.py'))


def test_reference_comparison_hook(tmp_path):
    from srtoolbox.engine.gan_hooks import ReferenceComparisonHook
    save_generator_checkpoint(tmp_path / 'ref.pth')
    model, _ = build(pretrained_generator=str(tmp_path / 'ref.pth'))
    hook = ReferenceComparisonHook(crop_size=16, num_images=1)
    hook.before_val_epoch(None)
    data = batch()
    outputs = model.predict(
        data['inputs'], dict(gt_unit=data['data_samples']['gt'],
                             key=['a', 'b'], dataset=['Set5', 'Set5']))
    hook.after_val_iter(None, 0, outputs=outputs)
    table, names = hook.compare(model, str(tmp_path))
    assert names == ['bicubic', 'SRResNet', 'SRGAN']
    assert set(table['Set5']) == set(names)
    assert os.listdir(tmp_path / 'comparison') == ['Set5_a.png']


def _ddp_worker(rank, port, out_dir, world=2):
    import torch.distributed as dist
    from mmengine.registry import init_default_scope
    from srtoolbox.engine.distributed import SRDistributedDataParallel
    torch.set_num_threads(1)
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}',
                            rank=rank, world_size=world)
    init_default_scope('srtoolbox')
    try:
        for type_, broadcast in (('SRGAN', False), ('ESRGAN', True)):
            model, _ = build(type_, disc_init_steps=1)
            wrapped = SRDistributedDataParallel(
                model, broadcast_buffers=broadcast)
            optim = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
                type='MultiOptimWrapperConstructor', optim_wrapper_cfg=dict(
                    generator=dict(optimizer=dict(type='Adam', lr=1e-3)),
                    discriminator=dict(optimizer=dict(type='Adam',
                                                      lr=1e-3)))))(wrapped)
            torch.manual_seed(rank)  # different data on each rank
            before = torch.cat([p.detach().flatten().clone()
                                for p in model.generator.parameters()])
            for it in range(3):
                MessageHub.get_current_instance().update_info('iter', it)
                wrapped.train_step(batch(), optim)
            weights = torch.cat([
                p.detach().flatten()
                for p in list(model.generator.parameters()) +
                list(model.discriminator.parameters())])
            torch.save(dict(weights=weights, before=before),
                       osp.join(out_dir, f'{type_}_rank{rank}.pth'))
    finally:
        dist.destroy_process_group()


def test_ddp_two_processes_keep_ranks_identical(tmp_path):
    """gloo on CPU: separate D passes, frozen unwrapped D in the G step,
    with and without DDP's per-forward buffer broadcast."""
    import torch.multiprocessing as mp
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    mp.start_processes(_ddp_worker, args=(port, str(tmp_path)), nprocs=2,
                       join=True, start_method='fork')
    for type_ in ('SRGAN', 'ESRGAN'):
        rank0, rank1 = (torch.load(tmp_path / f'{type_}_rank{r}.pth')
                        for r in (0, 1))
        # different data on each rank, yet identical weights after 3 steps
        assert torch.equal(rank0['weights'], rank1['weights']), type_
        size = rank0['before'].numel()
        assert not torch.equal(rank0['weights'][:size], rank0['before']), \
            f'{type_}: the generator did not train'
