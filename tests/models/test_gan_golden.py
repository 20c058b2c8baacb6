"""Golden steps: one iteration of srtoolbox's GAN step gives BasicSR
1.4.2's updated weights (SRGANModel, ESRGANModel, RealESRGANModel with the
degradation fixed), from the same seeded weights and batch.

The reference numbers (tests/data/golden_gan_steps.pt) come from
tests/reference_scripts/basicsr_gan_steps.py; BasicSR is not imported here.
BasicSR updates G then D in all three models, so SRGAN runs with
``update_order='g_then_d'`` here (its paper default is D then G).
"""
import os.path as osp

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper, OptimWrapperDict

import srtoolbox.models  # noqa: F401 (registration)
from srtoolbox.registry import MODELS

from golden_gan_setup import (BETAS, CASES, EMA_DECAY, GAN_WEIGHT, LR,
                              fixed_batch, seeded_weights)

GOLDEN = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'data',
                  'golden_gan_steps.pt')
FORMULATION = {'SRGAN': 'GANLoss', 'ESRGAN': 'RelativisticAverageGANLoss',
               'RealESRGAN': 'GANLoss'}
LOG_NAMES = {'l_g_pix': 'loss_pix', 'l_g_gan': 'loss_gan',
             'l_d_real': 'loss_d_real', 'l_d_fake': 'loss_d_fake'}


@pytest.fixture(scope='module')
def golden():
    return torch.load(GOLDEN, weights_only=True)


def _seed(net, seed):
    net.load_state_dict(seeded_weights(net.state_dict(), seed))


def one_step(name):
    case = CASES[name]
    cfg = dict(type=name, generator=case['g'][0], discriminator=case['d'][0],
               pixel_loss=dict(type='L1Loss'),
               gan_loss=dict(type=FORMULATION[name], loss_weight=GAN_WEIGHT),
               ema_decay=EMA_DECAY, update_order='g_then_d')
    if name == 'RealESRGAN':
        cfg.update(degradation=dict(type='SecondOrderDegradation', scale=4,
                                    gt_size=case['gt_size']), queue_size=0)
    model = MODELS.build(cfg)
    _seed(model.generator, 1)
    _seed(model.generator_ema, 1)
    _seed(model.discriminator, 2)
    lq, gt, gt_usm = fixed_batch(case['gt_size'])
    if name == 'RealESRGAN':  # the degradation fixed: the same pair
        model.prepare_batch = lambda data: (lq, dict(gt=gt, gt_usm=gt_usm))

    def adam(net):
        return OptimWrapper(torch.optim.Adam(net.parameters(), lr=LR,
                                             betas=BETAS))

    optim = OptimWrapperDict(generator=adam(model.generator),
                             discriminator=adam(model.discriminator))
    MessageHub.get_current_instance().update_info('iter', 0)
    log = model.train_step(dict(inputs=lq, data_samples=dict(gt=gt)), optim)
    return model, log


@pytest.mark.parametrize('name', sorted(CASES))
def test_one_iteration_matches_basicsr(name, golden):
    model, log = one_step(name)
    expected = golden[name]
    for network in ('generator', 'generator_ema', 'discriminator'):
        ours = getattr(model, network).state_dict()
        theirs = expected[network]
        assert set(ours) == set(theirs), network
        for key, value in theirs.items():
            if not value.is_floating_point():
                assert torch.equal(ours[key], value), f'{network}.{key}'
                continue
            torch.testing.assert_close(ours[key].contiguous(), value,
                                       rtol=1e-5, atol=1e-5,
                                       msg=f'{name}: {network}.{key}')
    for theirs, ours in LOG_NAMES.items():
        assert log[ours] == pytest.approx(expected['logs'][theirs],
                                          rel=1e-5), ours


def test_the_step_moved_every_network(golden):
    # the golden numbers are of a real update, not of unchanged weights
    for name in CASES:
        for network, seed in (('generator', 1), ('discriminator', 2)):
            start = seeded_weights(golden[name][network], seed)
            assert any(not torch.equal(start[k], v) for k, v in
                       golden[name][network].items()
                       if v.is_floating_point()), (name, network)
