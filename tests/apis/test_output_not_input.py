"""#22.2: an output path that resolves to an input file is refused whatever
the flags (``--overwrite`` too), through symlinks and ``..`` as well; the
photographs are left as they were. Real files, tools/infer.py."""
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest
import torch

from srtoolbox.apis.inference import SRInferencer
from srtoolbox.models.generators import SRVGGNetCompact

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SET5 = osp.join(REPO, 'data', 'demo', 'Set5')


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / 'photos'
    folder.mkdir()
    for name in ('bird.png', 'butterfly.png'):
        shutil.copy(osp.join(SET5, name), folder / name)
    return folder


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def weights(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / 'compact_x2.pth'
    torch.save({'params': SRVGGNetCompact(num_feat=8, num_conv=2,
                                          upscale=2).state_dict()}, path)
    return path


def test_infer_into_its_input_folder_with_overwrite_is_refused(
        photos, weights):
    before = _snapshot(photos)
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'infer.py'), '--checkpoint',
         str(weights), '--input', str(photos), '--output', str(photos),
         '--overwrite'], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert 'is the input file' in proc.stderr and '--overwrite' in \
        proc.stderr
    assert _snapshot(photos) == before  # before the fix: all upscaled


@pytest.mark.parametrize('route', ['symlinked folder', 'dot-dot',
                                   'symlinked file', 'hard link'])
def test_output_resolving_to_an_input_is_refused(photos, weights, tmp_path,
                                                 route):
    before = _snapshot(photos)
    first = sorted(before)[0]
    suffix = ''
    if route == 'symlinked folder':
        out = tmp_path / 'results'
        out.symlink_to(photos, target_is_directory=True)
    elif route == 'dot-dot':
        out = photos / '..' / 'photos'
    else:  # an output file that is an input under another name
        out = tmp_path / 'results'
        out.mkdir()
        suffix = '_x2'
        link = out / (osp.splitext(first)[0] + '_x2.png')
        if route == 'symlinked file':
            link.symlink_to(photos / first)
        else:
            os.link(photos / first, link)
    sr = SRInferencer(checkpoint=str(weights), progress=False)
    with pytest.raises(ValueError, match=r'is the input file .*' +
                       first.replace('.', r'\.')):
        sr.run(str(photos), str(out), overwrite=True, suffix=suffix)
    assert _snapshot(photos) == before


def test_a_separate_output_folder_still_works(photos, weights, tmp_path):
    sr = SRInferencer(checkpoint=str(weights), progress=False)
    summary = sr.run(str(photos), str(tmp_path / 'out'), overwrite=True)
    assert len(summary.processed) == 2
