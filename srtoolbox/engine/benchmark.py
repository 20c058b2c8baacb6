"""The hardware floor of a training step, and the machine it is measured on.

The floor of a network's training step (issue #15): for each convolution of
the network, at its own shape in the step (batch, channels, spatial size,
memory format), the time of its forward plus backward (input and weight
gradients) measured alone in the training precision with tensors already in
that precision (no casts), summed over the network's convolutions. A step
cannot be faster than its convolutions; the ratio ``step / floor`` says how
much the rest (activations, pixel shuffle, loss, optimizer, casts, the
runner) adds.

    from srtoolbox.engine.benchmark import conv_floor
    floor = conv_floor(net, (16, 3, 24, 24), channels_last=True)
    floor.seconds, floor.layers[0].count

Identical shapes are timed once and multiplied by how often they occur.
"""
import statistics
import time
from collections import Counter
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.func import functional_call

from ..utils.hardware import machine_info as hardware_machine_info

__all__ = ['ConvShape', 'ConvTiming', 'FloorResult', 'conv_shapes',
           'time_conv', 'conv_floor', 'forward_seconds', 'machine_info',
           'machine_line', 'synchronize']


@dataclass(frozen=True)
class ConvShape:
    """One convolution call: its input ``(N, C, H, W)`` and its settings."""
    input_shape: tuple
    out_channels: int
    kernel_size: tuple
    stride: tuple
    padding: tuple
    dilation: tuple
    groups: int
    bias: bool
    padding_mode: str = 'zeros'

    def label(self):
        n, c, h, w = self.input_shape
        k = 'x'.join(str(v) for v in self.kernel_size)
        return f'{c}->{self.out_channels} k{k} @ {n}x{h}x{w}'


@dataclass
class ConvTiming:
    """A distinct :class:`ConvShape`, how often it occurs in one step, and
    the seconds of one forward + backward of it (``total = count *
    seconds``)."""
    shape: ConvShape
    count: int
    seconds: float

    @property
    def total(self):
        return self.count * self.seconds

    def to_dict(self):
        return dict(asdict(self.shape), label=self.shape.label(),
                    count=self.count, seconds=self.seconds,
                    total_seconds=self.total)


@dataclass
class FloorResult:
    """Per-shape timings (largest share first) and their sum in seconds."""
    layers: list
    seconds: float
    channels_last: bool
    dtype: str


def synchronize(device):
    device = torch.device(device)
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def _shape_of(module, x):
    return ConvShape(
        input_shape=tuple(int(v) for v in x.shape),
        out_channels=module.out_channels,
        kernel_size=tuple(module.kernel_size), stride=tuple(module.stride),
        padding=(module.padding if isinstance(module.padding, str)
                 else tuple(module.padding)),
        dilation=tuple(module.dilation), groups=module.groups,
        bias=module.bias is not None, padding_mode=module.padding_mode)


def conv_shapes(network, input_shape):
    """``Counter`` of :class:`ConvShape` -> calls in one forward of
    ``network`` on an input of ``input_shape`` ``(N, C, H, W)``.

    Shapes come from forward hooks on every ``nn.Conv2d`` during a forward
    on PyTorch's meta device (no compute, no memory); a network that cannot
    run there is run once for real on a zero input, without gradients.
    """
    found = Counter()

    def hook(module, inputs, output):
        found[_shape_of(module, inputs[0])] += 1

    handles = [m.register_forward_hook(hook) for m in network.modules()
               if isinstance(m, nn.Conv2d)]
    try:
        try:
            fake = {n: torch.empty_like(t, device='meta') for n, t in
                    list(network.named_parameters())
                    + list(network.named_buffers())}
            with torch.no_grad():
                functional_call(network, fake,
                                (torch.empty(input_shape, device='meta'), ))
        except (NotImplementedError, RuntimeError):
            found.clear()
            param = next(network.parameters(), None)
            device = param.device if param is not None else 'cpu'
            with torch.no_grad():
                network(torch.zeros(input_shape, device=device))
    finally:
        for h in handles:
            h.remove()
    return found


