"""Datasets (``DATASETS``), transforms (``TRANSFORMS``) and image storage."""
from . import transforms  # noqa: F401  (registers the transforms)
from .image_store import (CorruptEntryError, ImageStore, build_image_store,
                          read_meta_info)
from .sr_datasets import HRImageDataset, PairedImageDataset

__all__ = ['HRImageDataset', 'PairedImageDataset', 'ImageStore',
           'build_image_store', 'read_meta_info', 'CorruptEntryError']
