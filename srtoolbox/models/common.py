"""Building blocks shared by several networks."""
import math
from typing import (Any, Callable, List, Optional, Sequence, Tuple, Union,
                    cast)

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn import init

__all__ = ['default_init_weights', 'make_layer', 'ResidualBlockNoBN',
           'check_scale', 'Upsample', 'MeanShift', 'DIV2K_RGB_MEAN',
           'conv_pixel_shuffle']

# RGB mean of the DIV2K training set, in [0, 1]; EDSR, RCAN and MSRN subtract
# it before the first conv and add it back after the last one.
DIV2K_RGB_MEAN = (0.4488, 0.4371, 0.4040)


@torch.no_grad()
def default_init_weights(module_list: Union[nn.Module, Sequence[nn.Module]],
                         scale: float = 1.0, bias_fill: float = 0.0) -> None:
    """Kaiming-normal init for conv/linear layers, scaled by ``scale``.

    Residual networks without BN train better when the last layers of each
    block start small (``scale`` = 0.1), as in EDSR/ESRGAN/MSRResNet.
    """
    if not isinstance(module_list, (list, tuple)):
        module_list = [cast(nn.Module, module_list)]
    for module in module_list:
        for m in module.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                init.kaiming_normal_(m.weight)
                m.weight.mul_(scale)
                if m.bias is not None:
                    m.bias.fill_(bias_fill)
            elif isinstance(m, nn.modules.batchnorm._BatchNorm):
                init.constant_(m.weight, 1)
                if m.bias is not None:
                    m.bias.fill_(bias_fill)


def make_layer(block: Callable[..., nn.Module], num_blocks: int,
               **kwargs: Any) -> nn.Sequential:
    """``nn.Sequential`` of ``num_blocks`` instances of ``block(**kwargs)``."""
    return nn.Sequential(*[block(**kwargs) for _ in range(num_blocks)])


