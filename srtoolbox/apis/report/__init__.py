"""``srt report``: an offline HTML report comparing runs and models.

    from srtoolbox.apis.report import build_report
    build_report(['work_dirs/msrresnet_x4_demo', 'work_dirs/srgan_x4_demo'],
                 'report')

writes ``report/index.html`` (tables, curves, the image viewer; CSS and
script inlined) and ``report/images/`` (one PNG crop per panel). Nothing
is fetched or served: the page opens from ``file://``. Nothing is written
outside ``out``; an existing ``out`` is kept unless ``overwrite``, and
even then only a folder that an earlier report wrote (it holds
``.srt-report``) is replaced. A bad input (a missing path, a folder
without logs or results, results of other test sets, images of another
size) is named in the page's Problems list and in the returned problems;
the rest of the report is still built. docs/report.md describes the page.
"""
import os
import os.path as osp
import shutil
import time
from typing import (Any, Callable, Dict, List, Mapping, Optional, Sequence,
                    Tuple, Union)

from ...engine.launch import load_config
from ...engine.results import atomic_write_text
from ...models.builder import build_generator
from ..flops import count_macs, count_params
from .images import ComparedImage, compare_test_images, image_rows
from .page import (colours_for, curves_section, images_section, render_page,
                   runs_table)
from .runs import Run, load_run
from .zoo import zoo_rows, zoo_section

__all__ = ['build_report', 'write_page', 'prepare_out', 'Run', 'load_run',
           'generator_info', 'MARKER']

MARKER = '.srt-report'
MACS_SHAPE = (1, 3, 180, 320)  # as model-zoo.md: a 320x180 LR input


def prepare_out(out: str, overwrite: bool = False) -> None:
    """Create ``out``; refuse an existing non-empty one unless
    ``overwrite`` and it holds an earlier report's marker."""
    if osp.isfile(out):
        raise FileExistsError(f'--out {out} is a file; give a folder')
    if osp.isdir(out) and os.listdir(out):
        if not overwrite:
            raise FileExistsError(f'--out {out} exists; pass --overwrite to '
                                  'replace it')
        if not osp.isfile(osp.join(out, MARKER)):
            raise FileExistsError(
                f'--out {out} exists and was not written by srt report (no '
                f'{MARKER} in it); not replacing it even with --overwrite: '
                'choose another --out')
        shutil.rmtree(out)
    os.makedirs(out, exist_ok=True)
    with open(osp.join(out, MARKER), 'w', encoding='utf-8') as f:
        f.write('written by srt report; --overwrite may replace this '
                'folder\n')


def generator_info(config_path: str, problems: List[str]) -> Dict[str, Any]:
    """``{'type', 'params', 'macs'}`` of a config's generator (MACs for
    :data:`MACS_SHAPE`, counted on meta tensors), or ``{}`` with a line
    in ``problems``."""
    try:
        cfg = load_config(config_path, check=False)
        gen_cfg = dict(cfg.model.generator)
        net = build_generator(gen_cfg)
        return dict(type=gen_cfg['type'], params=count_params(net),
                    macs=count_macs(net, MACS_SHAPE))
    except Exception as err:  # noqa: B902 (named, the report goes on)
        problems.append(f'{config_path}: generator not built, no parameters '
                        f'or MACs ({type(err).__name__}: {err})')
        return {}


def _unique_names(runs):
    seen = {}
    for run in runs:
        if run.name in seen:
            seen[run.name] += 1
            run.name = f'{run.name} ({seen[run.name]})'
        else:
            seen[run.name] = 1


def _test_set_problems(runs):
    """A line when the runs were tested on different sets."""
    measured = [r for r in runs if r.metrics]
    sets = {r.name: tuple(r.test_sets) for r in measured}
    if len(set(sets.values())) > 1:
        listing = '; '.join(f'{n}: {", ".join(s) or "none"}'
                            for n, s in sets.items())
        return [f'the runs were tested on different test sets ({listing}): '
                'compare only the columns they share']
    return []