def time_conv(shape, channels_last=False, dtype=torch.float32, device='cpu',
              iters=5, warmup=2):
    """Median seconds of one forward + backward (input, weight and bias
    gradients) of the convolution ``shape``, alone, with input, weights and
    output gradient already in ``dtype`` and the memory format asked."""
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    in_channels = shape.input_shape[1]
    conv = nn.Conv2d(in_channels, shape.out_channels, shape.kernel_size,
                     shape.stride, shape.padding, shape.dilation,
                     shape.groups, shape.bias, shape.padding_mode)
    conv = conv.to(device=device, dtype=dtype, memory_format=fmt)
    x = torch.randn(shape.input_shape, device=device, dtype=dtype)
    x = x.contiguous(memory_format=fmt).requires_grad_()
    wrt = [x] + list(conv.parameters())
    with torch.no_grad():
        grad = torch.randn_like(conv(x))
    times = []
    for _ in range(warmup + iters):
        start = time.perf_counter()
        out = conv(x)
        torch.autograd.grad(out, wrt, grad)
        synchronize(device)
        times.append(time.perf_counter() - start)
        del out
    return statistics.median(times[warmup:])


def conv_floor(network, input_shape, channels_last=False,
               dtype=torch.float32, device=None, iters=5, warmup=2):
    """The floor of one training step of ``network`` on a batch of
    ``input_shape``: the sum over its convolutions of :func:`time_conv`.

    Args:
        network (nn.Module): the generator (not changed).
        input_shape (tuple): ``(N, C, H, W)`` of the LR batch.
        channels_last (bool): time in channels-last memory format.
        dtype (torch.dtype): the training precision (bf16 for a bf16
            autocast step: autocast runs convolutions in it).
        device (str | torch.device | None): default: the network's.
        iters, warmup (int): timed and untimed calls per distinct shape.

    Returns:
        FloorResult: one :class:`ConvTiming` per distinct shape (count =
        calls per forward) and the floor in seconds per step.
    """
    if device is None:
        param = next(network.parameters(), None)
        device = param.device if param is not None else 'cpu'
    layers = []
    for shape, count in conv_shapes(network, input_shape).items():
        sec = time_conv(shape, channels_last, dtype, device, iters, warmup)
        layers.append(ConvTiming(shape, count, sec))
    layers.sort(key=lambda t: -t.total)
    return FloorResult(layers, sum(t.total for t in layers), channels_last,
                       str(dtype).replace('torch.', ''))


@torch.inference_mode()
def forward_seconds(network, input_shape, channels_last=True, amp_dtype=None,
                    device=None, iters=1, warmup=1):
    """Fastest of ``iters`` bare inference forwards of ``network`` on a
    random float input of ``input_shape`` ``(N, C, H, W)`` already on the
    device in the memory format asked, under autocast to ``amp_dtype``
    when given: what one tile costs without any image handling."""
    if device is None:
        param = next(network.parameters(), None)
        device = param.device if param is not None else 'cpu'
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    x = torch.rand(input_shape, device=device).contiguous(memory_format=fmt)
    times = []
    for _ in range(warmup + iters):
        synchronize(device)
        start = time.perf_counter()
        with torch.autocast(torch.device(device).type, dtype=amp_dtype,
                            enabled=amp_dtype is not None):
            out = network(x)
        synchronize(device)
        times.append(time.perf_counter() - start)
        del out
    return min(times[warmup:])


def machine_info(device=None):
    """:func:`srtoolbox.utils.hardware.machine_info`'s record plus
    ``flags``, ``{flag: present}`` for the four that decide a benchmark's
    precision (avx2, avx512f, avx512_bf16, amx_bf16)."""
    info = hardware_machine_info(device)
    info['flags'] = {f: f in info['cpu_flags']
                     for f in ('avx2', 'avx512f', 'avx512_bf16', 'amx_bf16')}
    return info


def machine_line(info=None):
    """One line for logs and docs, e.g. ``machine: AMD EPYC (2 cores;
    avx2 yes, avx512_bf16 no, amx no), torch 2.14.1, 2 threads, no GPU,
    load 2.4``."""
    info = info or machine_info()
    f = info['flags']
    yes = {True: 'yes', False: 'no'}
    line = (f"machine: {info['cpu']} ({info['cores']} cores; avx2 "
            f"{yes[f['avx2']]}, avx512_bf16 {yes[f['avx512_bf16']]}, amx "
            f"{yes[f['amx_bf16']]}), torch {info['torch']}, "
            f"{info['threads']} threads, "
            + (f"GPU {info['gpu']}" if info['gpu'] else 'no GPU'))
    if 'load_average' in info:
        line += f", load {info['load_average']}"
    return line
