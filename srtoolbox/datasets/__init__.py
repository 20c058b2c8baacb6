"""Datasets (``DATASETS``), transforms (``TRANSFORMS``), image storage and
data preparation (LMDBs, sub-images): every public function of the data
tools is importable from here."""
from . import transforms  # noqa: F401  (registers the transforms)
from .image_store import (CorruptEntryError, ImageStore, build_image_store,
                          read_meta_info)
from .lmdb import (BuildResult, LmdbReport, create_lmdb, create_paired_lmdb,
                   inspect_lmdb)
from .realesrgan_dataset import RealESRGANDataset  # noqa: F401
from .sr_datasets import HRImageDataset, PairedImageDataset
from .subimages import ExtractResult, crop_positions, extract_subimages

__all__ = ['HRImageDataset', 'PairedImageDataset', 'ImageStore',
           'build_image_store', 'read_meta_info', 'CorruptEntryError',
           'create_lmdb', 'create_paired_lmdb', 'inspect_lmdb',
           'extract_subimages', 'crop_positions', 'BuildResult',
           'ExtractResult', 'LmdbReport']
