"""The model zoo: measured figures next to the papers', in one table.

``tools/model_zoo.py`` calls :func:`build_zoo` and writes ``model-zoo.md``.
For every entry it measures, on this machine: parameters, MACs for a 320x180
LR input, CPU time of one forward on that input (fp32; bf16 only where the
CPU computes it natively), and reads PSNR/SSIM of the checkpoints trained
here from ``tools/test.py`` result files (and their NIQE, when the file was
written with ``tools/test.py ... --metrics PSNR SSIM NIQE``). The papers'
figures sit in their own columns with their sources. Every figure states its
conventions.
"""
import json
import os
import os.path as osp
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

import torch
from mmengine.registry import init_default_scope

from .compare import compare_models
from ..utils import imwrite
from ..utils.provenance import describe_machine
from ..registry import GENERATORS
from ..engine.launch import load_config
from .flops import count_macs, count_params
from ..engine.optim_wrapper import cpu_supports_bf16

__all__ = ['ZooEntry', 'ZOO', 'build_zoo', 'render_markdown', 'measure',
           'zoo_strip', 'plot_psnr_vs_params']

CONVENTIONS = ('x4; PSNR/SSIM on the Y channel (BT.601, float), 4 border '
               'pixels cropped; LR = MATLAB-style bicubic x4 of the HR image '
               'cropped to a multiple of 4, rounded to 8 bits')


@dataclass
class ZooEntry:
    """One row: a network + recipe, its config, and what the paper says."""
    name: str
    config: str
    paper: dict = field(default_factory=dict)  # {'Set5': (psnr, ssim), ...}
    paper_source: str = ''
    result: str = ''  # tools/test.py JSON of a checkpoint trained here
    budget: str = ''  # how that checkpoint was trained


# Papers' x4 figures (Y channel, crop 4). BSD100 is the papers' set; our
# BSD68 is 68 of its 100 images, so those columns are not comparable 1:1.
ZOO = [
    ZooEntry('SRResNet (MSE)', 'configs/srresnet/srresnet_x4.py',
             {'Set5': (32.05, 0.9019), 'Set14': (28.49, 0.8184),
              'BSD100': (27.58, 0.7620)},
             'Ledig et al., CVPR 2017, Table 4',
             'model_zoo/results/srresnet_x4_demo.json',
             'configs/srresnet/srresnet_x4_demo.py: 360 iterations x 16 '
             'crops of 96x96 from 80 SunHays80 photos (CPU, ~12 min)'),
    ZooEntry('SRGAN (VGG54)', 'configs/srgan/srgan_x4.py',
             {'Set5': (29.40, 0.8472), 'Set14': (26.02, 0.7397),
              'BSD100': (25.16, 0.6688)},
             'Ledig et al., CVPR 2017, Table 4'),
    ZooEntry('SRGAN-MSE demo (MSRResNet G)', 'configs/srgan/srgan_x4_demo.py',
             result='model_zoo/results/srgan_x4_demo.json',
             budget='configs/srgan/srgan_x4_demo.py: the paper\'s D and '
             'adversarial loss, MSE content (no VGG19 file here), 100 '
             'iterations from the MSRResNet demo (CPU)'),
    ZooEntry('MSRResNet (BasicSR)', 'configs/srresnet/msrresnet_x4_demo.py',
             result='model_zoo/results/msrresnet_x4_demo.json',
             budget='configs/srresnet/msrresnet_x4_demo.py: 360 iterations '
             'x 16 crops of 96x96 from 80 SunHays80 photos (CPU, ~12 min)'),
    ZooEntry('EDSR baseline', 'configs/edsr/edsr_baseline_x4_div2k.py',
             result='model_zoo/results/edsr_baseline_x4_demo.json',
             budget='configs/edsr/edsr_baseline_x4_demo.py: the MSRResNet '
             "demo's data, L1 loss, schedule and 360 iterations (CPU)"),
    ZooEntry('EDSR', 'configs/edsr/edsr_large_x4_div2k.py',
             {'Set5': (32.46, 0.8968), 'Set14': (28.80, 0.7876),
              'BSD100': (27.71, 0.7420)},
             'Lim et al., CVPRW 2017, Table 3'),
    ZooEntry('MSRN', 'configs/msrn/msrn_x4_div2k.py',
             {'Set5': (32.07, 0.8903), 'Set14': (28.60, 0.7751),
              'BSD100': (27.52, 0.7273)},
             'Li et al., ECCV 2018, Table 3',
             'model_zoo/results/msrn_x4_demo.json',
             "configs/msrn/msrn_x4_demo.py: the MSRResNet demo's data, L1 "
             'loss, schedule and 360 iterations (CPU)'),
    ZooEntry('RCAN', 'configs/rcan/rcan_x4_div2k.py',
             {'Set5': (32.63, 0.9002), 'Set14': (28.87, 0.7889),
              'BSD100': (27.77, 0.7436)},
             'Zhang et al., ECCV 2018, Table 3'),
    ZooEntry('RRDBNet (ESRGAN, PSNR)', 'configs/esrgan/rrdbnet_psnr_x4.py',
             {'Set5': (32.73, 0.9011), 'Set14': (28.99, 0.7917),
              'BSD100': (27.85, 0.7455)},
             'Wang et al., ECCVW 2018 (ESRGAN), Table 4'),
    # community architectures, built from spandrel's reference code
    ZooEntry('SwinIR classical', 'configs/swinir/swinir_classical_x4_div2k.py',
             {'Set5': (32.72, 0.9021), 'Set14': (28.94, 0.7914),
              'BSD100': (27.83, 0.7459)},
             'Liang et al., ICCVW 2021, Table 2 (DIV2K-trained)'),
    ZooEntry('SwinIR lightweight',
             'configs/swinir/swinir_lightweight_x4_div2k.py',
             {'Set5': (32.44, 0.8976), 'Set14': (28.77, 0.7858),
              'BSD100': (27.69, 0.7406)},
             'Liang et al., ICCVW 2021, Table 3'),
    ZooEntry('HAT', 'configs/hat/hat_x4_df2k.py',
             {'Set5': (33.04, 0.9056), 'Set14': (29.23, 0.7973),
              'BSD100': (28.00, 0.7517)},
             'Chen et al., CVPR 2023 (DF2K, x4 fine-tuned from x2)'),
    ZooEntry('SPAN', 'configs/span/span_x4_df2k.py'),
    # Real-ESRGAN (Wang et al., ICCVW 2021): trained on synthetic
    # degradations, judged on real photographs (the paper reports NIQE
    # only), so no bicubic-benchmark figures
    ZooEntry('RealESRNet x4plus', 'configs/realesrgan/realesrnet_x4plus.py'),
    ZooEntry('RealESRGAN x4plus', 'configs/realesrgan/realesrgan_x4plus.py'),
    ZooEntry('Real-ESRGAN compact (general-x4v3 layout)',
             'configs/realesrgan/realesr_compact_x4.py'),
]


