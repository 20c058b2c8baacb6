"""Upscale images with a trained generator: arrays, files, folders, globs.

    from srtoolbox.apis import SRInferencer
    sr = SRInferencer('configs/srresnet/srresnet_x4_demo.py', 'iter_1000.pth',
                      tile=256)
    out = sr(img)                      # (H, W[, C]) array -> (4H, 4W[, C])
    sr.run('photos/', 'results/')      # PNGs, existing ones kept

Images keep their layout and bit depth (:meth:`SRInferencer.__call__`):

* RGB (``(H, W, 3)``) -> RGB;
* gray (``(H, W)`` or ``(H, W, 1)``): replicated to 3 channels for the
  network, the output converted back to one channel (BT.601 luma);
* RGBA / gray+alpha: colour through the network, alpha enlarged separately
  with MATLAB bicubic (:func:`srtoolbox.utils.imresize`) and re-attached;
* uint16 is processed from ``v / 65535`` in float32 and returned as uint16
  (uint8 from ``v / 255``); float32 in [0, 1] stays float32.

Tiling (``tile=T``): see :mod:`srtoolbox.apis.tiling`.
"""
import logging
import warnings
from typing import Any, Optional

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from ..models.builder import build_generator
from ..utils.matlab_imresize import imresize
from .file_run import FileRunMixin, RunSummary
from .generator_loading import (amp_dtype, detect_blended_generator,
                                load_config_arg, load_weights)
from .memory import InsufficientMemoryError, parse_memory
from .tile_planning import TilePlanner
from .tiling import tile_boxes

__all__ = ['SRInferencer', 'RunSummary', 'InsufficientMemoryError']

logger = logging.getLogger(__name__)

# BT.601 luma (OpenCV's RGB2GRAY) to turn a 3-channel output back to gray
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def _as_tensor(array):
    """A CPU tensor viewing ``array`` (copied only when torch cannot view
    it: negative strides)."""
    try:
        with warnings.catch_warnings():  # read-only arrays are only read
            warnings.simplefilter('ignore', UserWarning)
            return torch.from_numpy(array)
    except ValueError:
        return torch.from_numpy(np.ascontiguousarray(array))


