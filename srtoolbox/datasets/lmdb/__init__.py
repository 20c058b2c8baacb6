"""Build and check the image LMDBs that ``LmdbStore`` reads.

The ``tools/create_lmdb.py`` and ``tools/inspect_lmdb.py`` command lines are
thin wrappers over:

* :func:`create_lmdb` - one image folder into one LMDB (:mod:`.create`);
* :func:`create_paired_lmdb` - a GT folder and its LQ folder into two LMDBs
  with the same keys, after checking that every GT image has an LQ partner
  of the right size (:mod:`.create`);
* :func:`inspect_lmdb` - counts, key parity, scale consistency and a list of
  entries that do not decode (:mod:`.inspection`).

How values are encoded is :mod:`.values`; how an LMDB is written resumably,
:mod:`.writer`; what each entry was packed from (to resume and verify
against changed sources), :mod:`.sources`. All of these, with :func:`~..subimages.extract_subimages`,
are importable from :mod:`srtoolbox.datasets`.

(py-lmdb is still ``import lmdb``: imports are absolute, so this package
never shadows it.)
"""
from .create import BuildResult, create_lmdb, create_paired_lmdb
from .inspection import LmdbReport, inspect_lmdb
from .values import CODECS
from .writer import TMP_SUFFIX

__all__ = ['create_lmdb', 'create_paired_lmdb', 'inspect_lmdb',
           'BuildResult', 'LmdbReport', 'CODECS', 'TMP_SUFFIX']