def measure(generator: Any, shape: Tuple[int, ...] = (180, 320),
            repeats: int = 1,
            dtypes: Tuple[str, ...] = ('fp32', 'bf16')) -> Any:
    """Params, MACs and CPU seconds of one forward on a (1, 3, H, W) input.

    bf16 is timed only where the CPU computes it natively (else None).
    """
    generator.eval()
    out: Dict[str, Any] = dict(
        params=count_params(generator),
        macs=count_macs(generator, (1, 3) + tuple(shape)))
    x = torch.rand(1, 3, *shape)
    for dtype in dtypes:
        if dtype == 'bf16' and not cpu_supports_bf16():
            out['seconds_bf16'] = None
            continue
        best = float('inf')
        with torch.inference_mode(), torch.autocast(
                'cpu', dtype=torch.bfloat16, enabled=dtype == 'bf16'):
            for _ in range(repeats):
                start = time.perf_counter()
                generator(x)
                best = min(best, time.perf_counter() - start)
        out[f'seconds_{dtype}'] = best
    return out


def _read_result(path):
    if not path or not osp.isfile(path):
        return None
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def build_zoo(root: str = '.', entries: Any = ZOO, time_inference: bool = True,
              shape: Tuple[int, ...] = (180, 320)) -> Any:
    """Measure every entry; returns a list of row dicts."""
    init_default_scope('srtoolbox')
    rows = []
    for entry in entries:
        cfg = load_config(osp.join(root, entry.config))
        net = GENERATORS.build(cfg.model.generator)
        stats = measure(net, shape=shape,
                        dtypes=('fp32', 'bf16') if time_inference else ())
        result = _read_result(osp.join(root, entry.result)) \
            if entry.result else None
        rows.append(dict(entry=entry, stats=stats, result=result))
    return rows


def _fmt(pair):
    return f'{pair[0]:.2f} / {pair[1]:.4f}' if pair else '–'


def _secs(value):
    if value is None:
        return 'n/a¹'
    return f'{value:.2f}' if value is not None else '–'


