"""Datasets for super-resolution, on mmengine's ``BaseDataset``.

A dataset knows where images are stored (a folder or an LMDB, see
:mod:`srtoolbox.datasets.image_store`) and reads them; what is done to them
(crops, LR generation, flips, packing) is the ``pipeline`` of transforms.
"""
import os.path as osp

from mmengine.dataset import BaseDataset

from ..registry import DATASETS
from .image_store import build_image_store

__all__ = ['HRImageDataset', 'PairedImageDataset']


class _SRDatasetBase(BaseDataset):

    def __init__(self, *, scale, pipeline=(), name=None, test_mode=False,
                 **kwargs):
        if not isinstance(scale, int) or scale < 1:
            raise ValueError(f'{type(self).__name__}: scale must be a positive '
                             f'integer, got {scale!r}')
        self.scale = scale
        self.name = name
        super().__init__(pipeline=list(pipeline), test_mode=test_mode,
                         serialize_data=False, **kwargs)

    def prepare_data(self, idx):
        data_info = self.get_data_info(idx)
        self._load(data_info)
        return self.pipeline(data_info)


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
    """

    def __init__(self, *, gt_folder, scale, pipeline=(), backend_args=None,
                 name=None, data_root='', test_mode=False, cache=False,
                 **kwargs):
        self.gt_folder = gt_folder
        self.backend_args = backend_args
        self._cache = {} if cache else None
        path = osp.join(data_root, gt_folder) if data_root else gt_folder
        self.gt_store = build_image_store(path, backend_args)
        name = name or osp.splitext(osp.basename(osp.normpath(path)))[0]
        super().__init__(scale=scale, pipeline=pipeline, name=name,
                         data_root=data_root, test_mode=test_mode, **kwargs)

    def load_data_list(self):
        return [dict(key=key, dataset=self.name, sample_idx=i)
                for i, key in enumerate(self.gt_store.keys())]

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
    """

    def __init__(self, *, gt_folder, lq_folder, scale, pipeline=(),
                 filename_tmpl='{}', backend_args=None, name=None,
                 data_root='', test_mode=False, **kwargs):
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
                         data_root=data_root, test_mode=test_mode, **kwargs)

    def load_data_list(self):
        lq_keys = set(self.lq_store.keys())
        data_list, missing = [], []
        for i, key in enumerate(self.gt_store.keys()):
            lq_key = self.filename_tmpl.format(key)
            if lq_key not in lq_keys:
                missing.append(f'{key} -> {lq_key}')
                continue
            data_list.append(dict(key=key, lq_key=lq_key, dataset=self.name,
                                  sample_idx=i))
        if missing:
            shown = ', '.join(missing[:10])
            more = f' and {len(missing) - 10} more' if len(missing) > 10 else ''
            raise FileNotFoundError(
                f'{self.lq_store.root}: no LR image for {len(missing)} HR '
                f'image(s) of {self.gt_store.root} (HR key -> expected LR key '
                f'with filename_tmpl={self.filename_tmpl!r}): {shown}{more}')
        return data_list

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
