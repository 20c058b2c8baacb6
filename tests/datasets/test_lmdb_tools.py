"""LMDB building, sub-image extraction and inspection on real photographs."""
import glob
import importlib.util
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

from srtoolbox.datasets import (create_lmdb, create_paired_lmdb,
                                crop_positions, extract_subimages,
                                inspect_lmdb)
from srtoolbox.datasets.image_store import (CorruptEntryError, LmdbStore,
                                            build_image_store)
from srtoolbox.datasets.lmdb import TMP_SUFFIX
from srtoolbox.datasets.lmdb import create as lmdb_create
from srtoolbox.datasets.lmdb import writer as lmdb_writer
from srtoolbox.utils import ImageReadError, imread, imwrite
from srtoolbox.utils.image_io import raw_bytes

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _real_images():
    """Paths of the real photographs the tests use (vendored Set5 PNGs)."""
    paths = sorted(glob.glob(osp.join(REPO, 'data', 'demo', 'Set5',
                                      '*.png')))
    assert len(paths) == 5, 'data/demo/Set5 is part of the repository'
    return paths


def _photo(index=0, size=None):
    """One real photograph (RGB uint8), optionally cropped to ``(h, w)``."""
    img = imread(_real_images()[index])
    if size is not None:
        img = np.ascontiguousarray(img[:size[0], :size[1]])
    return img


def _folder(root, names, size=(64, 80)):
    """Write crops of the photographs as ``root/<name>``; returns arrays."""
    images = {}
    for i, name in enumerate(names):
        img = _photo(i % len(_real_images()), size)
        imwrite(img, osp.join(root, name))
        images[name] = imread(osp.join(root, name))  # as decoded from disk
    return images


