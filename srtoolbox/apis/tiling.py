"""Tiled inference: which tiles, with how much context.

With tiles of ``T x T`` LR pixels the image stays in CPU memory; each ``T x T`` tile is
sent to the device with ``tile_pad`` pixels of context on every side (fewer
at the image border, where the untiled network pads with zeros too), and
only the tile's own part of the output is written into the result. Device
memory is bounded by one ``(T + 2 * tile_pad)^2`` tile whatever the image
size; CPU memory holds the input and output images besides (48 MiB of
output for a 1024 x 1024 RGB input at x4). On a CPU, an RRDBNet x4 tile of
272 x 272 LR pixels (tile 256, pad 16) peaked at 1.5 GiB resident, 0.6 GiB
of it PyTorch and the model (``tools/benchmark_infer.py``, one RRDB: the
peak comes from the 64-channel maps at 4x, not from the trunk).

The tiled result equals the untiled one (up to float rounding) when
``tile_pad`` covers the network's receptive field radius in LR pixels
(:func:`receptive_field_radius`: 12 for a 2-block SRResNet, 40 for the
default one, 349 for RRDBNet). A smaller pad loses only the influence of
pixels farther away than the pad, which fades with distance in trained
networks: that is why pads of 10-32 pixels are common practice (Real-ESRGAN
uses 10); compare a tiled and an untiled crop to check yours. Networks with
global pooling (RCAN's channel attention) see only the padded tile, so their
tiled output always differs somewhat.
"""
import math
from collections import Counter
from typing import Any, Iterator

import torch
from torch import nn
from torch.func import functional_call

__all__ = ['receptive_field_radius', 'tile_boxes', 'tile_shape_counts']


@torch.no_grad()
def receptive_field_radius(generator: Any, size: int = 64) -> Any:
    """LR pixels of context that make tiled output equal untiled output.

    The reach of every convolution taken in sequence, each in LR pixels
    (``(k // 2) * dilation`` divided by how much larger than the input its
    feature map is): an upper bound of the receptive field radius, exact for
    the chained residual networks here (the trunk passes through every
    conv). Shapes only, on PyTorch's meta device: no compute, no memory.
    Returns ``math.inf`` when the network pools globally (RCAN's channel
    attention), where every pixel influences every other.

    Example: SRResNet with the defaults (9x9 convs, 16 blocks) reaches 40 LR
    pixels; RRDBNet (23 RRDBs) 349, so its tiles rely on the fading
    influence of far pixels rather than covering the field.
    """
    reach = [0.0]
    pools = []

    def conv_hook(module, inputs, output):
        ratio = inputs[0].shape[-1] / size  # feature size vs the LR input
        k, dil = module.kernel_size[-1], module.dilation[-1]
        reach[0] += (k // 2) * dil / ratio

    handles = []
    for m in generator.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
            pools.append(m)
    if pools:
        return math.inf
    size += (-size) % int(getattr(generator, 'unshuffle', 1) or 1)
    was_training = generator.training
    generator.eval()
    try:
        fake = {n: torch.empty_like(t, device='meta') for n, t in
                list(generator.named_parameters())
                + list(generator.named_buffers())}
        functional_call(generator, fake,
                        (torch.empty(1, 3, size, size, device='meta'), ))
    finally:
        for h in handles:
            h.remove()
        generator.train(was_training)
    return int(math.ceil(reach[0] - 1e-9))


def tile_boxes(height: int, width: int, tile: int, tile_pad: int,
               divisor: int = 1) -> Iterator[Any]:
    """The tiles of an image and the context each is run with.

    Yields ``((y0, y1, x0, x1), (cy0, cy1, cx0, cx1))`` in LR pixels: the
    tile (``tile`` x ``tile``, smaller at the right and bottom edges) and
    the tile grown by ``tile_pad`` on every side, clipped to the image.
    ``tile=None`` gives one tile, the whole image. Tile and pad are rounded
    up to multiples of ``divisor``. The work done is the sum of the context
    areas: with ``tile=512, tile_pad=16`` on 1024 x 1024, 1.06x the image.
    """
    tile = tile or max(height, width)
    tile += (-tile) % divisor
    pad = tile_pad + (-tile_pad) % divisor
    for y0 in range(0, height, tile):
        for x0 in range(0, width, tile):
            y1, x1 = min(y0 + tile, height), min(x0 + tile, width)
            yield ((y0, y1, x0, x1),
                   (max(y0 - pad, 0), min(y1 + pad, height),
                    max(x0 - pad, 0), min(x1 + pad, width)))


def tile_shape_counts(height: int, width: int, tile: int, tile_pad: int,
                      divisor: int = 1) -> Any:
    """``Counter`` of ``(h, w)`` -> tiles: the input shapes the network
    sees over :func:`tile_boxes` (tile plus context), each distinct shape
    once with how many tiles have it."""
    return Counter((cy1 - cy0, cx1 - cx0) for _, (cy0, cy1, cx0, cx1) in
                   tile_boxes(height, width, tile, tile_pad, divisor))
