"""Datasets for super-resolution, on mmengine's ``BaseDataset``.

A dataset knows where images are stored (a folder or an LMDB, see
:mod:`srtoolbox.datasets.image_store`) and reads them; what is done to them
(crops, LR generation, flips, packing) is the ``pipeline`` of transforms.
"""
import logging
import os.path as osp
from concurrent.futures import ThreadPoolExecutor

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from ..registry import DATASETS
from ..utils.image_io import ImageReadError
from .image_store import build_image_store
from .parallel import default_workers, listing

__all__ = ['HRImageDataset', 'PairedImageDataset']


class _SRDatasetBase(BaseDataset):

    def __init__(self, *, scale, pipeline=(), name=None, test_mode=False,
                 skip_bad=False, **kwargs):
        if not isinstance(scale, int) or scale < 1:
            raise ValueError(f'{type(self).__name__}: scale must be a positive '
                             f'integer, got {scale!r}')
        self.scale = scale
        self.name = name
        self.skip_bad = skip_bad
        self.skipped = []  # (image, reason) left out by skip_bad
        super().__init__(pipeline=list(pipeline), test_mode=test_mode,
                         serialize_data=False, **kwargs)

    def _readable(self, items):
        """With ``skip_bad``, the items whose images all decode.

        ``items``: ``[(item, [(store, key), ...]), ...]``. Every image is
        decoded once (in threads: decoding releases the GIL); each one that
        does not is logged with its name and reason and kept in
        :attr:`skipped`, and the summary says how many went.
        """
        self.skipped = []
        if not self.skip_bad:
            return [item for item, _ in items]

        def check(images):
            for store, key in images:
                try:
                    img = store.get(key)
                except (ImageReadError, KeyError) as err:
                    return store.describe(key), str(err).strip("'\"")
                self._remember(store, key, img)
            return None

        with ThreadPoolExecutor(default_workers()) as pool:
            problems = list(pool.map(check, [images for _, images in items]))
        kept = []
        for (item, _), problem in zip(items, problems):
            if problem is None:
                kept.append(item)
                continue
            self.skipped.append(problem)
            print_log(f'{self.name}: skipping unreadable image {problem[0]} '
                      f'({problem[1]})', logger='current',
                      level=logging.WARNING)
        if self.skipped:
            print_log(f'{self.name}: skipped {len(self.skipped)} unreadable '
                      f'image(s) of {len(items)} (skip_bad=True); '
                      f'{len(kept)} left', logger='current',
                      level=logging.WARNING)
        if not kept:
            raise ImageReadError(
                f'{self.name}: none of the {len(items)} images could be '
                'read:' + listing(f'{p}: {r}' for p, r in self.skipped))
        return kept

    def _remember(self, store, key, img):
        """Keep an image decoded by the ``skip_bad`` check (see cache)."""

    def prepare_data(self, idx):
        data_info = self.get_data_info(idx)
        self._load_or_name(data_info)
        return self.pipeline(data_info)

    def _load_or_name(self, data_info):
        """``_load``; an unreadable image (``skip_bad=False``) is named
        with the option that leaves such images out."""
        try:
            self._load(data_info)
        except ImageReadError as err:
            if self.skip_bad:
                raise
            # named with the option that would have left it out
            loader = 'val_dataloader (test_dataloader)' if self.test_mode \
                else 'train_dataloader'
            raise type(err)(
                f'{err}; skip_bad=True on the dataset {self.name!r} checks '
                'every image when it is built and leaves unreadable ones out '
                f'({loader}.dataset.skip_bad=True, e.g. by --cfg-options)'
            ) from err


