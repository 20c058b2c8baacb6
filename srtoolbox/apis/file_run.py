"""Upscaling files into a folder: :meth:`SRInferencer.run` and what it
reports. The arrays' part (layouts, bit depths, tiles) is
:mod:`srtoolbox.apis.inference`."""
import logging
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Any, Dict, List, Union

import numpy as np
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from ..utils.fileio import make_folder
from ..utils.image_io import (ImageReadError, list_images,
                              read_image_unchanged, write_image_unchanged)
from .memory import InsufficientMemoryError

__all__ = ['RunSummary', 'FileRunMixin', 'refuse_writing_over_inputs']

logger = logging.getLogger('srtoolbox.apis.inference')


def refuse_writing_over_inputs(targets: Dict[str, List[str]]) -> None:
    """ValueError when an output path (``targets``: output -> [input]) is
    one of the input files, by name (symlinks and ``..`` resolved) or as
    the same file (a hard link)."""
    by_name, by_inode = {}, {}
    for sources in targets.values():
        for path in sources:
            by_name[osp.realpath(path)] = path
            st = os.stat(path)
            by_inode[(st.st_dev, st.st_ino)] = path
    for target in targets:
        real = osp.realpath(target)
        source = by_name.get(real)
        if source is None and osp.exists(real):
            st = os.stat(real)
            source = by_inode.get((st.st_dev, st.st_ino))
        if source is not None:
            raise ValueError(
                f'output {target} is the input file {source}'
                + (f' (both are {real})' if real != target else '')
                + ': upscaling would replace the photograph, so this is '
                'refused even with --overwrite; choose another --output '
                'folder or a --suffix')


@dataclass
class RunSummary:
    """What :meth:`SRInferencer.run` did.

    Attributes:
        processed (list[str]): outputs written.
        existing (list[str]): outputs already present, left untouched
            (``overwrite=False``).
        skipped (list[tuple[str, str]]): ``(input, reason)`` of inputs that
            could not be read.
    """
    processed: list = field(default_factory=list)
    existing: list = field(default_factory=list)
    skipped: list = field(default_factory=list)

    def __str__(self):
        return (f'{len(self.processed)} written, {len(self.existing)} '
                f'already there (kept), {len(self.skipped)} unreadable')


class FileRunMixin:
    """File handling of an inferencer: ``self(img)`` upscales one array,
    ``self.scale`` and ``self.progress`` are set by the inferencer."""

    scale: int
    progress: bool

    def __call__(self, img: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def output_path(self, input_path: str, out_dir: str,
                    suffix: str = '') -> Any:
        """``out_dir/<input stem><suffix>.png`` (PNG keeps alpha, 16 bits)."""
        stem = osp.splitext(osp.basename(input_path))[0]
        return osp.join(out_dir, f'{stem}{suffix}.png')

    def run(self, inputs: Union[str, list], out_dir: str,
            overwrite: bool = False, suffix: str = '') -> Any:
        """Upscale image files into ``out_dir`` as PNG.

        Args:
            inputs (str | list[str]): a file, a folder, a glob, or a list.
            out_dir (str): created if missing.
            overwrite (bool): replace existing outputs. Default: False
                (they are kept and listed in the summary's ``existing``).
            suffix (str): added to each output stem, e.g. ``'_x4'``.

        Returns:
            RunSummary: written outputs, outputs kept, unreadable inputs
            (each also named in a warning; the run goes on).

        Raises:
            FileNotFoundError: an input path does not exist (before any
                work is done).
            ValueError: no images found, two inputs would write the same
                output (``a.jpg`` and ``a.png``), or an output is an input
                file (also through symlinks or ``..``), refused whatever
                ``overwrite`` says.
        """
        files = list_images(inputs)
        if not files:
            raise ValueError(f'no images found in {inputs!r}')
        targets: Dict[str, List[str]] = {}
        for path in files:
            targets.setdefault(self.output_path(path, out_dir, suffix),
                               []).append(path)
        clashes = [f'{", ".join(v)} -> {k}' for k, v in targets.items()
                   if len(v) > 1]
        if clashes:
            raise ValueError('several inputs would write the same output; '
                             'rename them or run them separately: '
                             + '; '.join(clashes))
        refuse_writing_over_inputs(targets)
        make_folder(out_dir)  # a file in the way: named, not Errno 20
        summary = RunSummary()
        bar = tqdm(files, desc=f'x{self.scale}', unit='img',
                   disable=not self.progress)
        # log lines printed above the bar instead of through it
        with logging_redirect_tqdm():
            for path in bar:
                self._run_one(path, self.output_path(path, out_dir, suffix),
                              overwrite, summary)
        return summary

    def _run_one(self, path, target, overwrite, summary):
        if osp.exists(target) and not overwrite:
            summary.existing.append(target)
            logger.info('kept %s (exists; overwrite to replace)', target)
            return
        try:
            img = read_image_unchanged(path)
        except ImageReadError as err:
            summary.skipped.append((path, str(err)))
            logger.warning('skipped %s', err)
            return
        try:
            out = self(img)
        except InsufficientMemoryError as err:  # say which image
            raise InsufficientMemoryError(f'{path}: {err}') from None
        try:
            write_image_unchanged(out, target, overwrite=overwrite)
        except FileExistsError:  # appeared while we worked
            summary.existing.append(target)
            return
        summary.processed.append(target)