def _tool(name):
    """A command line of tools/ as a module (its ``main(argv)`` returns the
    exit code); run in this process, as a subprocess would pay the imports
    again."""
    spec = importlib.util.spec_from_file_location(
        f'_tool_{name}', osp.join(REPO, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _lmdb_put(path, key, value):
    import lmdb
    env = lmdb.open(str(path), map_size=64 << 20)
    with env.begin(write=True) as txn:
        txn.put(key.encode(), value)
    env.close()


def test_roundtrip_real_photographs(tmp_path):
    src = tmp_path / 'src'
    src.mkdir()
    for path in _real_images():
        shutil.copy(path, src)
    result = create_lmdb(src, tmp_path / 'set5.lmdb', workers=2,
                         progress=False)
    assert result.num_images == len(_real_images()) and not result.skipped
    assert sorted(os.listdir(tmp_path)) == ['set5.lmdb', 'src']  # no temp
    store = build_image_store(str(tmp_path / 'set5.lmdb'),
                              dict(backend='lmdb'))
    assert isinstance(store, LmdbStore)
    assert store.keys() == sorted(osp.splitext(osp.basename(p))[0]
                                  for p in _real_images())
    for path in _real_images():
        key = osp.splitext(osp.basename(path))[0]
        expected = imread(path)
        np.testing.assert_array_equal(store.get(key), expected)
        assert store.shapes()[key] == expected.shape
    with open(tmp_path / 'set5.lmdb' / 'meta_info.txt') as f:
        first = f.readline().strip()
    h, w = imread(_real_images()[0]).shape[:2]
    assert first == f'baby.png ({h},{w},3) 1'


def test_keys_with_dots_and_subfolders(tmp_path):
    src = tmp_path / 'src'
    images = _folder(src, ['0001.png', 'img.v2.final.png', 'sub/a.b.jpg',
                           'sub/deeper/x_s001.png'])
    create_lmdb(src, tmp_path / 'out.lmdb', workers=0, progress=False)
    store = build_image_store(str(tmp_path / 'out.lmdb'), dict(backend='lmdb'))
    assert store.keys() == ['0001', 'img.v2.final', 'sub/a.b',
                            'sub/deeper/x_s001']
    assert store.keys() == build_image_store(str(src)).keys()
    for name, img in images.items():
        np.testing.assert_array_equal(store.get(osp.splitext(name)[0]), img)


def test_raw_codec_roundtrip_and_truncation(tmp_path):
    src = tmp_path / 'src'
    src.mkdir()
    for path in _real_images()[:3]:
        shutil.copy(path, src)
    out = tmp_path / 'raw.lmdb'
    create_lmdb(src, out, workers=2, codec='raw', progress=False)
    store = build_image_store(str(out))
    keys = [osp.splitext(osp.basename(p))[0] for p in _real_images()[:3]]
    assert store.keys() == sorted(keys)
    for path, key in zip(_real_images()[:3], keys):
        img = store.get(key)
        np.testing.assert_array_equal(img, imread(path))
        # a writable copy, not a read-only view of the LMDB value
        assert img.flags.writeable and img.flags.owndata
    h, w = imread(_real_images()[0]).shape[:2]
    with open(out / 'meta_info.txt') as f:
        assert f.readline().strip() == f'{keys[0]}.raw ({h},{w},3) raw'
    assert inspect_lmdb(out).ok
    # a value cut short names its key, for the store and for inspect_lmdb
    cut = tmp_path / 'cut.lmdb'
    create_lmdb(src, cut, workers=0, codec='raw', progress=False)
    _lmdb_put(cut, keys[1], raw_bytes(imread(_real_images()[1]))[:-7])
    with pytest.raises(CorruptEntryError,
                       match=rf'cut\.lmdb\[{keys[1]}\].*truncated'):
        build_image_store(str(cut)).get(keys[1])
    assert inspect_lmdb(cut).corrupt_keys == [keys[1]]
    with pytest.raises(ValueError, match="codec must be one of"):
        create_lmdb(src, tmp_path / 'x.lmdb', codec='jpeg', progress=False)


def _pair_folders(tmp_path, names=('a', 'b.v2', 'sub/c'), scale=4):
    gt_dir, lq_dir = tmp_path / 'gt', tmp_path / 'lq'
    for i, name in enumerate(names):
        gt = _photo(i, (96, 64))
        imwrite(gt, osp.join(gt_dir, name + '.png'))
        imwrite(gt[::scale, ::scale], osp.join(lq_dir, f'{name}x{scale}.png'))
    return gt_dir, lq_dir


def test_paired_lmdb_keys_and_shapes(tmp_path):
    gt_dir, lq_dir = _pair_folders(tmp_path)
    result = create_paired_lmdb(gt_dir, lq_dir, tmp_path / 'gt.lmdb',
                                tmp_path / 'lq.lmdb', 4, lq_suffix='x4',
                                workers=2, progress=False)
    assert result.num_images == 3 and result.lq_path.endswith('lq.lmdb')
    gt = build_image_store(str(tmp_path / 'gt.lmdb'), dict(backend='lmdb'))
    lq = build_image_store(str(tmp_path / 'lq.lmdb'), dict(backend='lmdb'))
    assert gt.keys() == lq.keys() == ['a', 'b.v2', 'sub/c']
    for key in gt.keys():
        np.testing.assert_array_equal(gt.get(key)[::4, ::4], lq.get(key))
        np.testing.assert_array_equal(lq.get(key),
                                      imread(osp.join(lq_dir, key + 'x4.png')))
    report = inspect_lmdb(tmp_path / 'gt.lmdb', tmp_path / 'lq.lmdb')
    assert report.ok and report.scale == 4, report.summary()
    assert inspect_lmdb(tmp_path / 'gt.lmdb', tmp_path / 'lq.lmdb',
                        scale=2).scale_mismatches


def test_paired_lmdb_missing_partner_names_the_key(tmp_path):
    gt_dir, lq_dir = _pair_folders(tmp_path)
    os.remove(lq_dir / 'sub' / 'cx4.png')
    with pytest.raises(ValueError, match=r"'sub/c'.*sub/c\.png"):
        create_paired_lmdb(gt_dir, lq_dir, tmp_path / 'gt.lmdb',
                           tmp_path / 'lq.lmdb', 4, lq_suffix='x4',
                           workers=0, progress=False)
    assert sorted(os.listdir(tmp_path)) == ['gt', 'lq']  # nothing written


def test_paired_lmdb_wrong_scale_names_the_files(tmp_path):
    gt_dir, lq_dir = _pair_folders(tmp_path)
    imwrite(_photo(1, (48, 32)), osp.join(lq_dir, 'b.v2x4.png'))  # x2
    with pytest.raises(ValueError, match=r'(?s)1 pair.*not x4.*b\.v2\.png.*'
                                         r'b\.v2x4\.png.*must be 24x16'):
        create_paired_lmdb(gt_dir, lq_dir, tmp_path / 'gt.lmdb',
                           tmp_path / 'lq.lmdb', 4, lq_suffix='x4',
                           workers=0, progress=False)
    assert sorted(os.listdir(tmp_path)) == ['gt', 'lq']


def test_existing_lmdb_needs_overwrite(tmp_path):
    src = tmp_path / 'src'
    _folder(src, ['a.png'])
    out = tmp_path / 'out.lmdb'
    create_lmdb(src, out, workers=0, progress=False)
    _folder(src, ['b.png'])
    with pytest.raises(FileExistsError, match=str(out)):
        create_lmdb(src, out, workers=0, progress=False)
    assert LmdbStore(str(out)).keys() == ['a']
    create_lmdb(src, out, workers=0, overwrite=True, progress=False)
    assert LmdbStore(str(out)).keys() == ['a', 'b']
    assert sorted(os.listdir(tmp_path)) == ['out.lmdb', 'src']


def test_basicsr_layout_reads_as_rgb(tmp_path):
    """An LMDB written as BasicSR's make_lmdb_from_imgs writes one."""
    import lmdb
    colour = _photo(0, (40, 56))
    gray = cv2.cvtColor(_photo(1, (32, 24)), cv2.COLOR_RGB2GRAY)
    path = tmp_path / 'basicsr.lmdb'
    env = lmdb.open(str(path), map_size=64 << 20)
    meta = []
    with env.begin(write=True) as txn:
        for key, img in (('0001_s001', colour[:, :, ::-1]),  # BGR
                         ('gray.v2', gray)):
            ok, buf = cv2.imencode('.png', img,
                                   [cv2.IMWRITE_PNG_COMPRESSION, 1])
            assert ok
            txn.put(key.encode('ascii'), buf.tobytes())
            c = 1 if img.ndim == 2 else img.shape[2]
            meta.append(f'{key}.png ({img.shape[0]},{img.shape[1]},{c}) 1\n')
    env.close()
    (path / 'meta_info.txt').write_text(''.join(meta))
    store = build_image_store(str(path), dict(backend='lmdb'))
    assert store.keys() == ['0001_s001', 'gray.v2']
    np.testing.assert_array_equal(store.get('0001_s001'), colour)
    np.testing.assert_array_equal(store.get('gray.v2'),
                                  np.repeat(gray[:, :, None], 3, axis=2))
    assert store.shapes()['gray.v2'] == (32, 24, 1)
    report = inspect_lmdb(path)
    # BasicSR keeps grayscale 1-channel in meta_info; we decode to 3
    assert report.shape_mismatches == [('gray.v2', (32, 24, 1), (32, 24, 3))]
    assert not report.corrupt


def test_corrupt_entry_is_named_and_listed(tmp_path, capsys):
    src = tmp_path / 'src'
    _folder(src, ['a.png', 'b.png', 'c.png'])
    out = tmp_path / 'out.lmdb'
    create_lmdb(src, out, workers=0, progress=False)
    _lmdb_put(out, 'b', b'\x89PNG garbage, not an image')
    store = build_image_store(str(out), dict(backend='lmdb'))
    store.get('a')
    with pytest.raises(CorruptEntryError, match=r'out\.lmdb\[b\]'):
        store.get('b')
    report = inspect_lmdb(out)
    assert not report.ok and report.corrupt_keys == ['b']
    assert report.checked == 3 and report.num_entries == 3
    assert _tool('inspect_lmdb').main([str(out)]) == 1
    assert '1 corrupt' in capsys.readouterr().out
    sampled = inspect_lmdb(out, sample=2, seed=1)
    assert sampled.checked == 2 and sampled.num_entries == 3


def test_not_an_lmdb_gives_clear_errors(tmp_path):
    src = tmp_path / 'src'
    _folder(src, ['a.png'])
    out = tmp_path / 'out.lmdb'
    create_lmdb(src, out, workers=0, progress=False)
    with pytest.raises(NotADirectoryError, match='is a file'):
        build_image_store(str(out / 'data.mdb'), dict(backend='lmdb'))
    with pytest.raises(NotADirectoryError, match='is a file'):
        inspect_lmdb(out / 'data.mdb')
    os.remove(out / 'meta_info.txt')
    with pytest.raises(FileNotFoundError, match='missing meta_info.txt'):
        build_image_store(str(out), dict(backend='lmdb'))
    report = inspect_lmdb(out)  # still inspectable: keys from the database
    assert not report.ok and 'meta_info.txt' in report.problems[0]
    assert report.checked == 1 and not report.corrupt


class _LmdbDataset:
    """A tiny torch-style dataset reading an LmdbStore."""

    def __init__(self, root):
        self.store = build_image_store(root, dict(backend='lmdb'))
        self.keys = self.store.keys()

    def __len__(self):
        return len(self.keys)

    def __getitem__(self, index):
        import torch
        img = self.store.get(self.keys[index])
        return index, torch.from_numpy(img.astype(np.int64).sum(axis=(0, 1)))


def test_dataloader_workers_read_lmdb(tmp_path):
    torch = pytest.importorskip('torch')
    src = tmp_path / 'src'
    images = _folder(src, [f'{i:02d}.png' for i in range(8)], size=(40, 48))
    out = tmp_path / 'out.lmdb'
    create_lmdb(src, out, workers=0, progress=False)
    dataset = _LmdbDataset(str(out))
    dataset[0]  # the parent opens the environment before forking
    loader = torch.utils.data.DataLoader(dataset, batch_size=None,
                                         num_workers=2,
                                         persistent_workers=True)
    expected = {i: images[f'{i:02d}.png'].astype(np.int64).sum(axis=(0, 1))
                for i in range(8)}
    for _ in range(2):  # two epochs on the same persistent workers
        seen = {}
        for index, sums in loader:
            seen[int(index)] = sums.numpy()
        assert sorted(seen) == list(range(8))
        for i in range(8):
            np.testing.assert_array_equal(seen[i], expected[i])


def test_map_size_grows(tmp_path):
    src = tmp_path / 'src'
    src.mkdir()
    for path in _real_images()[:3]:
        shutil.copy(path, src)
    out = tmp_path / 'out.lmdb'
    result = create_lmdb(src, out, workers=0, map_size=64 * 1024,
                         progress=False)
    assert result.num_images == 3
    assert os.path.getsize(out / 'data.mdb') > 64 * 1024
    assert inspect_lmdb(out).ok


def test_unreadable_source_stops_or_is_skipped(tmp_path):
    src = tmp_path / 'src'
    _folder(src, ['a.png', 'c.png'])
    (src / 'b.png').write_bytes(b'not a png at all')
    out = tmp_path / 'out.lmdb'
    with pytest.raises(ImageReadError, match=r'b\.png'):
        create_lmdb(src, out, workers=2, progress=False)
    assert sorted(os.listdir(tmp_path)) == ['src']  # nothing left behind
    result = create_lmdb(src, out, workers=2, on_error='skip',
                         progress=False)
    assert result.num_images == 2
    assert [osp.basename(p) for p, _ in result.skipped] == ['b.png']
    assert LmdbStore(str(out)).keys() == ['a', 'c']


def test_interrupted_build_resumes(tmp_path, monkeypatch):
    src = tmp_path / 'src'
    images = _folder(src, [f'{i}.png' for i in range(5)], size=(32, 32))
    out = tmp_path / 'out.lmdb'
    real_encode = lmdb_create._encode_one

    def dies_on_third(path, value_format):
        if path.endswith('2.png'):
            raise KeyboardInterrupt
        return real_encode(path, value_format)

    monkeypatch.setattr(lmdb_writer, '_COMMIT_EVERY', 1)
    monkeypatch.setattr(lmdb_create, '_encode_one', dies_on_third)
    with pytest.raises(KeyboardInterrupt):
        create_lmdb(src, out, workers=0, progress=False)
    tmp = str(out) + TMP_SUFFIX
    assert not out.exists() and osp.isdir(tmp)
    with pytest.raises(FileNotFoundError):  # never taken for an LMDB
        build_image_store(str(out), dict(backend='lmdb'))
    monkeypatch.setattr(lmdb_create, '_encode_one', real_encode)
    result = create_lmdb(src, out, workers=0, progress=False)
    assert result.resumed == 2 and result.num_images == 5
    assert not osp.exists(tmp)
    store = LmdbStore(str(out))
    assert sorted(os.listdir(out)) == ['data.mdb', 'lock.mdb',
                                       'meta_info.txt']
    for i in range(5):
        np.testing.assert_array_equal(store.get(str(i)), images[f'{i}.png'])
    # a leftover of another build (other settings) is cleared, not resumed
    monkeypatch.setattr(lmdb_create, '_encode_one', dies_on_third)
    with pytest.raises(KeyboardInterrupt):
        create_lmdb(src, tmp_path / 'o2.lmdb', workers=0, progress=False)
    monkeypatch.setattr(lmdb_create, '_encode_one', real_encode)
    result = create_lmdb(src, tmp_path / 'o2.lmdb', workers=0,
                         compress_level=6, progress=False)
    assert result.resumed == 0 and result.num_images == 5


def test_crop_positions_follow_basicsr():
    assert crop_positions(148, 64, 32) == [0, 32, 64, 84]
    assert crop_positions(148, 64, 32, thresh_size=20) == [0, 32, 64]
    assert crop_positions(128, 64, 32) == [0, 32, 64]
    assert crop_positions(50, 64, 32) == []


def test_extract_subimages_gt_and_aligned_lq(tmp_path):
    gt_dir, lq_dir = tmp_path / 'gt', tmp_path / 'lq'
    gt = _photo(0, (148, 200))
    imwrite(gt, osp.join(gt_dir, 'sub', 'img.v2.png'))
    imwrite(gt[::4, ::4], osp.join(lq_dir, 'sub', 'img.v2x4.png'))
    imwrite(_photo(1, (40, 40)), osp.join(gt_dir, 'tiny.png'))
    result = extract_subimages(gt_dir, tmp_path / 'gt_sub', crop_size=64,
                               step=32, workers=2, progress=False)
    # 4 rows (0, 32, 64, 84) x 6 columns (0, 32, ..., 128, 136)
    assert result.num_crops == 24 and result.num_images == 2
    assert [osp.basename(p) for p in result.too_small] == ['tiny.png']
    names = sorted(os.listdir(tmp_path / 'gt_sub' / 'sub'))
    assert names[0] == 'img.v2_s001.png' and names[-1] == 'img.v2_s024.png'
    np.testing.assert_array_equal(
        imread(tmp_path / 'gt_sub' / 'sub' / 'img.v2_s007.png'),
        gt[32:96, 0:64])  # second row, first column
    lq_result = extract_subimages(lq_dir, tmp_path / 'lq_sub', crop_size=64,
                                  step=32, scale=4, lq_suffix='x4',
                                  workers=0, progress=False)
    assert lq_result.num_crops == 24
    assert sorted(os.listdir(tmp_path / 'lq_sub' / 'sub')) == names
    for name in names:
        gt_crop = imread(tmp_path / 'gt_sub' / 'sub' / name)
        lq_crop = imread(tmp_path / 'lq_sub' / 'sub' / name)
        assert lq_crop.shape == (16, 16, 3)
        np.testing.assert_array_equal(gt_crop[::4, ::4], lq_crop)
    with pytest.raises(FileExistsError, match='overwrite'):
        extract_subimages(gt_dir, tmp_path / 'gt_sub', crop_size=64,
                          step=32, workers=0, progress=False)
    with pytest.raises(ValueError, match='multiples of the scale'):
        extract_subimages(lq_dir, tmp_path / 'x', crop_size=66, step=32,
                          scale=4, progress=False)


def test_create_lmdb_cli_pair_with_verify(tmp_path, capsys):
    gt_dir, lq_dir = _pair_folders(tmp_path, names=('a', 'b'), scale=2)
    argv = ['--input', str(gt_dir), '--output', str(tmp_path / 'gt.lmdb'),
            '--lq', str(lq_dir), '--lq-output', str(tmp_path / 'lq.lmdb'),
            '--scale', '2', '--lq-suffix', 'x2', '--workers', '1',
            '--verify', '--no-progress']
    tool = _tool('create_lmdb')
    assert tool.main(argv) == 0
    out = capsys.readouterr().out
    assert 'wrote 2 entries' in out and out.rstrip().endswith('OK')
    assert tool.main(argv) == 1
    assert 'already exists' in capsys.readouterr().err
