"""Reading and writing images: one rule for every odd format.

Every image srtoolbox reads becomes an ``(H, W, 3)`` uint8 **RGB** array:

* grayscale (1 channel) is replicated to 3 channels;
* RGBA / LA: the alpha channel is dropped (colour kept as stored);
* 16-bit images are scaled to 8 bits with ``round(v / 257)``
  (65535 -> 255, exact for values written from 8-bit data);
* float images (e.g. 32-bit TIFF) are rejected with a message.

Anything that cannot be decoded raises :class:`ImageReadError` naming the file.
"""
import glob
import os
import os.path as osp

import cv2
import numpy as np

from .fileio import atomic_path

__all__ = ['ImageReadError', 'imfrombytes', 'imread', 'imwrite',
           'read_file_bytes', 'read_image_unchanged', 'write_image_unchanged',
           'list_images', 'to_3channel_uint8', 'raw_bytes', 'IMG_EXTENSIONS',
           'RAW_MAGIC']

IMG_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.webp', '.tif', '.tiff')

# Uncompressed pixels, srtoolbox's own value format for LMDBs built for speed
# (``create_lmdb(..., codec='raw')``): this magic, then height, width and
# channels as little-endian uint32, then the RGB uint8 pixels row by row.
RAW_MAGIC = b'SRTBRAW1'
_RAW_HEADER = len(RAW_MAGIC) + 12


class ImageReadError(ValueError):
    """An image file (or LMDB entry) could not be read or converted."""


def to_3channel_uint8(img, name='<array>'):
    """Apply the module's conversion rule to a decoded OpenCV (BGR) array.

    Returns an RGB uint8 ``(H, W, 3)`` array.
    """
    if img.dtype == np.uint16:
        img = np.round(img.astype(np.float64) / 257.0).astype(np.uint8)
    elif img.dtype != np.uint8:
        raise ImageReadError(
            f'{name}: unsupported pixel type {img.dtype}; srtoolbox reads 8- '
            'and 16-bit integer images only')
    if img.ndim == 2:
        img = img[:, :, None]
    channels = img.shape[2]
    if channels == 1:
        return np.ascontiguousarray(np.repeat(img, 3, axis=2))
    if channels == 2:  # gray + alpha
        return np.ascontiguousarray(np.repeat(img[:, :, :1], 3, axis=2))
    if channels in (3, 4):  # BGR(A) -> RGB, alpha dropped
        return np.ascontiguousarray(img[:, :, 2::-1])
    raise ImageReadError(f'{name}: unsupported number of channels {channels}')


def raw_bytes(img):
    """RGB uint8 ``(H, W, 3)`` -> bytes in the ``RAW_MAGIC`` format.

    Decoding them (:func:`imfrombytes`) is a copy, no codec: far faster
    than a PNG of the same photo, at the size of an uncompressed PNG.
    """
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f'raw_bytes takes RGB uint8 (H, W, 3) arrays, got '
                         f'{img.dtype} {img.shape}')
    header = np.array(img.shape, dtype='<u4').tobytes()
    return RAW_MAGIC + header + np.ascontiguousarray(img).tobytes()


def _from_raw(content, name):
    if len(content) < _RAW_HEADER:
        raise ImageReadError(f'{name}: raw entry truncated in its header')
    h, w, c = (int(v) for v in np.frombuffer(
        content, dtype='<u4', count=3, offset=len(RAW_MAGIC)))
    if c != 3 or len(content) != _RAW_HEADER + h * w * c:
        raise ImageReadError(
            f'{name}: raw entry of {len(content)} bytes does not hold the '
            f'{h}x{w}x{c} RGB pixels its header announces (corrupt or '
            'truncated)')
    pixels = np.frombuffer(content, dtype=np.uint8, offset=_RAW_HEADER)
    return pixels.reshape(h, w, 3).copy()  # writable, owns its memory


def imfrombytes(content, name='<bytes>'):
    """Decode image bytes (PNG, JPEG, ... or raw) to RGB uint8 (H, W, 3)."""
    if content is None or len(content) == 0:
        raise ImageReadError(f'{name}: empty file or entry')
    if content[:len(RAW_MAGIC)] == RAW_MAGIC:
        return _from_raw(content, name)
    buf = np.frombuffer(content, dtype=np.uint8)
    img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ImageReadError(
            f'{name}: could not be decoded as an image (corrupt or not an '
            'image file)')
    return to_3channel_uint8(img, name)


def read_file_bytes(path):
    """The bytes of a file; an unreadable one raises ``ImageReadError``
    naming it and why."""
    try:
        with open(path, 'rb') as f:
            return f.read()
    except OSError as err:
        raise ImageReadError(f'{path}: cannot be read ({err.strerror})') \
            from err


