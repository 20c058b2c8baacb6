"""Provenance records: commit, hashes, repository-relative paths, machine."""
import hashlib
import os.path as osp
import subprocess

from srtoolbox.utils import provenance as prov

REPO = prov.REPO_ROOT


def test_git_state_matches_git(tmp_path):
    state = prov.git_state()
    head = subprocess.run(['git', '-C', REPO, 'rev-parse', 'HEAD'],
                          capture_output=True, text=True)
    if head.returncode:  # an exported tree: nothing to record
        assert state is None
        return
    assert state['commit'] == head.stdout.strip()
    assert prov.git_state(str(tmp_path)) is None  # not a checkout


def test_dirty_flag_follows_the_tree(tmp_path):
    run = dict(cwd=tmp_path, check=True, capture_output=True)
    subprocess.run(['git', 'init', '-q'], **run)
    (tmp_path / 'a.txt').write_text('1')
    subprocess.run(['git', 'add', 'a.txt'], **run)
    subprocess.run(['git', '-c', 'user.name=t', '-c', 'user.email=t@t',
                    'commit', '-qm', 'a'], **run)
    assert prov.git_state(str(tmp_path))['dirty'] is False
    (tmp_path / 'a.txt').write_text('2')
    assert prov.git_state(str(tmp_path))['dirty'] is True


def test_paths_are_repository_relative_and_files_hashed(tmp_path):
    inside = osp.join(REPO, 'configs', 'srresnet', 'msrresnet_x4_demo.py')
    assert prov.repo_relative(inside) == osp.join(
        'configs', 'srresnet', 'msrresnet_x4_demo.py')
    outside = tmp_path / 'w.pth'
    outside.write_bytes(b'weights')
    assert prov.repo_relative(str(outside)) == str(outside)
    record = prov.provenance(checkpoint=str(outside), precision='bf16')
    assert record['checkpoint']['sha256'] == hashlib.sha256(
        b'weights').hexdigest()
    assert record['precision'] == 'bf16'


def test_config_hash_follows_content_not_spelling():
    from mmengine.config import Config
    path = osp.join(REPO, 'configs', 'srresnet', 'msrresnet_x4_demo.py')
    cfg = Config.fromfile(path)
    assert prov.config_sha256(path) == prov.config_sha256(cfg)
    cfg.merge_from_dict({'train_cfg.max_iters': 7})
    assert prov.config_sha256(path) != prov.config_sha256(cfg)


def test_machine_line_comes_from_the_record():
    cpu = {'cpu': 'X', 'threads': 2, 'cpu_flags': ['avx2'],
           'native_bf16_cpu': False, 'gpu': None}
    assert prov.describe_machine(cpu) == 'X, 2 threads (avx2; no native bf16)'
    amx = dict(cpu, cpu_flags=['avx2', 'amx_bf16'], native_bf16_cpu=True)
    assert 'native bf16' in prov.describe_machine(amx)
    assert 'no native' not in prov.describe_machine(amx)
    gpu = dict(cpu, gpu='NVIDIA H200', gpu_capability='9.0')
    assert prov.describe_machine(gpu) == 'NVIDIA H200 (CUDA 9.0)'


def test_versions_are_read_without_importing_the_packages():
    """spandrel's version comes from its metadata (importing it took ~1.3 s
    of every run's summary); mmcv-lite counts as mmcv."""
    import sys
    code = ('import sys; from srtoolbox.utils.provenance import _versions; '
            'v = _versions(); import json; '
            "print(json.dumps([v, 'spandrel' in sys.modules]))")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True, cwd=REPO).stdout
    import json
    versions, imported = json.loads(out.strip().splitlines()[-1])
    assert imported is False
    import mmcv
    import mmengine
    import spandrel
    assert versions['spandrel'] == spandrel.__version__
    assert versions['mmcv'] == mmcv.__version__
    assert versions['mmengine'] == mmengine.__version__
