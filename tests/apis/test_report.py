"""srt report without a browser: what it reads from real (tiny) runs, the
crops it chooses, and bad input (named, the rest still built, nothing
written outside --out, an existing --out kept)."""
import html
import json
import os
import os.path as osp
import re

import numpy as np
import pytest

from report_runs import build, tiny_runs

from srtoolbox.apis.report import load_run
from srtoolbox.apis.report.images import largest_difference_crop, parse_crop
from srtoolbox.apis.report.runs import read_scalars


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    return tiny_runs(tmp_path_factory)


def _scalar_lines(work_dir):
    [start] = [d for d in os.listdir(work_dir) if re.match(r'\d{8}_', d)]
    path = osp.join(work_dir, start, 'vis_data', 'scalars.json')
    with open(path) as f:
        return path, [json.loads(line) for line in f]


def test_a_work_dir_gives_its_curves_metrics_and_provenance(runs):
    _, dirs = runs
    path, lines = _scalar_lines(dirs[0])
    run = load_run(dirs[0])
    assert run.kind == 'work_dir' and run.problems == []
    losses = [(e['iter'], e['loss']) for e in lines if 'loss' in e]
    assert run.scalars['loss'] == losses and len(losses) == 4
    # validations (after iterations 2 and 4) are placed at those iterations
    vals = [e['val/PSNR'] for e in lines if 'val/PSNR' in e]
    assert run.scalars['val/PSNR'] == [(2, vals[0]), (4, vals[1])]
    with open(osp.join(dirs[0], 'summary.json')) as f:
        summary = json.load(f)
    assert run.metrics == {'val': {'PSNR': summary['val']['model_psnr']}}
    assert run.provenance == summary['provenance']
    assert run.iterations == 4
    assert run.checkpoint.endswith('iter_4.pth') and osp.isfile(
        run.checkpoint)
    assert run.config_path and osp.isfile(run.config_path)


def test_a_resumed_run_keeps_the_later_start_from_its_first_iteration(
        tmp_path):
    for start, iters in (('20260101_000000', (1, 2, 3)),
                         ('20260101_010000', (3, 4))):
        folder = tmp_path / 'run' / start / 'vis_data'
        folder.mkdir(parents=True)
        (folder / 'scalars.json').write_text(''.join(
            json.dumps(dict(iter=i, loss=float(i + 10 * (start[-5] == '1'))))
            + '\n' for i in iters))
    run = load_run(str(tmp_path / 'run'))
    assert run.scalars['loss'] == [(1, 1.0), (2, 2.0), (3, 13.0), (4, 14.0)]


def test_a_bad_log_line_is_named_and_skipped(tmp_path):
    path = tmp_path / 'scalars.json'
    path.write_text('{"iter": 1, "loss": 0.5}\nnot json\n')
    problems = []
    assert read_scalars(str(path), problems) == {'loss': [(1, 0.5)]}
    assert problems == [f'{path}:2: not a JSON line, skipped']


def test_largest_difference_crop_finds_where_the_panels_differ():
    base = np.full((100, 120, 3), 128, np.uint8)
    other = base.copy()
    other[60:80, 10:30] = 255  # the only difference
    assert largest_difference_crop([base, other], 20) == (60, 10, 20, 20)
    # a window larger than the image is clipped to it
    assert largest_difference_crop([base, other], 500) == (0, 0, 100, 120)


def test_parse_crop():
    assert parse_crop('Set5/baby:10,20,30,40') == ('Set5/baby',
                                                   (10, 20, 30, 40))
    with pytest.raises(ValueError, match='KEY:TOP,LEFT,HEIGHT,WIDTH'):
        parse_crop('baby:10,20')


def test_bad_inputs_are_named_and_the_rest_is_built(runs, tmp_path):
    root, dirs = runs
    empty = tmp_path / 'empty_run'
    empty.mkdir()
    other_sets = tmp_path / 'bsd.json'  # a result file of another test set
    other_sets.write_text(json.dumps(dict(
        summary={'BSD68/PSNR': 25.0}, meta={},
        per_image=[dict(dataset='BSD68', key='3096', PSNR=25.0)])))
    x2 = _x2_result(tmp_path)  # a x2 network beside x4 runs
    missing = tmp_path / 'nowhere'
    out = tmp_path / 'out'
    before = sorted(os.listdir(tmp_path))
    run_files = _tree(dirs[0])
    result = build([dirs[0], str(empty), str(missing), str(other_sets),
                    str(x2)], out, root)
    problems = '\n'.join(result['problems'])
    assert f'{missing}: no such file or directory' in problems
    assert f'{empty}: no training logs' in problems
    assert 'tested on different test sets' in problems and 'BSD68' in \
        problems
    assert 'x2_run: no images (x2; the first run with images is x4)' in \
        problems
    page = (out / 'index.html').read_text()
    for line in result['problems']:
        assert html.escape(line) in page  # listed in the page
    # the readable runs are all in the table; tiny_a has images
    assert 'data-run="tiny_a"' in page and 'data-run="bsd"' in page
    assert [i.panels for i in result['images']] == \
        [['bicubic', 'tiny_a', 'HR']] * 2
    # nothing was written outside --out, the runs were not touched
    assert sorted(os.listdir(tmp_path)) == sorted(before + ['out'])
    assert os.listdir(empty) == [] and _tree(dirs[0]) == run_files


