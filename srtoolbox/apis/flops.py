"""Parameter and multiply-accumulate counts of a network.

MACs are counted by forward hooks on ``nn.Conv2d`` and ``nn.Linear`` (the
layers that dominate SR networks; activations, pixel shuffles, pooling,
attention products and the fixed mean shift are not counted). The forward
runs on PyTorch's ``meta`` device when it can, so counting a 43M-parameter
network on a 180x320 input takes no compute and no memory.
"""
import torch
from torch import nn
from torch.func import functional_call

__all__ = ['count_params', 'count_macs']


def count_params(model, trainable_only=False):
    """Number of parameter elements (buffers excluded)."""
    return sum(p.numel() for p in model.parameters()
               if p.requires_grad or not trainable_only)


def _conv_macs(module, inputs, output):
    # each output element takes in_channels/groups * kH * kW MACs
    kernel = module.in_channels // module.groups
    for size in module.kernel_size:
        kernel *= size
    return output.numel() * kernel


def _linear_macs(module, inputs, output):
    return output.numel() * module.in_features


@torch.no_grad()
def count_macs(model, input_shape):
    """Multiply-accumulates of one forward pass on an input of this shape.

    Args:
        model (nn.Module): left unchanged (mode, weights, device).
        input_shape (sequence[int]): ``(N, C, H, W)``, or ``(C, H, W)`` for
            N = 1.

    Returns:
        int: MACs of all ``nn.Conv2d`` and ``nn.Linear`` layers (bias adds
        not counted). FLOPs are about twice this.
    """
    shape = tuple(int(s) for s in input_shape)
    if len(shape) == 3:
        shape = (1, ) + shape
    total = [0]
    handles = []

    def hook(counter):
        def _hook(module, inputs, output):
            total[0] += counter(module, inputs, output)
        return _hook

    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(hook(_conv_macs)))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(hook(_linear_macs)))
    was_training = model.training
    model.eval()
    try:
        try:
            # shapes only: parameters and input replaced by meta tensors
            fake = {
                name: torch.empty_like(t, device='meta')
                for name, t in (list(model.named_parameters())
                                + list(model.named_buffers()))
            }
            functional_call(model, fake,
                            (torch.empty(shape, device='meta'), ))
        except (NotImplementedError, RuntimeError):
            # an op without a meta kernel: count on a real (zero) input
            total[0] = 0
            device = next((p.device for p in model.parameters()),
                          torch.device('cpu'))
            model(torch.zeros(shape, device=device))
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return total[0]
