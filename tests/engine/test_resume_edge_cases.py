"""#22 resume edge cases, with tools/train.py in real processes: --resume
in a work dir with no checkpoint says so; after an architecture change it
is refused naming the keys, before the optimizer is touched; a copied or
moved work dir resumes from its own files."""
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest

from srtoolbox.engine.work_dir import latest_checkpoint

from .tiny_run import TRAIN, load_weights, tiny_config, train_env

FOUR = {'train_cfg': 'dict(max_iters=4, val_interval=100)',
        'param_scheduler': '[]'}


def _train(data, config, work, *args):
    return subprocess.run(
        [sys.executable, TRAIN, str(config), '--work-dir', str(work), *args],
        env=train_env(data), capture_output=True, text=True, timeout=240,
        cwd=str(work.parent))


@pytest.fixture(scope='module')
def trained(tiny_data, tmp_path_factory):
    """A work dir after 4 iterations: iter_4.pth and last_checkpoint."""
    root = tmp_path_factory.mktemp('trained')
    config = tiny_config(tiny_data, root / 'cfg.py', **FOUR)
    work = root / 'work'
    proc = _train(tiny_data, config, work)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return config, work


def test_resume_without_a_checkpoint_starts_afresh_and_says_so(
        tiny_data, tmp_path):
    config = tiny_config(tiny_data, tmp_path / 'cfg.py',
                         train_cfg='dict(max_iters=1, val_interval=100)',
                         param_scheduler='[]')
    work = tmp_path / 'work'
    proc = _train(tiny_data, config, work, '--resume')
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert 'holds no checkpoint yet' in out and 'iteration 0' in out
    assert 'None' not in out  # mmengine: "Auto resumed from ... None."
    assert load_weights(work / 'iter_1.pth')


def test_resume_after_an_architecture_change_names_the_keys(
        tiny_data, trained, tmp_path):
    config, trained_work = trained
    work = tmp_path / 'work'
    shutil.copytree(trained_work, work)
    proc = _train(tiny_data, config, work, '--resume', '--cfg-options',
                  'model.generator.num_feat=16')
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert 'does not fit the model' in last
    assert 'conv_first.weight (8, 3, 3, 3) in the checkpoint vs ' \
        '(16, 3, 3, 3)' in last
    assert str(work / 'iter_4.pth') in last


def test_a_copied_work_dir_resumes_from_its_own_files(tiny_data, trained,
                                                      tmp_path):
    config, trained_work = trained
    assert (trained_work / 'last_checkpoint').read_text() == 'iter_4.pth'
    original = tmp_path / 'original'
    shutil.copytree(trained_work, original)
    copy = tmp_path / 'copy'
    shutil.copytree(original, copy)
    # the original moves on (or away): its iter_4.pth is no longer it
    (original / 'iter_4.pth').write_bytes(b'not a checkpoint any more')
    config6 = tiny_config(tiny_data, tmp_path / 'cfg6.py',
                          train_cfg='dict(max_iters=6, val_interval=100)',
                          param_scheduler='[]')
    proc = _train(tiny_data, config6, copy, '--resume')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert load_weights(copy / 'iter_6.pth')
    assert not (original / 'iter_6.pth').exists()


def test_an_absolute_marker_of_a_moved_work_dir_finds_the_own_file(
        tmp_path):
    # last_checkpoint as mmengine and older srtoolbox wrote it
    old, new = tmp_path / 'old' / 'work', tmp_path / 'new'
    (new / 'ckpts').mkdir(parents=True)
    (new / 'ckpts' / 'iter_8.pth').write_bytes(b'x')
    (new / 'last_checkpoint').write_text(str(old / 'ckpts' / 'iter_8.pth'))
    assert latest_checkpoint(str(new)) == str(new / 'ckpts' / 'iter_8.pth')
    (new / 'ckpts' / 'iter_8.pth').unlink()
    with pytest.raises(FileNotFoundError, match='--resume CKPT'):
        latest_checkpoint(str(new))
    os.remove(new / 'last_checkpoint')
    assert latest_checkpoint(str(new)) is None


def test_loading_from_a_work_dir_takes_its_own_file(tmp_path, monkeypatch):
    # a relative last_checkpoint never means a file of the cwd
    from srtoolbox.models.weights import resolve_checkpoint
    work, elsewhere = tmp_path / 'work', tmp_path / 'elsewhere'
    for folder in (work, elsewhere):
        folder.mkdir()
        (folder / 'iter_4.pth').write_bytes(b'x')
    (work / 'last_checkpoint').write_text('iter_4.pth')
    monkeypatch.chdir(elsewhere)
    assert resolve_checkpoint(str(work)) == str(work / 'iter_4.pth')