# ------------------------------------------------------------ inferencer
class SRInferencer(FileRunMixin):
    """Upscale images with one generator, tiled or whole.

    Args:
        config (str | dict | Config | None): config file (``.py``/``.yaml``)
            or loaded config; the network is ``cfg.model.generator`` and the
            output range ``cfg.model.data_preprocessor.gt_range``. None
            with a ``checkpoint``: the network is built from the file alone
            (:func:`~srtoolbox.models.weights.load_generator_from_file`:
            srtoolbox metadata, known layouts, spandrel's detection) and
            described in the log; ``self.detected`` keeps what was found.
        checkpoint (str | None): weights in any layout
            :func:`~srtoolbox.apis.extract_generator_state_dict` reads
            (EMA weights preferred). None keeps the network's weights.
        generator (nn.Module | dict | None): a built network, or a generator
            config dict, used instead of ``config``'s.
        device (str | torch.device | None): None picks CUDA when available.
        amp (bool | str): False: fp32. True: bf16 autocast where the hardware
            computes it natively, else fp32 with a log line. ``'bf16'``
            forces bf16 (slow on CPUs without native bf16, ~10x).
        tile (int | None): tile size in LR pixels; None runs whole images.
        tile_pad (int): LR pixels of context around each tile. Default: 16.
        output_range (tuple[float, float] | None): the network's output
            range, mapped back to [0, 1] by ``(out - low) / (high - low)``.
            Default: the config's ``gt_range``, else (0, 1).
        interp_checkpoint (str | None): a second checkpoint of the same
            architecture; the weights become ``(1 - alpha) * checkpoint +
            alpha * interp_checkpoint`` (network interpolation).
        alpha (float | None): interpolation weight, needed with
            ``interp_checkpoint``.
        prefer_ema (bool): take EMA weights when a checkpoint has them.
        progress (bool): tqdm progress bars: images in :meth:`run`, tiles
            of an image cut in several.
        channels_last (bool): run the network in channels-last memory
            format (faster convolutions with oneDNN and on tensor cores).
        max_memory (int | str | None): bytes (or ``'4G'``) a pass may use,
            besides 90% of the device's free memory (the smaller counts).
            Before an untiled pass the need is estimated
            (:mod:`srtoolbox.apis.memory`); above the budget a tile size
            is chosen and logged (``auto_tile``), or the pass is refused.
        auto_tile (bool): False: refuse (:class:`InsufficientMemoryError`
            naming ``tile``/``--tile``) instead of tiling by itself.

    A network passed in is used in place: weights are loaded into it, it is
    moved to ``device`` and put in eval mode.

    Attributes:
        scale (int): the generator's ``upscale``.
    """

    def __init__(self, config: Optional[Any] = None,
                 checkpoint: Optional[Any] = None,
                 generator: Optional[Any] = None, device: Optional[Any] = None,
                 amp: bool = False, tile: Optional[Any] = None,
                 tile_pad: int = 16, output_range: Optional[Any] = None,
                 interp_checkpoint: Optional[Any] = None,
                 alpha: Optional[Any] = None, prefer_ema: bool = True,
                 progress: bool = True, channels_last: bool = True,
                 max_memory: Optional[Any] = None,
                 auto_tile: bool = True) -> None:
        cfg = load_config_arg(config)
        model_cfg = cfg.get('model', {}) if cfg is not None else {}
        self.detected = None
        if generator is None and cfg is None and checkpoint is not None:
            # no config: the file says what it is (srtoolbox metadata,
            # a known layout, or spandrel's detection)
            self.detected = detect_blended_generator(
                checkpoint, interp_checkpoint, alpha, prefer_ema)
            generator = self.detected.network
            checkpoint = interp_checkpoint = None  # loaded already
            if output_range is None:
                output_range = self.detected.output_range
        if generator is None:
            if not model_cfg or 'generator' not in model_cfg:
                raise ValueError('SRInferencer needs a config with '
                                 'model.generator, generator=, or a '
                                 'checkpoint whose architecture it can '
                                 'detect')
            generator = model_cfg['generator']
        if isinstance(generator, dict):
            generator = build_generator(generator)
        if not isinstance(generator, nn.Module):
            raise TypeError('generator must be an nn.Module or a config '
                            f'dict, got {type(generator).__name__}')
        scale = getattr(generator, 'upscale', None)
        if not isinstance(scale, int) or scale < 1:
            raise ValueError(
                f'{type(generator).__name__} has no integer `upscale` '
                'attribute; srtoolbox generators set it to their scale')
        self.scale: int = scale
        load_weights(generator, checkpoint, interp_checkpoint, alpha,
                     prefer_ema)
        if output_range is None:
            pre = model_cfg.get('data_preprocessor') or {}
            output_range = pre.get('gt_range', (0.0, 1.0))
        low, high = (float(v) for v in output_range)
        if not high > low:
            raise ValueError(f'output_range must be (low, high) with '
                             f'high > low, got {output_range}')
        self.output_range = (low, high)
        if tile is not None and tile < 1:
            raise ValueError(f'tile must be a positive size, got {tile}')
        if tile_pad < 0:
            raise ValueError(f'tile_pad must be >= 0, got {tile_pad}')
        # networks that pixel-unshuffle their input need sizes divisible by
        # the factor: image, tile and pad are aligned to it (spandrel
        # networks that do not pad for themselves declare size_divisor)
        self.size_divisor = int(getattr(generator, 'size_divisor', None)
                                or getattr(generator, 'unshuffle', 1) or 1)
        self.tile = tile
        self.tile_pad = tile_pad
        self.progress = progress
        if device is None:
            device = 'cuda' if torch.cuda.is_available() else 'cpu'
        self.device = torch.device(device)
        self.generator = generator.to(self.device).eval()
        self.generator.requires_grad_(False)
        self.channels_last = bool(channels_last)
        if self.channels_last:
            self.generator.to(memory_format=torch.channels_last)
        self.max_memory = parse_memory(max_memory)
        self.auto_tile = auto_tile
        self._planner = TilePlanner(self)
        self.amp_dtype, precision = amp_dtype(amp, self.device.type)
        logger.info(
            'SRInferencer: %s x%d on %s, %s, %s, output range %s',
            type(generator).__name__, self.scale, self.device, precision,
            f'tile {tile} pad {tile_pad}' if tile else 'untiled',
            self.output_range)

    # ----------------------------------------------------------- arrays
    def __call__(self, img):
        """Upscale one image.

        Args:
            img (np.ndarray): ``(H, W)`` / ``(H, W, 1)`` gray, ``(H, W, 2)``
                gray+alpha, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA; uint8,
                uint16 or float32 in [0, 1].

        Returns:
            np.ndarray: ``(s*H, s*W[, C])``, same layout and dtype.
        """
        if not isinstance(img, np.ndarray):
            raise TypeError(f'expected a numpy array, got {type(img)}')
        if img.ndim not in (2, 3) or (img.ndim == 3
                                      and img.shape[2] not in (1, 2, 3, 4)):
            raise ValueError('expected (H, W) or (H, W, C) with C in 1-4, got '
                             f'shape {img.shape}')
        if img.dtype == np.uint8:
            maxval = 255.0
        elif img.dtype == np.uint16:
            maxval = 65535.0
        elif img.dtype in (np.float32, np.float64):
            maxval = None
        else:
            raise ValueError(f'unsupported pixel type {img.dtype}; use uint8, '
                             'uint16 or float32 in [0, 1]')
        channels = 1 if img.ndim == 2 else img.shape[2]
        colour = img if img.ndim == 2 else img[:, :, :3 if channels >= 3
                                                 else 1]
        if colour.ndim == 3 and colour.shape[2] == 1:
            colour = colour[:, :, 0]
        rgb = colour if colour.ndim == 3 else colour[:, :, None]
        out = self._upscale_rgb(rgb, maxval, img.dtype)
        if colour.ndim == 2:  # gray in, gray out
            out = self._to_gray(out, img.dtype)
        if channels in (2, 4):
            alpha = self._upscale_alpha(img[:, :, -1], img.dtype)
            if out.ndim == 2:
                out = out[:, :, None]
            out = np.concatenate([out, alpha[:, :, None]], axis=2)
        elif channels == 1 and img.ndim == 3:
            out = out[:, :, None]
        return out

    def _to_gray(self, rgb, dtype):
        gray = rgb.astype(np.float32) @ _LUMA
        if dtype in (np.uint8, np.uint16):
            info = np.iinfo(dtype)
            gray = np.clip(np.round(gray), 0, info.max)
        return gray.astype(dtype)

    def _upscale_alpha(self, alpha, dtype):
        h, w = alpha.shape
        shape = (h * self.scale, w * self.scale)
        if dtype == np.uint8:
            return imresize(alpha, self.scale, output_shape=shape)
        out = imresize(alpha.astype(np.float32), self.scale,
                       output_shape=shape)
        if dtype == np.uint16:
            return np.clip(np.round(out), 0, 65535).astype(np.uint16)
        return np.clip(out, 0, 1).astype(dtype)

    def _upscale_rgb(self, rgb, maxval, dtype):
        """(H, W, 1|3) array -> (sH, sW, 3) of ``dtype``, tile by tile.

        Tiles are cut from the input and written into the output in place
        (tensor views of the arrays): per tile, one conversion of its
        pixels to float on the device and one copy of its result into the
        output, nothing else.
        """
        h, w = rgb.shape[:2]
        s, d = self.scale, self.size_divisor
        # pad bottom/right to a multiple of the divisor (RRDBNet x1/x2)
        ph, pw = (-h) % d, (-w) % d
        if ph or pw:
            rgb = np.pad(rgb, ((0, ph), (0, pw), (0, 0)), mode='edge')
        hp, wp = rgb.shape[:2]
        tile = self.plan_tile(hp, wp, np.dtype(dtype).itemsize)
        out = np.empty((hp * s, wp * s, 3), dtype=dtype)
        src, dst = _as_tensor(rgb), torch.from_numpy(out)
        boxes = list(tile_boxes(hp, wp, tile, self.tile_pad, d))
        if self.progress and len(boxes) > 1:
            boxes = tqdm(boxes, desc=f'{wp}x{hp} tiles', unit='tile',
                         leave=False)
        for (y0, y1, x0, x1), (cy0, cy1, cx0, cx1) in boxes:
            sr = self._forward(src[cy0:cy1, cx0:cx1], maxval)
            oy, ox = (y0 - cy0) * s, (x0 - cx0) * s
            part = sr[:, oy:oy + (y1 - y0) * s, ox:ox + (x1 - x0) * s]
            if part.device != dst.device:  # pixels, not floats, travel
                part = part.to(dst.dtype)
            dst[y0 * s:y1 * s, x0 * s:x1 * s].copy_(part.permute(1, 2, 0))
        return out[:h * s, :w * s]

    @torch.inference_mode()
    def _forward(self, patch, maxval):
        """(h, w, 1|3) CPU tensor (a view of the image) -> (3, sh, sw)
        float tensor on the device: rounded to [0, maxval], or in [0, 1]
        when ``maxval`` is None."""
        x = patch.permute(2, 0, 1).unsqueeze(0)
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        if x.device != self.device:
            x = x.to(self.device)
        # one new float tensor, in the network's memory format (never the
        # caller's array: the network output may alias its input)
        fmt = torch.channels_last if self.channels_last \
            else torch.contiguous_format
        x = x.to(dtype=torch.float32, memory_format=fmt, copy=True)
        if maxval is not None:
            x.div_(maxval)
        with torch.autocast(self.device.type, dtype=self.amp_dtype,
                            enabled=self.amp_dtype is not None):
            y = self.generator(x)[0]
        y = y.float() if y.dtype != torch.float32 else y
        low, high = self.output_range
        if (low, high) != (0.0, 1.0):
            y = y.sub_(low).div_(high - low)
        y = y.clamp_(0, 1)
        if maxval is not None:
            y = y.mul_(maxval).round_()
        return y

    def _memory_model(self):
        """The generator's :class:`~srtoolbox.apis.memory.MemoryModel` (see
        :class:`~srtoolbox.apis.tile_planning.TilePlanner`)."""
        return self._planner.memory_model()

    def memory_needed(self, height: int, width: int,
                      tile: Optional[Any] = None, itemsize: int = 1) -> Any:
        """Estimated bytes of a pass (:meth:`TilePlanner.memory_needed`)."""
        return self._planner.memory_needed(height, width, tile, itemsize)

    def plan_tile(self, height: int, width: int, itemsize: int = 1) -> Any:
        """The tile a pass uses (:meth:`TilePlanner.plan_tile`)."""
        return self._planner.plan_tile(height, width, itemsize)
