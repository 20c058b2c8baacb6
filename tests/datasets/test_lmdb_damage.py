"""A damaged (truncated) LMDB is named with its fix, never a bus error.

Reading a page past the end of a truncated ``data.mdb`` kills the process
with SIGBUS, so every check runs in a subprocess: a regression fails the
test with the signal instead of killing pytest.
"""
import glob
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import textwrap

from srtoolbox.datasets import create_lmdb

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _raw_lmdb(tmp_path, name):
    """A real LMDB of the Set5 photographs (raw values: a few MB)."""
    src = tmp_path / 'src'
    if not src.exists():
        src.mkdir()
        for path in sorted(glob.glob(osp.join(REPO, 'data', 'demo', 'Set5',
                                              '*.png'))):
            shutil.copy(path, src)
    out = tmp_path / name
    create_lmdb(src, out, workers=0, codec='raw', progress=False)
    return out


def _truncate(lmdb_dir, fraction=0.46):
    """Cut data.mdb as an interrupted copy would (40 MB of 87 MB)."""
    data = lmdb_dir / 'data.mdb'
    size = osp.getsize(data)
    os.truncate(data, int(size * fraction))
    return size


def _run(args, cwd):
    env = dict(os.environ, OMP_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join(
                   [REPO] + ([os.environ['PYTHONPATH']]
                             if os.environ.get('PYTHONPATH') else [])))
    proc = subprocess.run([sys.executable, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode >= 0, (
        f'killed by {signal.Signals(-proc.returncode).name}:\n'
        f'{proc.stdout}\n{proc.stderr}')
    return proc


def test_inspect_lmdb_reports_a_truncated_file(tmp_path):
    out = _raw_lmdb(tmp_path, 'set5.lmdb')
    full = _truncate(out)
    proc = _run([osp.join(REPO, 'tools', 'inspect_lmdb.py'), str(out)],
                tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    text = proc.stdout
    assert f'{out / "data.mdb"} is damaged' in text
    assert f'reach {full:,} bytes' in text  # the size it should have
    assert 'tools/create_lmdb.py' in text and 'PROBLEMS FOUND' in text


def test_datasets_workers_and_resumed_builds_name_a_truncated_file(
        tmp_path):
    """One subprocess (imports cost seconds here) for three readers: a
    dataset built on a damaged LMDB, DataLoader workers opening one damaged
    after the dataset was built, and create_lmdb resuming from a damaged
    leftover (started afresh)."""
    cut = _raw_lmdb(tmp_path, 'cut.lmdb')
    _truncate(cut)
    later = _raw_lmdb(tmp_path, 'later.lmdb')
    src, out = tmp_path / 'src', tmp_path / 'out.lmdb'
    script = textwrap.dedent(f'''
        import os
        import torch
        from srtoolbox.datasets import (HRImageDataset, create_lmdb,
                                        inspect_lmdb)
        from srtoolbox.datasets.image_store import DamagedLmdbError
        from srtoolbox.datasets.lmdb import create, writer

        # a build interrupted, its temporary data.mdb then cut short
        writer._COMMIT_EVERY = 1
        real_encode = create._encode_one

        def dies_on_head(path, value_format):
            if path.endswith('head.png'):
                raise KeyboardInterrupt
            return real_encode(path, value_format)

        create._encode_one = dies_on_head
        try:
            create_lmdb({str(src)!r}, {str(out)!r}, workers=0, codec='raw',
                        progress=False)
        except KeyboardInterrupt:
            pass
        data = {str(out) + '.tmp-build/data.mdb'!r}
        os.truncate(data, os.path.getsize(data) // 2)
        create._encode_one = real_encode
        result = create_lmdb({str(src)!r}, {str(out)!r}, workers=0,
                             codec='raw', progress=False)
        print('REBUILT: resumed', result.resumed, 'written',
              result.num_images, 'ok', inspect_lmdb({str(out)!r}).ok,
              flush=True)

        try:  # damaged before training: the dataset is not even built
            HRImageDataset(gt_folder={str(cut)!r}, scale=4)
        except DamagedLmdbError as err:
            print('BUILD:', err, flush=True)

        # damaged after the dataset was built: the workers open it anew
        ds = HRImageDataset(gt_folder={str(later)!r}, scale=4)
        data = os.path.join({str(later)!r}, 'data.mdb')
        os.truncate(data, os.path.getsize(data) * 46 // 100)
        loader = torch.utils.data.DataLoader(ds, batch_size=None,
                                             num_workers=2)
        for _ in loader:
            pass
    ''')
    proc = _run(['-c', script], tmp_path)
    assert 'REBUILT: resumed 0 written 5 ok True' in proc.stdout, \
        proc.stdout + proc.stderr
    assert f'BUILD: {cut / "data.mdb"} is damaged' in proc.stdout, \
        proc.stdout + proc.stderr
    assert proc.returncode == 1, proc.stdout + proc.stderr
    # the worker's own exception, not "out of shared memory"
    assert 'DamagedLmdbError' in proc.stderr
    assert f'{later / "data.mdb"} is damaged' in proc.stderr
    assert 'tools/create_lmdb.py' in proc.stderr
    assert 'shared memory' not in proc.stderr