class ResidualBlockNoBN(nn.Module):
    """conv-ReLU-conv with identity skip and no BN (EDSR, MSRResNet).

    Parameter names (``conv1``, ``conv2``) follow BasicSR.
    """

    def __init__(self, num_feat: int = 64, res_scale: float = 1.0,
                 pytorch_init: bool = False):
        super().__init__()
        self.res_scale = res_scale
        self.conv1 = nn.Conv2d(num_feat, num_feat, 3, 1, 1, bias=True)
        self.conv2 = nn.Conv2d(num_feat, num_feat, 3, 1, 1, bias=True)
        self.relu = nn.ReLU(inplace=True)
        if not pytorch_init:
            default_init_weights([self.conv1, self.conv2], 0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv2(self.relu(self.conv1(x)))
        if self.res_scale != 1:  # x * 1 is x: a kernel each way saved
            out = out * self.res_scale
        return x + out


def check_scale(name: str, upscale: int, supported: Sequence[int]) -> None:
    """Raise a clear ``ValueError`` when ``upscale`` is not supported."""
    if upscale not in supported:
        raise ValueError(
            f'{name} supports upscale in {sorted(supported)}, got {upscale!r}')


def num_pixel_shuffle_stages(upscale: int) -> Tuple[int, int]:
    """(factor, count) of sub-pixel stages for ``upscale``: x4 = two x2."""
    if upscale & (upscale - 1) == 0:
        return 2, int(math.log2(upscale))
    if upscale == 3:
        return 3, 1
    raise ValueError(f'no sub-pixel decomposition for upscale {upscale}')


def _shuffles_in_blocks(x: torch.Tensor) -> bool:
    """Whether :func:`conv_pixel_shuffle` takes its block path for ``x``:
    channels-last, in reduced precision (autocast on ``x``'s device or a
    half dtype), not while exporting to ONNX (DepthToSpace there) and not
    under ``torch.compile``, which fuses the shuffle and the activation
    itself (and cannot trace the block path's writes into views)."""
    return (x.dim() == 4
            and x.is_contiguous(memory_format=torch.channels_last)
            and (torch.is_autocast_enabled(x.device.type)
                 or x.dtype in (torch.bfloat16, torch.float16))
            and not torch.onnx.is_in_onnx_export()
            and not torch.compiler.is_compiling())


def conv_pixel_shuffle(conv: nn.Conv2d, x: torch.Tensor, factor: int,
                       negative_slope: Optional[float] = None
                       ) -> torch.Tensor:
    """``F.pixel_shuffle(conv(x), factor)``, followed by
    ``F.leaky_relu(negative_slope)`` when a slope is given, faster in
    reduced precision on channels-last tensors.

    There ``pixel_shuffle`` gathers single values ``factor^2`` channels
    apart (and its backward, ``pixel_unshuffle``, scatters them): in bf16
    on one Zen 4 core MSRResNet's x2 shuffle of a 16x256x48x48 batch takes
    3.9 ms forward and 18.8 ms backward. Here the convolution computes its
    output channels in the order (r1, r2, C) instead of (C, r1, r2) (the
    weight and bias permuted on the fly: same parameters, same state
    dict), so that the shuffle moves blocks of C contiguous values: 2.4 ms
    each way; the LeakyReLU is applied while moving them, and its
    backward while moving the gradient back (one pass over the HR tensor
    each way instead of two). The output and the weight gradients are
    bit-identical; the input gradient sums over the output channels in
    another order (last-bit differences), which is why fp32 keeps the
    plain path and its results. ``conv``'s forward hooks do not run on the
    block path.
    """
    if not _shuffles_in_blocks(x):
        out = F.pixel_shuffle(conv(x), factor)
        if negative_slope is None:
            return out
        return F.leaky_relu(out, negative_slope, inplace=True)
    weight = conv.weight
    channels = weight.shape[0] // (factor * factor)
    weight = weight.view(channels, factor, factor, *weight.shape[1:]) \
        .permute(1, 2, 0, 3, 4, 5).reshape(weight.shape)
    bias = conv.bias
    if bias is not None:
        bias = bias.view(channels, factor, factor).permute(1, 2, 0) \
            .reshape(-1)
    y = conv._conv_forward(x, weight, bias)
    return cast(torch.Tensor, _BlockShuffle.apply(y, factor, negative_slope))


def _nhwc_views(n: int, channels: int, h: int, w: int, r: int
                ) -> Tuple[Tuple[int, ...], Tuple[int, ...]]:
    """The NHWC storage of the convolution's output, (n, h, w, r1, r2, C),
    and of the shuffled tensor, (n, h, r1, w, r2, C)."""
    return (n, h, w, r, r, channels), (n, h, r, w, r, channels)


def _nhwc(t: torch.Tensor, view: Tuple[int, ...]) -> torch.Tensor:
    """A channels-last tensor's storage as ``view`` (a view, no copy)."""
    return t.permute(0, 2, 3, 1).view(view)


class _BlockShuffle(torch.autograd.Function):
    """Pixel shuffle of channels-last ``(n, r*r*C, h, w)`` whose channels
    are ordered (r1, r2, C): (n, h, w, r1, r2, C) -> (n, h, r1, w, r2, C)
    in NHWC storage, copies of C contiguous values, with an optional
    LeakyReLU applied on the way; the backward is the inverse move (with
    the LeakyReLU's backward)."""

    @staticmethod
    def forward(ctx: Any, y: torch.Tensor, r: int,
                negative_slope: Optional[float]) -> torch.Tensor:
        y = y.contiguous(memory_format=torch.channels_last)
        n, c, h, w = y.shape
        channels = c // (r * r)
        ctx.r, ctx.shape, ctx.negative_slope = r, (n, c, h, w), negative_slope
        y_view, out_view = _nhwc_views(n, channels, h, w, r)
        out = torch.empty((n, channels, h * r, w * r), dtype=y.dtype,
                          device=y.device, memory_format=torch.channels_last)
        src = _nhwc(y, y_view).permute(0, 1, 3, 2, 4, 5)
        if negative_slope is None:
            _nhwc(out, out_view).copy_(src)
        else:
            torch.ops.aten.leaky_relu.out(src, negative_slope,
                                          out=_nhwc(out, out_view))
            ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor
                 ) -> Tuple[torch.Tensor, None, None]:
        n, c, h, w = ctx.shape
        r, slope = ctx.r, ctx.negative_slope
        y_view, out_view = _nhwc_views(n, c // (r * r), h, w, r)
        grad = grad.contiguous(memory_format=torch.channels_last)
        grad_y = torch.empty((n, c, h, w), dtype=grad.dtype,
                             device=grad.device,
                             memory_format=torch.channels_last)
        src = _nhwc(grad, out_view).permute(0, 1, 3, 2, 4, 5)
        if slope is None:
            _nhwc(grad_y, y_view).copy_(src)
        else:
            result = _nhwc(ctx.saved_tensors[0], out_view).permute(
                0, 1, 3, 2, 4, 5)
            torch.ops.aten.leaky_relu_backward.grad_input(
                src, result, slope, True, grad_input=_nhwc(grad_y, y_view))
        return grad_y, None, None


class Upsample(nn.Sequential):
    """Sub-pixel upsampler: (conv 3x3 to r^2*C, PixelShuffle(r)) per stage.

    x2^n uses n x2 stages, x3 one x3 stage; no activation. The layout (convs
    at indices 0, 2, 4) is BasicSR's ``Upsample`` and the EDSR-PyTorch
    ``Upsampler``, so their checkpoints load unchanged.

    Args:
        upscale (int): 2^n or 3.
        num_feat (int): channels in and out.

    Input ``(N, num_feat, H, W)``; output ``(N, num_feat, s*H, s*W)``.
    """

    def __init__(self, upscale: int, num_feat: int):
        factor, stages = num_pixel_shuffle_stages(upscale)
        layers: List[nn.Module] = []
        for _ in range(stages):
            layers.append(nn.Conv2d(num_feat, factor * factor * num_feat, 3,
                                    1, 1))
            layers.append(nn.PixelShuffle(factor))
        super().__init__(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i in range(0, len(self), 2):  # (conv, shuffle) pairs
            shuffle = cast(nn.PixelShuffle, self[i + 1])
            x = conv_pixel_shuffle(cast(nn.Conv2d, self[i]), x,
                                   shuffle.upscale_factor)
        return x


class MeanShift(nn.Module):
    """Fixed 1x1 conv that subtracts (``sign=-1``) or adds (``sign=1``) the
    dataset mean, on images scaled to [0, ``img_range``].

    ``y = x / std + sign * img_range * mean / std`` per channel. The weight
    and bias are buffers, not parameters: they are not trained and do not
    count as parameters. ``persistent=True`` keeps them in the state dict as
    ``weight``/``bias`` (EDSR-PyTorch and MSRN checkpoints store them so);
    ``persistent=False`` leaves them out (BasicSR checkpoints).

    Args:
        rgb_mean (sequence[float]): per-channel mean in [0, 1].
        img_range (float): value of white inside the network. Default: 255.
        sign (int): -1 to subtract the mean, 1 to add it. Default: -1.
        rgb_std (sequence[float], optional): per-channel std. Default: ones.
        persistent (bool): store the buffers in the state dict.
    """

    weight: torch.Tensor  # buffers (see register_buffer below)
    bias: torch.Tensor

    def __init__(self, rgb_mean: Sequence[float], img_range: float = 255.,
                 sign: int = -1, rgb_std: Optional[Sequence[float]] = None,
                 persistent: bool = False):
        super().__init__()
        mean = torch.tensor(rgb_mean, dtype=torch.float32)
        std = (torch.ones_like(mean) if rgb_std is None else
               torch.tensor(rgb_std, dtype=torch.float32))
        channels = mean.numel()
        weight = torch.eye(channels).view(channels, channels, 1, 1)
        self.register_buffer('weight', weight / std.view(channels, 1, 1, 1),
                             persistent=persistent)
        self.register_buffer('bias', sign * img_range * mean / std,
                             persistent=persistent)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight, self.bias)


class MeanShiftResidualSR(nn.Module):
    """The skeleton EDSR and RCAN share, with BasicSR's parameter names.

    ``x * img_range`` -> ``sub_mean`` -> ``conv_first`` -> ``body`` ->
    ``conv_after_body`` + long skip -> ``upsample`` -> ``conv_last`` ->
    ``add_mean`` -> ``/ img_range``. A subclass calls ``__init__`` and then
    assigns ``self.body``, the one part that differs.

    Input ``(N, C, H, W)`` in [0, 1]; output ``(N, C, s*H, s*W)``, nominally
    in [0, 1] (not clamped).
    """
    SUPPORTED_SCALES: Tuple[int, ...] = ()
    # the mean shift subtracts a dataset mean of [0, 1] images: HR targets
    # must be in [0, 1] too (checked by the training wrappers)
    output_range = (0.0, 1.0)

    def __init__(self, *, in_channels: int, out_channels: int, num_feat: int,
                 upscale: int, img_range: float,
                 rgb_mean: Sequence[float]):
        super().__init__()
        name = type(self).__name__
        check_scale(name, upscale, self.SUPPORTED_SCALES)
        if not in_channels == out_channels == len(rgb_mean):
            raise ValueError(
                f'{name} needs in_channels == out_channels == len(rgb_mean), '
                f'got {in_channels}, {out_channels}, {len(rgb_mean)}')
        self.upscale = upscale
        self.img_range = img_range
        # fixed buffers left out of the state dict, as in BasicSR
        self.sub_mean = MeanShift(rgb_mean, img_range, -1)
        self.add_mean = MeanShift(rgb_mean, img_range, 1)
        self.conv_first = nn.Conv2d(in_channels, num_feat, 3, 1, 1)
        self.body: nn.Module = nn.Identity()
        self.conv_after_body = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.upsample = Upsample(upscale, num_feat)
        self.conv_last = nn.Conv2d(num_feat, out_channels, 3, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat = self.conv_first(self.sub_mean(x * self.img_range))
        feat = feat + self.conv_after_body(self.body(feat))
        out = self.conv_last(self.upsample(feat))
        return self.add_mean(out) / self.img_range
