"""Figures of images side by side: strips, labels, crops.

One home for the layout that the validation hooks (``bicubic | SR | HR``),
the GAN and Real-ESRGAN strip hooks and :func:`srtoolbox.apis.compare_models`
(``bicubic | model 1 | ... | HR``, each labelled with its figures) draw.
Images are HWC uint8 RGB arrays.
"""
from typing import Sequence, Tuple

import cv2
import numpy as np

__all__ = ['comparison_strip', 'label_band', 'labelled_strip',
           'default_crop', 'zoom_nearest']


def comparison_strip(images: Sequence[np.ndarray], gap: int = 4
                     ) -> np.ndarray:
    """Concatenate HWC uint8 images of equal height, with white gaps."""
    height = max(img.shape[0] for img in images)
    parts = []
    for i, img in enumerate(images):
        if img.shape[0] != height:
            raise ValueError('comparison_strip needs images of equal height')
        if i:
            parts.append(np.full((height, gap, 3), 255, np.uint8))
        parts.append(img)
    return np.concatenate(parts, axis=1)


def label_band(text: str, width: int, height: int = 22) -> np.ndarray:
    """A white ``(height, width, 3)`` band with ``text`` in black, shrunk
    until it fits the width."""
    band = np.full((height, width, 3), 255, np.uint8)
    font, size, thick = cv2.FONT_HERSHEY_SIMPLEX, 0.45, 1
    while size > 0.25 and cv2.getTextSize(text, font, size,
                                          thick)[0][0] > width - 4:
        size -= 0.05
    cv2.putText(band, text, (2, height - 7), font, size, (0, 0, 0), thick,
                cv2.LINE_AA)
    return band


def labelled_strip(panels: Sequence[np.ndarray], labels: Sequence[str],
                   gap: int = 4) -> np.ndarray:
    """Panels of equal height side by side, each under its label."""
    if len(panels) != len(labels):
        raise ValueError(f'{len(panels)} panels but {len(labels)} labels')
    framed = [np.concatenate([label_band(label, p.shape[1]), p], axis=0)
              for p, label in zip(panels, labels)]
    return comparison_strip(framed, gap=gap)


def default_crop(shape: Sequence[int]) -> Tuple[int, int, int, int]:
    """The central quarter ``(top, left, height, width)`` of ``shape``."""
    h, w = shape[:2]
    return (h // 4, w // 4, h // 2, w // 2)


def zoom_nearest(img: np.ndarray, zoom: int) -> np.ndarray:
    """Enlarge an HWC image ``zoom`` times by nearest neighbour."""
    return np.kron(img, np.ones((zoom, zoom, 1), img.dtype))