def _tree(folder):
    return sorted((osp.relpath(osp.join(d, f), folder),
                   os.stat(osp.join(d, f)).st_mtime_ns)
                  for d, _, files in os.walk(folder) for f in files)


def _x2_result(folder):
    """A tools/test.py-style result file of a x2 MSRResNet."""
    import torch
    from srtoolbox.models.builder import build_generator
    gen = dict(type='MSRResNet', upscale=2, num_feat=8, num_blocks=1)
    (folder / 'x2.py').write_text(
        f"model = dict(type='SRModel', generator={gen!r})\n")
    net = build_generator(gen)
    torch.save({'state_dict': {f'generator.{k}': v for k, v in
                               net.state_dict().items()}},
               str(folder / 'x2.pth'))
    path = folder / 'x2_run.json'
    path.write_text(json.dumps(dict(
        summary={'val/PSNR': 20.0}, per_image=[],
        meta=dict(config=str(folder / 'x2.py'),
                  checkpoint=str(folder / 'x2.pth')))))
    return path


def test_an_existing_out_is_kept_unless_overwrite(runs, tmp_path):
    root, dirs = runs
    out = tmp_path / 'mine'
    out.mkdir()
    (out / 'notes.txt').write_text('mine')
    with pytest.raises(FileExistsError, match='pass --overwrite'):
        build([dirs[0]], out, root, images=False)
    # --overwrite replaces only a folder an earlier report wrote
    with pytest.raises(FileExistsError, match='not written by srt report'):
        build([dirs[0]], out, root, images=False, overwrite=True)
    assert (out / 'notes.txt').read_text() == 'mine'
    report = tmp_path / 'report'
    build([dirs[0]], report, root, images=False)
    first = (report / 'index.html').read_text()
    with pytest.raises(FileExistsError):
        build([dirs[1]], report, root, images=False)
    assert (report / 'index.html').read_text() == first
    build([dirs[1]], report, root, images=False, overwrite=True)
    assert 'data-run="tiny_b"' in (report / 'index.html').read_text()


def test_panels_are_the_chosen_crop_of_each_image(runs, tmp_path):
    import cv2
    root, dirs = runs
    result = build(dirs, tmp_path / 'r', root,
                   crops={'val/000': (8, 16, 32, 24)})
    first, second = result['images']
    assert first.crop == (8, 16, 32, 24) and second.crop == (0, 0, 64, 64)
    hr = cv2.imread(str(root / 'val' / '000.png'))
    written = cv2.imread(str(tmp_path / 'r' / first.files[-1]))
    assert np.array_equal(written, hr[8:40, 16:40])
    # the two runs' panels differ (different weights), and both differ
    # from bicubic
    panels = [cv2.imread(str(tmp_path / 'r' / f)) for f in second.files]
    assert len(panels) == 4
    assert not np.array_equal(panels[1], panels[2])
    assert not np.array_equal(panels[0], panels[1])


def test_the_zoo_view_labels_a_point_per_paper_and_measured_figure():
    from srtoolbox.apis.model_zoo import ZooEntry
    from srtoolbox.apis.report.zoo import zoo_section
    rows = [
        dict(entry=ZooEntry('A', 'a.py', {'Set5': (32.0, 0.9)}, 'paper A'),
             stats=dict(params=1_000_000, macs=100e9),
             result=dict(summary={'Set5/PSNR': 30.0, 'Set5/SSIM': 0.85})),
        dict(entry=ZooEntry('B', 'b.py'), stats=dict(params=5e6, macs=9e11),
             result=dict(summary={'Set5/PSNR': 28.0, 'Set5/SSIM': 0.8})),
    ]
    text = zoo_section(rows, datasets=('Set5', ))
    labels = re.findall(r'class="point" data-label="([^"]+)"', text)
    # Set5 against MACs, then against parameters
    assert labels == ['A (paper)', 'A (here)', 'B (here)'] * 2
    assert '<td>32.00 / 0.9000</td><td>30.00 / 0.8500</td>' in text