def write_page(out: str, runs: Sequence[Run],
               infos: Mapping[str, Dict[str, Any]], problems: Sequence[str],
               labels: Sequence[str] = (),
               compared: Sequence['ComparedImage'] = (), images: bool = True,
               zoo: Optional[List[Dict[str, Any]]] = None,
               title: Optional[str] = None) -> str:
    """Write ``out/index.html`` from what :func:`build_report` gathered
    (``zoo``: :func:`.zoo.zoo_rows`' rows or None); returns its path."""
    usable = [r for r in runs if r.kind in ('work_dir', 'results')]
    colours = colours_for([r.name for r in runs])
    sections = []
    if runs:
        sections += [('runs', 'Runs', runs_table(usable, infos)),
                     ('curves', 'Curves', curves_section(usable, colours))]
    if runs and images:
        sections.append(('images', 'Images', images_section(labels,
                                                            compared)))
    if zoo is not None:
        points = [(r.name, infos.get(r.name) or {}, r.metrics)
                  for r in usable]
        sections.append(('zoo', 'Model zoo', zoo_section(zoo, runs=points)))
    if title is None:
        title = 'srt report: ' + (', '.join(r.name for r in usable)
                                  if runs else 'model zoo')
    page = render_page(title, problems, sections,
                       dict(images=image_rows(compared, labels)))
    index = osp.join(out, 'index.html')
    atomic_write_text(page, index)  # last: a report is complete or absent
    return index


def build_report(inputs: Sequence[Union[str, 'os.PathLike[str]']], out: str,
                 *, overwrite: bool = False, zoo: bool = False,
                 images: bool = True, data_root: str = 'data/demo',
                 test_sets: Sequence[str] = ('Set5', 'Set14'),
                 crop_size: int = 192,
                 crops: Optional[Mapping[str, Tuple[int, int, int,
                                                    int]]] = None,
                 max_images: Optional[int] = None, device: str = 'cpu',
                 root: str = '.', title: Optional[str] = None,
                 log: Callable[[str], None] = print) -> Dict[str, Any]:
    """Write the report; returns ``dict(index, problems, runs, images)``.

    Args:
        inputs (list[str]): work dirs of ``tools/train.py`` and result
            files of ``tools/test.py``.
        out (str): the report folder.
        zoo (bool): add the zoo view (``model_zoo/results`` under ``root``
            and the papers' rows, with the runs placed among them).
        images (bool): upscale the test images with every run's checkpoint
            (see :mod:`.images` for the cost and the crops).
        data_root, test_sets: where the test images are (``data_root/NAME``).
        crop_size (int): the side of each panel, in HR pixels.
        crops (dict): ``{'Set5/baby': (top, left, h, w)}`` chosen crops;
            other images show where the runs differ most.
        max_images (int | None): at most this many images per test set.
    """
    started = time.time()
    prepare_out(out, overwrite)
    runs = [load_run(path, roots=(root, )) for path in inputs]
    _unique_names(runs)
    problems = [p for r in runs for p in r.problems] + _test_set_problems(
        runs)
    infos = {}
    for run in runs:
        if run.config_path:
            infos[run.name] = generator_info(run.config_path, problems)
    labels: List[str] = []
    compared: List['ComparedImage'] = []
    if inputs and images:
        labels, compared = compare_test_images(
            [r for r in runs if r.kind in ('work_dir', 'results')], out,
            data_root=data_root, test_sets=test_sets, crop_size=crop_size,
            crops=crops, max_images=max_images, device=device,
            problems=problems, log=log)
    zoo_table = None
    if zoo:
        zoo_table = zoo_rows(root, log)
    index = write_page(out, runs, infos, problems, labels, compared,
                       images=bool(inputs and images), zoo=zoo_table,
                       title=title)
    for line in problems:
        log(f'problem: {line}')
    log(f'report: {index} ({len(runs)} inputs, {len(compared)} images, '
        f'{time.time() - started:.0f} s)')
    return dict(index=index, problems=problems, runs=runs, images=compared)
