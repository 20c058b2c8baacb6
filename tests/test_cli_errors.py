"""Every expected error of every tool is one line naming the file and the
key or option, exit status 1, no traceback (#22, "One line, not a
traceback"); ``--debug`` / ``SRTOOLBOX_DEBUG=1`` show the traceback.

Each case runs the real tool in a subprocess on real files.
"""
import glob
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch

from srtoolbox.cli_errors import one_line
from srtoolbox.models.builder import build_generator
from srtoolbox.models.weights import write_safetensors

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SET5 = osp.join(REPO, 'data', 'demo', 'Set5')
DEMO_CONFIG = osp.join(REPO, 'configs', 'srresnet', 'msrresnet_x4_demo.py')
COMPACT = dict(type='Compact', upscale=4, num_feat=8, num_conv=2)


def _env(**extra):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = os.pathsep.join(
        [REPO] + ([env['PYTHONPATH']] if env.get('PYTHONPATH') else []))
    env.pop('SRTOOLBOX_DEBUG', None)
    env.update(extra)
    return env


def run(tool, *args, env=None, cwd=REPO, prefix=(), preexec_fn=None):
    """``python tools/<tool>.py ARGS`` (or ``srt`` with tool='srt')."""
    cmd = [sys.executable, '-m', 'srtoolbox.cli'] if tool == 'srt' else \
        [sys.executable, osp.join(REPO, 'tools', f'{tool}.py')]
    return subprocess.run([*prefix, *cmd, *map(str, args)], cwd=cwd,
                          env=env or _env(), capture_output=True, text=True,
                          timeout=300, preexec_fn=preexec_fn)


def one_error_line(proc, *names):
    """The single ``error:`` line of a failed run, naming ``names``."""
    said = proc.stdout + proc.stderr
    assert proc.returncode == 1, said
    assert 'Traceback' not in said, said
    lines = [line for line in proc.stderr.splitlines()
             if line.startswith('error:')]
    assert len(lines) == 1, said
    for name in names:
        assert str(name) in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope='module')
def compact(tmp_path_factory):
    """A real Compact network's weights: ``(state dict, .pth path)``."""
    torch.manual_seed(0)
    sd = build_generator(COMPACT).state_dict()
    path = tmp_path_factory.mktemp('compact') / 'compact.pth'
    torch.save({'params_ema': sd}, path)
    return sd, path


# --------------------------------------------------------------- the helper
def test_one_line_joins_lines_and_unwraps_worker_errors():
    assert one_line(KeyError('no key x')) == 'no key x'
    assert one_line(ValueError('data not found:\n  a: x\n  b: y\nFix.')) \
        == 'data not found: a: x; b: y; Fix.'
    # what torch's DataLoader re-raises in the main process
    worker = ValueError(
        'Caught ValueError in DataLoader worker process 0.\nOriginal '
        'Traceback (most recent call last):\n  File "x.py", line 1, in f\n'
        '    raise ValueError(...)\nsrtoolbox.utils.image_io.ImageReadError'
        ': a/bad.png: could not be decoded\n')
    assert one_line(worker) == 'a/bad.png: could not be decoded'


def test_flops_shape_zero():
    line = one_error_line(
        run('srt', 'flops', DEMO_CONFIG, '--shape', '0', '10'),
        '--shape 0 10', 'at least 1')
    assert 'MACs' not in line  # refused before anything is counted


def test_debug_flag_and_variable_show_the_traceback():
    args = ('flops', DEMO_CONFIG, '--shape', '0', '10')
    for proc in (run('srt', *args, '--debug'),
                 run('srt', *args, env=_env(SRTOOLBOX_DEBUG='1'))):
        assert proc.returncode == 1 and 'Traceback' in proc.stderr
        assert 'ToolError: --shape 0 10' in proc.stderr


# -------------------------------------------------------- weights and files
def test_nonfinite_weights(tmp_path, compact):
    sd = {k: v.clone() for k, v in compact[0].items()}
    sd['body.2.weight'][0, 0, 0, 0] = float('nan')
    torch.save({'params': sd}, tmp_path / 'nan.pth')
    proc = run('convert_checkpoint', '--from', 'basicsr', tmp_path / 'nan.pth',
               tmp_path / 'out.pth')
    one_error_line(proc, tmp_path / 'nan.pth', 'body.2.weight', 'NaN')
    assert not (tmp_path / 'out.pth').exists()


def test_unsafe_checkpoint_in_test_tool(tmp_path):
    path = tmp_path / 'evil.pth'
    marker = tmp_path / 'pwned'
    path.write_bytes(_evil_pickle(marker))
    proc = run('test', DEMO_CONFIG, path, '--data-root', 'data/demo',
               '--test-sets', 'Set5', '--work-dir', tmp_path / 'work')
    one_error_line(proc, path, 'refused', 'posix.system')
    assert not marker.exists()


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


