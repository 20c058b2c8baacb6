"""Multi-tensor optimizer steps by default: same weights, one kernel per op."""
import copy

import torch
from mmengine.config import Config

from srtoolbox.engine.optim_wrapper import use_foreach_optimizers
from srtoolbox.models.generators import MSRResNet


def test_defaults_filled_for_single_and_per_network_wrappers():
    single = Config(dict(optim_wrapper=dict(
        type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4))))
    assert use_foreach_optimizers(single.optim_wrapper) == ['Adam']
    assert single.optim_wrapper.optimizer.foreach is True
    gan = Config(dict(optim_wrapper=dict(
        constructor='MultiOptimWrapperConstructor',
        generator=dict(type='OptimWrapper',
                       optimizer=dict(type='Adam', lr=1e-4)),
        discriminator=dict(type='OptimWrapper',
                           optimizer=dict(type='Adam', fused=True)))))
    assert use_foreach_optimizers(gan.optim_wrapper) == ['Adam']
    assert gan.optim_wrapper.generator.optimizer.foreach is True
    # the user's own choice stays
    assert 'foreach' not in gan.optim_wrapper.discriminator.optimizer


def test_foreach_adam_gives_the_per_parameter_loops_weights():
    torch.manual_seed(0)
    net = MSRResNet(num_feat=8, num_blocks=2)
    nets = [net, copy.deepcopy(net)]
    opts = [torch.optim.Adam(nets[0].parameters(), lr=1e-2, foreach=False),
            torch.optim.Adam(nets[1].parameters(), lr=1e-2, foreach=True)]
    x = torch.rand(2, 3, 8, 8)
    for _ in range(3):
        for n, opt in zip(nets, opts):
            opt.zero_grad()
            n(x).square().mean().backward()
            opt.step()
    for a, b in zip(nets[0].parameters(), nets[1].parameters()):
        assert torch.equal(a, b)
