"""Shared by tests/models/test_gan_golden.py and the reference script
tests/reference_scripts/basicsr_gan_steps.py (which runs BasicSR 1.4.2):
the tiny networks, their seeded weights and the fixed batch. Imports
neither BasicSR nor srtoolbox."""
import math

import torch

LR = 2e-4
BETAS = (0.9, 0.99)
EMA_DECAY = 0.999
GAN_WEIGHT = 0.1

# case -> networks as (srtoolbox config, BasicSR constructor keyword
# arguments) and the HR size; SRGAN and ESRGAN differ in their step only
_MSRRESNET_VGG = dict(
    g=(dict(type='MSRResNet', num_feat=8, num_blocks=1),
       dict(num_feat=8, num_block=1)),
    d=(dict(type='VGGStyleDiscriminator', num_feat=2, input_size=128),
       dict(num_in_ch=3, num_feat=2, input_size=128)),
    gt_size=128)
CASES = {
    'SRGAN': _MSRRESNET_VGG,
    'ESRGAN': _MSRRESNET_VGG,
    'RealESRGAN': dict(
        g=(dict(type='SRVGGNetCompact', num_feat=8, num_conv=2),
           dict(num_feat=8, num_conv=2)),
        d=(dict(type='UNetDiscriminatorSN', num_feat=4),
           dict(num_in_ch=3, num_feat=4)),
        gt_size=32),
}


def seeded_weights(state_dict, seed):
    """New values for every float tensor, in name order, from ``seed``:
    a scaled normal for weights, small biases, unit singular vectors,
    BatchNorm statistics at their start values."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for key in sorted(state_dict):
        value = state_dict[key]
        if not value.is_floating_point():
            out[key] = value.clone()
        elif key.endswith('running_mean'):
            out[key] = torch.zeros_like(value)
        elif key.endswith('running_var'):
            out[key] = torch.ones_like(value)
        elif key.endswith(('weight_u', 'weight_v')):
            v = torch.randn(value.shape, generator=g)
            out[key] = v / v.norm()
        elif value.dim() > 1:
            fan_in = value[0].numel()
            out[key] = torch.randn(value.shape, generator=g) / math.sqrt(
                fan_in)
        else:
            out[key] = 0.1 * torch.randn(value.shape, generator=g)
    return out


def fixed_batch(gt_size, n=2, scale=4, seed=7):
    """``(lq, gt, gt_usm)``: a fixed degraded batch in [0, 1]
    (``gt_usm``: a stand-in for the sharpened GT, distinct from ``gt``)."""
    g = torch.Generator().manual_seed(seed)
    gt = torch.rand(n, 3, gt_size, gt_size, generator=g)
    lq = torch.rand(n, 3, gt_size // scale, gt_size // scale, generator=g)
    gt_usm = (gt + 0.1 * torch.randn(gt.shape, generator=g)).clamp(0, 1)
    return lq, gt, gt_usm