def _evil_pickle(marker):
    import io
    buf = io.BytesIO()
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'x': _Evil(marker)},
               buf)
    return buf.getvalue()


@pytest.mark.parametrize('key,value,says', [
    ('generator_cfg', '{type: Compact', 'not valid JSON'),
    ('generator_cfg', '["Compact", 4]', 'must be a JSON object'),
    ('value_range', '[1.0]', 'value_range must be [low, high]'),
])
def test_malformed_safetensors_metadata(tmp_path, compact, key, value, says):
    from safetensors.torch import load_file, save_file
    good = tmp_path / 'good.safetensors'
    write_safetensors(compact[0], good, generator_cfg=COMPACT, scale=4)
    from safetensors import safe_open
    with safe_open(str(good), framework='pt') as f:
        meta = dict(f.metadata())
    meta[key] = value
    bad = tmp_path / 'bad.safetensors'
    save_file(load_file(str(good)), str(bad), metadata=meta)
    proc = run('infer', '--checkpoint', bad, '--input',
               osp.join(SET5, 'baby.png'), '--output', tmp_path / 'out')
    one_error_line(proc, bad, f'metadata {key}', says)
    assert not (tmp_path / 'out' / 'baby.png').exists()  # nothing upscaled


def test_wrong_shape_tensor_on_the_spandrel_path(tmp_path, compact):
    sd = dict(compact[0])
    sd['body.2.weight'] = torch.zeros(8, 8, 5, 5)  # the others say 3x3
    torch.save(sd, tmp_path / 'odd.pth')
    proc = run('infer', '--checkpoint', tmp_path / 'odd.pth', '--input',
               osp.join(SET5, 'baby.png'), '--output', tmp_path / 'out')
    line = one_error_line(proc, tmp_path / 'odd.pth', 'body.2.weight',
                          'Compact')
    assert line.count('body.2.weight') == 1


# ------------------------------------------------------------------ outputs
def test_output_under_a_file_or_in_an_unwritable_place(tmp_path, compact):
    blocker = tmp_path / 'photo.png'
    shutil.copy(osp.join(SET5, 'bird.png'), blocker)
    under = blocker / 'sub' / 'out.pth'
    proc = run('convert_checkpoint', '--from', 'basicsr', compact[1], under)
    one_error_line(proc, f'cannot write {under}',
                   f'{blocker} is a file, not a folder')
    # /proc takes no new files, even for root
    proc = run('export_weights', compact[1], '/proc/out.safetensors')
    line = one_error_line(proc, 'cannot write /proc/out.safetensors')
    assert '.tmp' not in line


def _tmpfs_prefix(tmp_path, size='160k'):
    """``unshare`` mounting a small tmpfs at tmp_path/full (a real full
    disk), or None where user namespaces are not allowed."""
    mount = tmp_path / 'full'
    mount.mkdir()
    probe = subprocess.run(
        ['unshare', '-rm', 'sh', '-c',
         f'mount -t tmpfs -o size={size} tmpfs {mount}'],
        capture_output=True)
    if probe.returncode:
        return None, mount
    script = (f'mount -t tmpfs -o size={size} tmpfs {mount} && '
              f'echo old > {mount}/out.pth && "$@"; code=$?; '
              f'cat {mount}/out.pth; ls -a {mount}; exit $code')
    return ['unshare', '-rm', 'sh', '-c', script, 'sh'], mount


def _limit_file_size():
    import resource
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG, not a kill
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))


@pytest.mark.parametrize('how', ['full_tmpfs', 'file_size_limit'])
def test_disk_full_during_conversion_keeps_the_old_file(tmp_path, how):
    from srtoolbox.models.generators import MSRResNet
    torch.manual_seed(0)  # ~640 kB of weights
    torch.save({'params': MSRResNet(num_feat=32, num_blocks=4).state_dict()},
               tmp_path / 'in.pth')
    if how == 'full_tmpfs':
        prefix, mount = _tmpfs_prefix(tmp_path)
        if prefix is None:
            pytest.skip('unshare -rm (user namespaces) is not allowed here')
        out = mount / 'out.pth'
        proc = run('convert_checkpoint', '--from', 'basicsr',
                   tmp_path / 'in.pth', out, '--overwrite', prefix=prefix)
        one_error_line(proc, f'cannot write {out}', 'No space left',
                       'unchanged')
        listing = proc.stdout.split()
        assert listing[-4:] == ['old', '.', '..', 'out.pth'], proc.stdout
    else:
        out = tmp_path / 'out.pth'
        out.write_text('old\n')
        proc = run('convert_checkpoint', '--from', 'basicsr',
                   tmp_path / 'in.pth', out, '--overwrite',
                   preexec_fn=_limit_file_size)
        one_error_line(proc, f'cannot write {out}', 'File too large',
                       'unchanged')
        assert out.read_text() == 'old\n'
        assert sorted(os.listdir(tmp_path)) == ['in.pth', 'out.pth']


