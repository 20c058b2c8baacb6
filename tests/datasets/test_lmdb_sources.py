"""A rerun after an interruption follows the sources: changed entries are
encoded again, deleted ones dropped; ``--verify`` / ``--sources`` check the
entries against their files. Real photographs, real LMDBs."""
import glob
import importlib.util
import os
import os.path as osp

import numpy as np
import pytest

from srtoolbox.datasets import create_lmdb, create_paired_lmdb, inspect_lmdb
from srtoolbox.datasets.image_store import LmdbStore, read_meta_info
from srtoolbox.datasets.lmdb import create as lmdb_create
from srtoolbox.datasets.lmdb import writer as lmdb_writer
from srtoolbox.utils import imread, imwrite

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PHOTOS = sorted(glob.glob(osp.join(REPO, 'data', 'demo', 'Set5', '*.png')))


def _photo(index, size):
    return np.ascontiguousarray(imread(PHOTOS[index])[:size[0], :size[1]])


def _tool(name):
    spec = importlib.util.spec_from_file_location(
        f'_tool_{name}', osp.join(REPO, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rewrite(path, img):
    """Replace a source file, with a modification time surely new."""
    before = os.stat(path).st_mtime_ns
    imwrite(img, path)
    os.utime(path, ns=(before + 10**9, before + 10**9))


def _interrupt(monkeypatch, name, func='_encode_one'):
    """Make the encoder raise KeyboardInterrupt on the source ``name``,
    committing every entry before it."""
    real = getattr(lmdb_create, func)

    def dies(item, **kwargs):
        paths = item if isinstance(item, tuple) else (item, )
        if any(osp.basename(p) == name for p in paths):
            raise KeyboardInterrupt
        return real(item, **kwargs)

    monkeypatch.setattr(lmdb_writer, '_COMMIT_EVERY', 1)
    monkeypatch.setattr(lmdb_create, func, dies)
    return lambda: monkeypatch.setattr(lmdb_create, func, real)


def test_rerun_follows_changed_and_deleted_sources(tmp_path, monkeypatch,
                                                   capsys):
    src, out = tmp_path / 'src', tmp_path / 'out.lmdb'
    for i in range(5):
        imwrite(_photo(i, (32, 32)), src / f'{i}.png')
    restore = _interrupt(monkeypatch, '3.png')
    with pytest.raises(KeyboardInterrupt):
        create_lmdb(src, out, workers=0, progress=False)
    restore()  # 0, 1, 2 are committed in out.lmdb.tmp-build
    new_pixels = _photo(4, (40, 48))
    _rewrite(src / '1.png', new_pixels)
    os.remove(src / '0.png')
    argv = ['--input', str(src), '--output', str(out), '--workers', '0',
            '--verify', '--no-progress']
    assert _tool('create_lmdb').main(argv) == 0
    text = capsys.readouterr().out
    assert 'wrote 4 entries' in text and '(1 kept from an interrupted' in text
    assert text.rstrip().endswith('OK')
    store = LmdbStore(str(out))
    assert store.keys() == ['1', '2', '3', '4']
    np.testing.assert_array_equal(store.get('1'), new_pixels)
    assert dict(read_meta_info(str(out)))['1'] == (40, 48, 3)
    # the LMDB keeps BasicSR's three files; the record is in data.mdb
    assert sorted(os.listdir(out)) == ['data.mdb', 'lock.mdb',
                                       'meta_info.txt']
    report = inspect_lmdb(out, check_sources=True)
    assert report.ok and report.num_entries == 4, report.summary()

    # sources changed, deleted or added without a rerun are reported
    _rewrite(src / '2.png', _photo(0, (32, 32)))
    os.remove(src / '3.png')
    imwrite(_photo(1, (32, 32)), src / 'new.png')
    assert inspect_lmdb(out).ok  # the entries themselves still decode
    report = inspect_lmdb(out, check_sources=True)
    assert [key for key, _ in report.stale] == ['2', '3', 'new']
    assert _tool('inspect_lmdb').main([str(out), '--sources']) == 1
    text = capsys.readouterr().out
    assert f'2: its source {src / "2.png"} changed since it was packed' \
        in text
    assert f'3: its source {src / "3.png"} was deleted' in text
    assert f'new: {src / "new.png"} is not in the LMDB' in text


def test_paired_rerun_follows_a_changed_lq_source(tmp_path, monkeypatch):
    gt_dir, lq_dir = tmp_path / 'gt', tmp_path / 'lq'
    for i, name in enumerate(('a', 'b', 'c')):
        gt = _photo(i, (64, 48))
        imwrite(gt, gt_dir / f'{name}.png')
        imwrite(gt[::4, ::4], lq_dir / f'{name}x4.png')
    imwrite(_photo(3, (64, 48)), gt_dir / 'd.png')
    (lq_dir / 'dx4.png').write_bytes(b'not a png at all')  # skipped
    args = (gt_dir, lq_dir, tmp_path / 'gt.lmdb', tmp_path / 'lq.lmdb', 4)
    kwargs = dict(lq_suffix='x4', workers=0, on_error='skip',
                  progress=False)
    restore = _interrupt(monkeypatch, 'c.png', '_encode_pair')
    with pytest.raises(KeyboardInterrupt):
        create_paired_lmdb(*args, **kwargs)
    restore()  # pairs a and b are committed
    new_lq = _photo(4, (16, 12))
    _rewrite(lq_dir / 'ax4.png', new_lq)
    result = create_paired_lmdb(*args, **kwargs)
    assert result.resumed == 1 and result.num_images == 3
    assert [osp.basename(p) for p, _ in result.skipped] == ['dx4.png']
    np.testing.assert_array_equal(
        LmdbStore(str(tmp_path / 'lq.lmdb')).get('a'), new_lq)
    # the skipped pair is known to the record: not "missing from the LMDB"
    report = inspect_lmdb(tmp_path / 'gt.lmdb', tmp_path / 'lq.lmdb',
                          check_sources=True)
    assert report.ok, report.summary()
    _rewrite(lq_dir / 'bx4.png', _photo(0, (16, 12)))
    report = inspect_lmdb(tmp_path / 'gt.lmdb', tmp_path / 'lq.lmdb',
                          check_sources=True)
    assert not report.stale and [k for k, _ in report.lq.stale] == ['b']
