"""Memory planning for :class:`~srtoolbox.apis.inference.SRInferencer`:
whether a pass fits the device's memory, and which tile makes it fit.

The estimates come from :mod:`srtoolbox.apis.memory` (a probe of the
network's activations at two small sizes, extrapolated); the budget is the
device's free memory or ``max_memory``, the smaller.
"""
import logging
from typing import Any, Dict, Optional

from .memory import (InsufficientMemoryError, choose_tile, default_budget,
                     format_bytes, memory_model)

__all__ = ['TilePlanner']

logger = logging.getLogger(__name__)


class TilePlanner:
    """Plans the passes of one inferencer (its generator, device, scale,
    tile, ``tile_pad``, ``size_divisor``, precision, ``max_memory`` and
    ``auto_tile``, read when a plan is made).

    Args:
        inferencer (SRInferencer): the inferencer whose passes are planned.
    """

    def __init__(self, inferencer: Any) -> None:
        self.inferencer = inferencer
        self._memory_models: Dict[Any, Any] = {}

    def memory_model(self) -> Any:
        """The generator's :class:`~srtoolbox.apis.memory.MemoryModel`, or
        None when no small probe runs (networks that need large inputs)."""
        net = self.inferencer
        key = (net.amp_dtype, net.channels_last)
        if key not in self._memory_models:
            self._memory_models[key] = None
            for sizes in ((16, 32), (64, 96)):
                try:
                    self._memory_models[key] = memory_model(
                        net.generator, net.device, net.amp_dtype,
                        net.channels_last, net.size_divisor, sizes)
                    break
                except RuntimeError as err:
                    logger.debug('memory probe at %s failed: %s', sizes, err)
            else:
                logger.warning('SRInferencer: no memory estimate for %s (its '
                               'probe forwards failed); untiled passes are '
                               'not checked', type(net.generator).__name__)
        return self._memory_models[key]

    def memory_needed(self, height: int, width: int,
                      tile: Optional[Any] = None, itemsize: int = 1) -> Any:
        """Estimated bytes of a pass over ``height x width`` LR pixels with
        ``tile`` (None: untiled): the forward of the largest tile with its
        context and its result's conversion, plus, on a CPU, the output
        image. None when the network's memory probe does not run."""
        net = self.inferencer
        model = self.memory_model()
        if model is None:
            return None
        side = tile + 2 * net.tile_pad if tile else 0
        h, w = (height, width) if not tile else (min(side, height),
                                                 min(side, width))
        s2 = net.scale**2
        need = model.forward_bytes(h, w) + s2 * 3 * 4 * h * w
        if net.device.type == 'cpu':
            need += height * width * s2 * 3 * itemsize
        return need

    def plan_tile(self, height: int, width: int, itemsize: int = 1) -> Any:
        """The tile a pass over a ``height x width`` (LR, aligned to
        ``size_divisor``) image with ``itemsize``-byte output pixels uses:
        ``inferencer.tile``, None (whole) when the untiled pass fits the
        memory budget, else the
        largest tile needing at most half of it (``auto_tile``) or an
        :class:`InsufficientMemoryError` naming ``--tile``."""
        net = self.inferencer
        budget, source = default_budget(net.device, net.max_memory)
        model = self.memory_model() if budget is not None else None
        if model is None:
            return net.tile
        s2 = net.scale**2
        if net.device.type == 'cpu':  # the output image shares the RAM
            output = height * width * s2 * 3 * itemsize
            if output >= budget:  # no tile size can help
                raise InsufficientMemoryError(
                    f'the x{net.scale} output alone ({width * net.scale}x'
                    f'{height * net.scale} pixels, ~{format_bytes(output)}) '
                    f'exceeds the {format_bytes(budget)} allowed ({source}); '
                    'tiling cannot help: raise --max-memory (max_memory) or '
                    'free memory, or upscale a smaller image')
            budget -= output
        # the tile's result converted to float (bf16) or pixels (GPU)
        extra = s2 * 3 * 4
        tile = net.tile
        side = tile + 2 * net.tile_pad if tile else 0
        h, w = (height, width) if not tile else (min(side, height),
                                                 min(side, width))
        need = model.forward_bytes(h, w) + extra * h * w
        if need <= budget:
            return tile
        what = (f'a {w}x{h} tile (tile {tile} + pad)' if tile else
                f'an untiled x{net.scale} pass over {width}x{height}')
        try:
            # half the budget: headroom for the rest of the machine, and
            # smaller tiles cost no speed on CPUs (docs/benchmarks.md)
            fit = choose_tile(model, budget // 2, height, width,
                              net.tile_pad, net.size_divisor, extra)
        except InsufficientMemoryError as err:
            if tile:  # the user's choice: tried as asked
                logger.warning('SRInferencer: %s needs ~%s, more than %s '
                               '(%s); %s', what, format_bytes(need),
                               format_bytes(budget), source, err)
                return tile
            raise InsufficientMemoryError(
                f'{what} needs ~{format_bytes(need)}, more than '
                f'{format_bytes(max(budget, 0))} ({source}); {err}') from None
        if tile:
            logger.warning('SRInferencer: %s needs ~%s, more than %s (%s); '
                           'tile %d would fit', what, format_bytes(need),
                           format_bytes(budget), source, fit)
            return tile
        if not net.auto_tile:
            raise InsufficientMemoryError(
                f'{what} needs ~{format_bytes(need)}, more than '
                f'{format_bytes(budget)} ({source}); process it in tiles: '
                f'--tile {fit} (tile={fit}), or let it tile by itself '
                '(drop --no-auto-tile)')
        logger.info('SRInferencer: %s needs ~%s, more than %s (%s): tiling '
                    'with tile %d pad %d (--tile to choose)', what,
                    format_bytes(need), format_bytes(budget), source, fit,
                    net.tile_pad)
        return fit