@pytest.mark.parametrize('max_memory', ['1K', '8M'])
def test_output_alone_exceeds_max_memory(tmp_path, compact, max_memory):
    """baby.png x4 is 2048x2048x3 bytes (12 MiB): no tile size helps."""
    baby = osp.join(SET5, 'baby.png')
    proc = run('infer', '--checkpoint', compact[1], '--input', baby,
               '--output', tmp_path / 'out', '--max-memory', max_memory)
    one_error_line(proc, baby, 'output alone', '2048x2048', '--max-memory')
    assert not (tmp_path / 'out' / 'baby.png').exists()


# -------------------------------------------------------------- configs
def test_missing_config_file(tmp_path):
    proc = run('srt', 'test', 'no_such_config.py', tmp_path / 'w.pth',
               cwd=tmp_path)
    one_error_line(proc, 'no_such_config.py', 'does not exist')
    assert sorted(os.listdir(tmp_path)) == []  # no work dir, no output


def test_degradation_config_error_names_key_and_file(tmp_path):
    config = osp.join(REPO, 'configs', 'realesrgan',
                      'realesr_compact_x4_demo.py')
    proc = run('train', config, '--work-dir', tmp_path / 'w',
               '--cfg-options', 'model.degradation.jpeg_range=[30,120]')
    one_error_line(proc, config, 'model.degradation.jpeg_range', '[1, 100]')
    assert not (tmp_path / 'w').exists() or not os.listdir(tmp_path / 'w')


# ------------------------------------------------------------------ data
def _train_config(tmp_path, gt_folder):
    path = tmp_path / 'tiny.py'
    path.write_text(
        f'_base_ = [{DEMO_CONFIG!r}]\n'
        'model = dict(generator=dict(num_feat=8, num_blocks=1))\n'
        'train_dataloader = dict(batch_size=2, num_workers=1, dataset=dict('
        f"data_root='', gt_folder={str(gt_folder)!r}, cache=False))\n"
        'train_cfg = dict(max_iters=2, val_interval=100)\n'
        'param_scheduler = []\ncustom_hooks = []\n'
        'val_cfg = None\nval_dataloader = None\nval_evaluator = None\n')
    return path


def test_corrupt_training_image_is_named_with_the_option(tmp_path):
    folder = tmp_path / 'hr'
    folder.mkdir()
    shutil.copy(osp.join(SET5, 'bird.png'), folder)
    (folder / 'broken.png').write_bytes(b'\x89PNG\r\n\x1a\n cut short')
    # two images, batch 2: the first batch (a DataLoader worker) reads both
    proc = run('train', _train_config(tmp_path, folder), '--work-dir',
               tmp_path / 'w')
    line = one_error_line(proc, folder / 'broken.png',
                          'train_dataloader.dataset.skip_bad=True')
    assert 'bird.png' not in line  # the bad file, not its batch-mate
    assert not glob.glob(str(tmp_path / 'w' / 'iter_*.pth'))


def _set5_lmdb(tmp_path):
    from srtoolbox.datasets import create_lmdb
    out = tmp_path / 'set5.lmdb'
    create_lmdb(SET5, out, workers=0, codec='raw', progress=False)
    return out


def _btree_pages(data_mdb, page=4096):
    """Indices of the branch and leaf pages (header: page number, then
    flags at byte 10: 1 branch, 2 leaf, 4 overflow)."""
    data = data_mdb.read_bytes()
    found = []
    for i in range(2, len(data) // page):
        head = data[i * page:i * page + 12]
        flags = int.from_bytes(head[10:12], 'little')
        if int.from_bytes(head[:8], 'little') == i and flags & 3 and \
                not flags & 4:
            found.append(i)
    return found


@pytest.mark.parametrize('damage', ['zero_bytes', 'corrupt_pages'])
def test_damaged_lmdb_is_named_with_the_rebuild_command(tmp_path, damage):
    out = _set5_lmdb(tmp_path)
    data = out / 'data.mdb'
    if damage == 'zero_bytes':
        data.write_bytes(b'')
    else:
        pages = _btree_pages(data)
        assert pages
        rng = np.random.default_rng(0)
        with open(data, 'r+b') as f:
            for i in pages:
                f.seek(i * 4096)
                f.write(rng.integers(0, 256, 4096, np.uint8).tobytes())
    fix = f'tools/create_lmdb.py (--output {out} --overwrite)'
    if damage == 'zero_bytes':  # the checking tool reports it
        proc = run('inspect_lmdb', out)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert 'Traceback' not in proc.stdout + proc.stderr
        assert f'{data} is damaged: it is empty' in proc.stdout
        assert fix in proc.stdout
    else:  # training stops where the dataset is built
        proc = run('train', _train_config(tmp_path, out), '--work-dir',
                   tmp_path / 'w')
        one_error_line(proc, f'{data} is damaged', 'pages are corrupt', fix)