def _result_origin(name, result):
    """One footnote line: where a row's accuracy figures came from."""
    meta = (result or {}).get('meta') or {}
    if 'machine' not in meta:  # written before results recorded provenance
        config, ckpt = record_paths(meta)
        return (f'- {name}: `{ckpt}` tested with `{config}` (recorded before '
                'result files carried commit, hashes and machine)')
    git = meta.get('git') or {}
    commit = git.get('commit', '?')[:10] + (' (dirty tree)'
                                           if git.get('dirty') else '')
    ckpt = meta.get('checkpoint') or {}
    return (f'- {name}: commit {commit}, `{ckpt.get("path")}` (sha256 '
            f'{(ckpt.get("sha256") or "?")[:12]}), '
            f'{meta.get("precision", "?")} on '
            f'{describe_machine(meta["machine"])}')


def render_markdown(rows: Any, command: Any, machine: Any,
                    shape: Tuple[int, ...] = (180, 320)) -> Any:
    """``model-zoo.md`` text from :func:`build_zoo` rows.

    ``machine`` is :func:`srtoolbox.utils.provenance.machine_info`'s record
    of the machine that timed the rows (or a line of text): the machine line
    and the bf16 footnote are written from it.
    """
    record = machine if isinstance(machine, dict) else None
    if record is not None:
        machine = describe_machine(record) + (
            f', torch {record["torch"]}' if record.get('torch') else '')
    h, w = shape
    lines = [
        '# Model zoo',
        '',
        'Generated by `' + command + '` — do not edit by hand; every number '
        'below comes from that command (or from the paper cited in its row).',
        '',
        f'Conventions: {CONVENTIONS}.',
        f'Machine for the timings: {machine}.',
        '',
        'Interactive view (PSNR against MACs and parameters, each point '
        "labelled, the papers' rows beside these): `srt report --zoo --out "
        'report_zoo`, then open `report_zoo/index.html` '
        '([docs/report.md](docs/report.md)).',
        '',
        '## Measured here',
        '',
        f'MACs and CPU time for one {w}x{h} LR input (x4 output '
        f'{4 * w}x{4 * h}); time is one forward pass, batch 1, 2 threads.',
        '',
        'NIQE (lower is more natural): Y channel, crop 4, of the SR images '
        'alone (Mittal et al. 2013, BasicSR-compatible); – where the result '
        'file has none (`python tools/test.py CONFIG CKPT --metrics PSNR SSIM '
        'NIQE --out model_zoo/results/NAME` adds it).',
        '',
        '| model | config | params | GMACs | CPU s fp32 | CPU s bf16 | '
        'Set5 PSNR / SSIM | Set14 | BSD68 | NIQE Set5 / Set14 / BSD68 | '
        'trained here |',
        '| --- | --- | ---: | ---: | ---: | ---: | --- | --- | --- | --- | '
        '--- |',
    ]
    for row in rows:
        e, s, r = row['entry'], row['stats'], row['result']
        measured: dict = {}
        if r:
            for key, value in r['summary'].items():
                dataset, _, metric = key.rpartition('/')
                measured.setdefault(dataset, {})[metric] = value
        cells = []
        for dataset in ('Set5', 'Set14', 'BSD68'):
            m = measured.get(dataset)
            cells.append(_fmt((m['PSNR'], m['SSIM'])) if m else '–')
        niqe = [measured.get(d, {}).get('NIQE')
                for d in ('Set5', 'Set14', 'BSD68')]
        cells.append(' / '.join('–' if v is None else f'{v:.2f}'
                                for v in niqe) if any(
                                    v is not None for v in niqe) else '–')
        budget = e.budget + (f'; {r["meta"].get("budget", "")}'
                             if r and r.get('meta', {}).get('budget')
                             else '') if r else 'not trained here'
        lines.append(
            f'| {e.name} | `{e.config}` | {s["params"]:,} | '
            f'{s["macs"] / 1e9:.1f} | '
            f'{_secs(s.get("seconds_fp32")) if "seconds_fp32" in s else "–"}'
            f' | {_secs(s.get("seconds_bf16")) if "seconds_bf16" in s else "–"}'
            f' | {" | ".join(cells)} | {budget} |')
    untimed = any('seconds_bf16' in row['stats']
                  and row['stats']['seconds_bf16'] is None for row in rows)
    if untimed:
        cpu = (record or {}).get('cpu', 'the timing CPU')
        flags = ', '.join((record or {}).get('cpu_flags') or []) or 'none'
        lines += ['', f'¹ bf16 not timed: {cpu} has no native bf16 (its '
                  f'flags: {flags}; native needs AVX-512 BF16 or AMX), where '
                  'emulated bf16 is far slower than fp32 '
                  '(docs/benchmarks.md).']
    origins = [_result_origin(row['entry'].name, row['result'])
               for row in rows if row['result']]
    if origins:
        lines += ['', 'Where the accuracy figures come from (the result '
                  'files in model_zoo/results):', ''] + origins
    lines += [
        '',
        '## Reported by the papers',
        '',
        'The papers trained on ImageNet (SRGAN) or DIV2K for 10^5-10^6 '
        'iterations on GPUs; BSD100 is the full set (this repository tests '
        'on BSD68, 68 of its images).',
        '',
        '| model | Set5 PSNR / SSIM | Set14 | BSD100 | source |',
        '| --- | --- | --- | --- | --- |',
    ]
    for row in rows:
        e = row['entry']
        if not e.paper:
            continue
        lines.append(f'| {e.name} | {_fmt(e.paper.get("Set5"))} | '
                     f'{_fmt(e.paper.get("Set14"))} | '
                     f'{_fmt(e.paper.get("BSD100"))} | {e.paper_source} |')
    return '\n'.join(lines) + '\n'