def imread(path):
    """Read an image file to RGB uint8 (H, W, 3); errors name the file."""
    return imfrombytes(read_file_bytes(path), str(path))


def imwrite(img, path, overwrite=True):
    """Write an RGB uint8 (H, W, 3) or (H, W) image atomically.

    The image is encoded to a temporary file in the same folder and renamed
    over ``path``, so a crash never leaves a half-written file. With
    ``overwrite=False`` an existing ``path`` raises ``FileExistsError``.
    OpenCV's order, ``imwrite(path, img)``, is accepted too (told apart by
    type); anything else raises a ``TypeError`` saying the order.
    """
    if isinstance(img, (str, os.PathLike)) and isinstance(path, np.ndarray):
        img, path = path, img  # cv2.imwrite(path, img) order
    if not isinstance(img, np.ndarray) or \
            not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            'imwrite(img, path): img is a numpy array (H, W[, 3]) RGB and '
            'path a file name (OpenCV\'s imwrite(path, img) order works '
            f'too); got ({type(img).__name__}, {type(path).__name__})')
    path = os.fspath(path)
    if not overwrite and osp.exists(path):
        raise FileExistsError(f'{path} exists; pass overwrite=True to replace '
                              'it')
    if img.ndim == 3 and img.shape[2] == 3:
        img = img[:, :, ::-1]  # RGB -> BGR for OpenCV
    ext = osp.splitext(path)[1] or '.png'
    ok, encoded = cv2.imencode(ext, np.ascontiguousarray(img))
    if not ok:
        raise ValueError(f'{path}: OpenCV cannot encode {ext} images')
    with atomic_path(path) as tmp:
        with open(tmp, 'xb') as f:
            f.write(encoded.tobytes())


def read_image_unchanged(path):
    """Read an image as stored: RGB(A) or gray, uint8 or uint16.

    Unlike :func:`srtoolbox.utils.imread` nothing is dropped: returns
    ``(H, W)`` gray, ``(H, W, 2)`` gray+alpha, ``(H, W, 3)`` RGB or
    ``(H, W, 4)`` RGBA, dtype uint8 or uint16.

    Raises:
        ImageReadError: unreadable, undecodable or an unsupported pixel type
            (float images); the message names the file.
    """
    content = read_file_bytes(path)
    img = None
    if content:
        img = cv2.imdecode(np.frombuffer(content, np.uint8),
                           cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ImageReadError(f'{path}: could not be decoded as an image '
                             '(empty, corrupt or not an image file)')
    if img.dtype not in (np.uint8, np.uint16):
        raise ImageReadError(f'{path}: unsupported pixel type {img.dtype}; '
                             'only 8- and 16-bit images are upscaled')
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 3 and img.shape[2] == 3:
        img = img[:, :, ::-1]
    elif img.ndim == 3 and img.shape[2] == 4:
        img = img[:, :, [2, 1, 0, 3]]
    return np.ascontiguousarray(img)


def write_image_unchanged(img, path, overwrite=False):
    """PNG of any layout :func:`read_image_unchanged` returns, atomically."""
    if img.ndim == 3 and img.shape[2] == 2:  # PNG has no gray+alpha in cv2
        img = np.concatenate([np.repeat(img[:, :, :1], 3, 2), img[:, :, 1:]],
                             axis=2)
    if img.ndim == 3 and img.shape[2] == 4:
        img = img[:, :, [2, 1, 0, 3]]  # imwrite flips only 3-channel images
    imwrite(img, path, overwrite=overwrite)


def list_images(inputs):
    """Image files named by a file, a folder, a glob or a list of them.

    Folders are not searched recursively; their files are kept if their
    extension is one of ``srtoolbox.utils.IMG_EXTENSIONS``. Order: as given,
    each folder/glob sorted, duplicates dropped.

    Raises:
        FileNotFoundError: a path that does not exist or a glob that matches
            nothing (all of them listed).
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    files, missing = [], []
    for item in inputs:
        item = os.fspath(item)
        if osp.isdir(item):
            found = [osp.join(item, n) for n in sorted(os.listdir(item))
                     if osp.splitext(n)[1].lower() in IMG_EXTENSIONS
                     and osp.isfile(osp.join(item, n))]
        elif osp.isfile(item):
            found = [item]
        elif glob.has_magic(item):
            found = [p for p in sorted(glob.glob(item)) if osp.isfile(p)]
            if not found:
                missing.append(f'{item} (glob matched nothing)')
        else:
            missing.append(item)
            found = []
        files += [p for p in found if p not in files]
    if missing:
        raise FileNotFoundError('inputs not found: ' + ', '.join(missing))
    return files
