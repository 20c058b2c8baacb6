"""How the values of an LMDB made here are encoded: PNG or raw pixels.

**Value rule**: every value is a lossless PNG (or, with ``codec='raw'``, the
uncompressed pixels) re-encoded from the image as
:func:`srtoolbox.utils.imread` decodes it, i.e. 3-channel 8-bit (grayscale
replicated, alpha dropped, 16-bit scaled to 8, JPEG decoded once). So
everything in an LMDB made here is a 3-channel 8-bit image,
``meta_info.txt`` always says ``c = 3``, and reading an entry gives exactly
what reading its source file gives. PNG inputs are re-encoded too (one rule
for all inputs, and fast-decoding PNGs: see :func:`png_params`).

**Raw values** (``codec='raw'``, ``--codec raw``): the pixels uncompressed
in srtoolbox's ``RAW_MAGIC`` format (:func:`srtoolbox.utils.raw_bytes`),
listed as ``<key>.raw (h,w,c) raw`` in ``meta_info.txt``. Reading one is a
copy instead of a PNG decode (docs/benchmarks.md), which is what keeps a
loader of whole photos fast; the LMDB is as large as one of uncompressed
PNGs. BasicSR cannot read these values: use PNG for LMDBs shared with it.
"""
import dataclasses
from typing import Any

import cv2
import numpy as np

from ...utils.image_io import raw_bytes

__all__ = ['CODECS', 'ValueFormat', 'png_params', 'png_bytes']

CODECS = ('png', 'raw')


def png_params(compress_level: Any) -> Any:
    params = [cv2.IMWRITE_PNG_COMPRESSION, int(compress_level)]
    if hasattr(cv2, 'IMWRITE_PNG_FILTER'):  # OpenCV >= 4.11
        # With an explicit compression level OpenCV tries every PNG filter
        # per row (Paeth included); the Up filter alone gives files ~1%
        # larger that encode ~30% and decode ~25% faster (1024x800 photos).
        params += [cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP]
    return params


def png_bytes(img: Any, compress_level: Any) -> Any:
    """RGB uint8 (H, W, 3) -> PNG bytes of its BGR layout (OpenCV's)."""
    ok, buf = cv2.imencode('.png', np.ascontiguousarray(img[:, :, ::-1]),
                           png_params(compress_level))
    if not ok:
        raise RuntimeError('OpenCV could not encode a PNG')
    return buf.tobytes()


@dataclasses.dataclass(frozen=True)
class ValueFormat:
    """How the values of an LMDB are encoded (picklable, for workers)."""
    codec: str = 'png'
    compress_level: int = 1

    @classmethod
    def checked(cls, codec: Any, compress_level: Any) -> Any:
        if codec not in CODECS:
            raise ValueError(f"codec must be one of {CODECS}, got {codec!r}")
        if not 0 <= int(compress_level) <= 9:
            raise ValueError(
                f'compress_level must be 0-9, got {compress_level}')
        return cls(codec, int(compress_level))

    def encode(self, img: Any) -> Any:
        """RGB uint8 (H, W, 3) -> the bytes stored in the LMDB."""
        if self.codec == 'raw':
            return raw_bytes(img)
        return png_bytes(img, self.compress_level)

    def meta_line(self, key: str, shape: Any) -> Any:
        """The ``meta_info.txt`` line of an entry."""
        shape = ','.join(map(str, shape))
        if self.codec == 'raw':
            return f'{key}.raw ({shape}) raw\n'
        return f'{key}.png ({shape}) {self.compress_level}\n'