def record_paths(meta: Any) -> Any:
    """(config, checkpoint) paths of a result file's ``meta``: a provenance
    record (``{'config': {'path'}, 'checkpoint': {'path', 'sha256'}}``) or
    the plain strings older result files hold."""
    meta = meta or {}

    def path(value):
        return value.get('path') if isinstance(value, dict) else value
    return path(meta.get('config')), path(meta.get('checkpoint'))


def zoo_strip(rows: Any, hr_image: Any, out_path: str,
              crop: Optional[Any] = None, zoom: int = 2,
              root: str = '.') -> Any:
    """``bicubic | every model trained here | HR`` for one image.

    The models are the rows whose result file names a checkpoint (what
    ``tools/test.py`` records); a checkpoint missing on this machine is an
    error naming it, so a figure never silently leaves a model out.
    Returns the per-panel PSNR/SSIM rows of :func:`compare_models`.
    """
    models, missing = [], []
    for row in rows:
        config, ckpt = record_paths((row['result'] or {}).get('meta'))
        if not ckpt:
            continue
        ckpt = osp.join(root, ckpt)
        if not osp.isfile(ckpt):
            missing.append(f'{row["entry"].name}: {ckpt} (train it with '
                           f'python tools/train.py {config})')
            continue
        models.append((row['entry'].name, osp.join(root, config), ckpt))
    if missing:
        raise FileNotFoundError(
            'the comparison strips need the checkpoints the result files '
            'were measured with; missing:\n  ' + '\n  '.join(missing))
    if not models:
        raise ValueError('no result file names a checkpoint to compare')
    figure, panels = compare_models(models, hr_image, crop=crop, zoom=zoom)
    imwrite(figure, out_path)
    return panels


def plot_psnr_vs_params(rows: Any, path: str, dataset: str = 'Set5') -> Any:
    """PSNR against parameters: the papers' figures and those measured
    here, as a PNG (needs matplotlib: ``pip install -e .[plot]``)."""
    try:
        # lazy: optional (the 'plot' extra), and ~0.3 s to import
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt  # after use('Agg'): no display
    except ImportError as err:
        raise ImportError('the plot needs matplotlib: pip install -e '
                          "'.[plot]'") from err
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for row in rows:
        e, s, r = row['entry'], row['stats'], row['result']
        params = s['params'] / 1e6
        if e.paper.get(dataset):
            ax.scatter(params, e.paper[dataset][0], marker='o', color='C0')
            ax.annotate(e.name, (params, e.paper[dataset][0]), fontsize=7,
                        xytext=(4, 3), textcoords='offset points')
        value = (r or {}).get('summary', {}).get(f'{dataset}/PSNR')
        if value is not None:
            ax.scatter(params, value, marker='s', color='C3')
            ax.annotate(e.name + ' (here)', (params, value), fontsize=7,
                        xytext=(4, -9), textcoords='offset points')
    ax.scatter([], [], marker='o', color='C0', label='paper (GPU, full '
               'training)')
    ax.scatter([], [], marker='s', color='C3', label='trained here (demo '
               'budget, CPU)')
    ax.set_xscale('log')
    ax.set_xlabel('parameters (millions, log scale)')
    ax.set_ylabel(f'{dataset} PSNR (dB), Y, crop 4')
    ax.set_title(f'x4 super-resolution on {dataset}')
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc='lower right')
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