@DATASETS.register_module()
class HRImageDataset(_SRDatasetBase):
    """HR images of any size; the pipeline makes the LR image on the fly.

    Train with ``PairedRandomCrop`` then ``BicubicDownsample`` (ImageNet-style
    patches, the SRGAN recipe); evaluate with ``ModCrop`` then
    ``BicubicDownsample`` (the SR benchmarks' convention).

    Args:
        gt_folder (str): folder (searched recursively) or LMDB of HR images,
            relative to ``data_root`` when that is given.
        scale (int): SR scale.
        pipeline (list[dict]): transforms.
        backend_args (dict | None): ``None`` for a folder,
            ``dict(backend='lmdb')`` for an LMDB.
        name (str | None): dataset name used in metric names
            (``Set5/PSNR``); default: the folder's name.
        cache (bool): keep decoded images in memory (per worker process).
            Worth it for small training sets cropped many times per epoch,
            like the demo's 80 photographs: decoding a 1024x700 JPEG costs
            more than everything else the pipeline does to a 96x96 crop.
        skip_bad (bool): decode every image when the dataset is built and
            leave out those that do not decode, each logged (a warning
            naming it) and listed in ``dataset.skipped`` as ``(image,
            reason)``, as ``create_lmdb.py --skip-bad`` does; the default
            ``False`` checks nothing up front, and an unreadable image
            raises an error naming it when it is read.
    """

    def __init__(self, *, gt_folder, scale, pipeline=(), backend_args=None,
                 name=None, data_root='', test_mode=False, cache=False,
                 skip_bad=False, **kwargs):
        self.gt_folder = gt_folder
        self.backend_args = backend_args
        self._cache = {} if cache else None
        path = osp.join(data_root, gt_folder) if data_root else gt_folder
        self.gt_store = build_image_store(path, backend_args)
        name = name or osp.splitext(osp.basename(osp.normpath(path)))[0]
        super().__init__(scale=scale, pipeline=pipeline, name=name,
                         data_root=data_root, test_mode=test_mode,
                         skip_bad=skip_bad, **kwargs)

    def load_data_list(self):
        keys = self._readable([(key, [(self.gt_store, key)])
                               for key in self.gt_store.keys()])
        return [dict(key=key, dataset=self.name, sample_idx=i)
                for i, key in enumerate(keys)]

    def _remember(self, store, key, img):
        if self._cache is not None:
            self._cache[key] = img

    def _load(self, data_info):
        key = data_info['key']
        data_info['gt_path'] = self.gt_store.describe(key)
        if self._cache is None:
            data_info['gt'] = self.gt_store.get(key)
            return
        if key not in self._cache:
            self._cache[key] = self.gt_store.get(key)
        data_info['gt'] = self._cache[key]


@DATASETS.register_module()
class PairedImageDataset(_SRDatasetBase):
    """HR and LR images in two folders (or LMDBs), matched by file stem.

    Args:
        gt_folder (str): HR folder or LMDB.
        lq_folder (str): LR folder or LMDB.
        scale (int): SR scale; every pair must satisfy ``HR = scale * LR``
            (an HR image up to ``scale - 1`` pixels larger is cropped, the
            usual mod-crop).
        filename_tmpl (str): LR key from the HR key, e.g. ``'{}x4'`` for
            ``0001.png`` / ``0001x4.png``. Default: ``'{}'``.
        pipeline, backend_args, name, data_root: as in
            :class:`HRImageDataset`.
        skip_bad (bool): as in :class:`HRImageDataset`; a pair goes when
            either image does not decode.
    """

    def __init__(self, *, gt_folder, lq_folder, scale, pipeline=(),
                 filename_tmpl='{}', backend_args=None, name=None,
                 data_root='', test_mode=False, skip_bad=False, **kwargs):
        if '{}' not in filename_tmpl:
            raise ValueError(f"filename_tmpl must contain '{{}}', got "
                             f'{filename_tmpl!r}')
        self.filename_tmpl = filename_tmpl

        def join(p):
            return osp.join(data_root, p) if data_root else p

        self.gt_store = build_image_store(join(gt_folder), backend_args)
        self.lq_store = build_image_store(join(lq_folder), backend_args)
        name = name or osp.splitext(osp.basename(osp.normpath(
            join(gt_folder))))[0]
        super().__init__(scale=scale, pipeline=pipeline, name=name,
                         data_root=data_root, test_mode=test_mode,
                         skip_bad=skip_bad, **kwargs)

    def load_data_list(self):
        lq_keys = set(self.lq_store.keys())
        pairs, missing = [], []
        for key in self.gt_store.keys():
            lq_key = self.filename_tmpl.format(key)
            if lq_key not in lq_keys:
                missing.append(f'{key} -> {lq_key}')
                continue
            pairs.append(((key, lq_key), [(self.gt_store, key),
                                          (self.lq_store, lq_key)]))
        if missing:
            shown = ', '.join(missing[:10])
            more = f' and {len(missing) - 10} more' if len(missing) > 10 else ''
            raise FileNotFoundError(
                f'{self.lq_store.root}: no LR image for {len(missing)} HR '
                f'image(s) of {self.gt_store.root} (HR key -> expected LR key '
                f'with filename_tmpl={self.filename_tmpl!r}): {shown}{more}')
        return [dict(key=key, lq_key=lq_key, dataset=self.name, sample_idx=i)
                for i, (key, lq_key) in enumerate(self._readable(pairs))]

    def _load(self, data_info):
        gt_key, lq_key = data_info['key'], data_info['lq_key']
        data_info['gt_path'] = self.gt_store.describe(gt_key)
        data_info['lq_path'] = self.lq_store.describe(lq_key)
        gt = self.gt_store.get(gt_key)
        lq = self.lq_store.get(lq_key)
        s = self.scale
        h, w = lq.shape[0] * s, lq.shape[1] * s
        if not (h <= gt.shape[0] < h + s and w <= gt.shape[1] < w + s):
            raise ValueError(
                f'{data_info["lq_path"]}: LR size {lq.shape[1]}x{lq.shape[0]} '
                f'times scale {s} does not match HR {data_info["gt_path"]} '
                f'size {gt.shape[1]}x{gt.shape[0]}')
        data_info['gt'] = gt[:h, :w]
        data_info['lq'] = lq
