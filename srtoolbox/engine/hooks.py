"""Hooks that write images: validation comparisons and test outputs."""
import json
import os.path as osp
import time

import numpy as np
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from ..evaluation.scorers import metric_functions
from ..models.sr_model import tensor2img
from ..registry import HOOKS
from ..utils.image_io import imwrite
from ..utils.matlab_imresize import imresize
from ..utils.visualization import comparison_strip
from .results import atomic_write_text, run_provenance
from .work_dir import latest_checkpoint

__all__ = ['SRVisualizationHook', 'SaveSRImagesHook', 'BicubicComparisonHook',
           'comparison_strip']


def _safe_name(key):
    return str(key).replace('/', '__')


@HOOKS.register_module()
class SRVisualizationHook(Hook):
    """Save ``bicubic | SR | HR`` strips for the first images of each
    validation, to ``<work_dir>/vis/iter_<N>/<dataset>_<key>.png``."""

    priority = 'LOW'

    def __init__(self, num_images=3):
        self.num_images = num_images
        self._saved = 0

    def before_val_epoch(self, runner):
        self._saved = 0

    def after_val_iter(self, runner, batch_idx, data_batch=None,
                       outputs=None):
        if not outputs or self._saved >= self.num_images:
            return
        folder = osp.join(runner.work_dir, 'vis', f'iter_{runner.iter}')
        for out in outputs:
            if self._saved >= self.num_images or 'gt' not in out:
                break
            scale = out['gt'].shape[0] // out['lq'].shape[0]
            bicubic = imresize(out['lq'], scale)
            strip = comparison_strip([bicubic, out['pred'], out['gt']])
            name = f"{out.get('dataset', 'val')}_{_safe_name(out.get('key'))}"
            imwrite(strip, osp.join(folder, name + '.png'))
            self._saved += 1


@HOOKS.register_module()
class SaveSRImagesHook(Hook):
    """Write every test prediction to ``out_dir/<dataset>/<key>.png``."""

    priority = 'LOW'

    def __init__(self, out_dir, overwrite=False):
        self.out_dir = out_dir
        self.overwrite = overwrite

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None):
        for out in outputs or []:
            path = osp.join(self.out_dir, str(out.get('dataset', 'test')),
                            f"{out.get('key', batch_idx)}.png")
            imwrite(out['pred'], path, overwrite=self.overwrite)


def write_summary(runner, summary, name='summary.json', started=None):
    """``<work_dir>/summary.json`` with the run's provenance, atomically.

    The provenance (:func:`srtoolbox.engine.results.run_provenance`) names
    the commit, config hash, last checkpoint and its sha256, the precision
    the steps ran in, the machine and the wall time since ``started``
    (``time.time()`` when the run began).
    """
    try:
        ckpt = latest_checkpoint(runner.work_dir)
    except FileNotFoundError:  # a record of a file gone: no provenance
        ckpt = None
    summary = dict(summary)
    summary['provenance'] = run_provenance(
        runner, checkpoint=ckpt, started=started)
    atomic_write_text(json.dumps(summary, indent=2),
                      osp.join(runner.work_dir, name))


@HOOKS.register_module()
class BicubicComparisonHook(Hook):
    """At the end of training, print the last validation metrics next to
    bicubic upsampling of the same LR images, and save them to
    ``<work_dir>/summary.json``.

    Bicubic is MATLAB's imresize of the 8-bit LR image, rounded to 8 bits,
    measured with the same conventions as the model (``crop_border``,
    ``test_y_channel``).

    Args:
        crop_border (int), test_y_channel (bool): metric conventions, as the
            validation metrics. Defaults: 4, True.
        metrics (sequence[str]): the columns, any of ``'PSNR'``, ``'SSIM'``,
            ``'NIQE'``, ``'LPIPS'`` (LPIPS left out with one line when its
            weights are absent). The model's figure is the last
            validation's ``<dataset>/<metric>``, or, when the validation
            did not measure it, computed here from the last validation's
            predictions. An image too small for NIQE counts as NaN.
            Default: PSNR, SSIM.
    """

    priority = 'VERY_LOW'

    def __init__(self, crop_border=4, test_y_channel=True,
                 metrics=('PSNR', 'SSIM')):
        metric_functions(metrics)  # an unknown name fails at build time
        self.crop_border = crop_border
        self.test_y_channel = test_y_channel
        self.metrics = tuple(metrics)
        self.last_metrics = None
        self._outputs = []
        self._started = None

    def before_run(self, runner):
        self._started = time.time()  # wall time in summary.json

    def before_val_epoch(self, runner):
        self._outputs = []

    def after_val_iter(self, runner, batch_idx, data_batch=None,
                       outputs=None):
        if self.metrics == ('PSNR', 'SSIM'):
            return  # the validation metrics say all
        for out in outputs or []:
            if 'gt' in out:
                self._outputs.append(dict(pred=out['pred'], gt=out['gt'],
                                          dataset=out.get('dataset', 'val')))

    def after_val_epoch(self, runner, metrics=None):
        if metrics:
            self.last_metrics = dict(metrics)

    def _functions(self, warn):
        funcs, skipped = metric_functions(self.metrics, self.crop_border,
                                          self.test_y_channel)
        for reason in skipped.values():
            warn(reason)
        return funcs

    @staticmethod
    def _grouped_means(pairs, funcs, warn):
        """``{dataset: {metric: mean}}`` of ``(dataset, sr, gt)`` triples."""
        groups, failed = {}, {}
        for dataset, sr, gt in pairs:
            values = groups.setdefault(dataset, {})
            for name, func in funcs.items():
                try:
                    value = func(sr, gt)
                except ValueError as err:  # e.g. too small for NIQE
                    failed.setdefault((dataset, name), []).append(str(err))
                    value = float('nan')
                values.setdefault(name, []).append(value)
        for (dataset, name), errors in failed.items():  # one line each
            warn(f'{name}: {len(errors)} of {len(groups[dataset][name])} '
                 f'images of {dataset} count as NaN, left out of the mean '
                 f'({errors[0]})')
        return {dataset: {name: float(np.nanmean(v)) if not np.isnan(v).all()
                          else float('nan') for name, v in values.items()}
                for dataset, values in groups.items()}

    def bicubic_metrics(self, dataset, warn=print):
        """``{dataset name: {metric: mean}}`` of bicubic upsampling."""

        def pairs():
            for i in range(len(dataset)):
                item = dataset[i]
                lq = tensor2img(item['inputs'])
                gt = tensor2img(item['data_samples']['gt'])
                yield (item['data_samples'].get('dataset', 'val'),
                       imresize(lq, gt.shape[0] // lq.shape[0]), gt)
        return self._grouped_means(pairs(), self._functions(warn), warn)

    def model_metrics(self, datasets, warn=print):
        """``{dataset: {metric: value}}`` of the model: the last
        validation's figures, the rest computed from its predictions."""
        funcs = self._functions(lambda msg: None)  # warned once, by bicubic
        last = self.last_metrics or {}
        missing = {name: f for name, f in funcs.items()
                   if any(f'{d}/{name}' not in last for d in datasets)}
        computed = self._grouped_means(
            ((o['dataset'], o['pred'], o['gt']) for o in self._outputs),
            missing, warn) if missing else {}
        return {d: {name: last.get(f'{d}/{name}',
                                   computed.get(d, {}).get(name,
                                                           float('nan')))
                    for name in funcs} for d in datasets}

    def after_train(self, runner):
        if self.last_metrics is None or not is_main_process():
            return
        warn = runner.logger.warning
        bicubic = self.bicubic_metrics(runner.val_dataloader.dataset, warn)
        model = self.model_metrics(list(bicubic), warn)
        measured = next(iter(bicubic.values()), {})
        names = [m for m in self.metrics if m in measured]
        digits = dict(PSNR=2)
        rows, summary = [], {}
        for name, b_values in bicubic.items():
            m_values = model[name]
            summary[name] = {}
            for metric in names:
                summary[name][f'model_{metric.lower()}'] = m_values[metric]
                summary[name][f'bicubic_{metric.lower()}'] = b_values[metric]
            rows.append(f'{name:<10}' + ''.join(
                f' {values[m]:>8.{digits.get(m, 4)}f}'
                for values in (b_values, m_values) for m in names))
        conv = (f'Y channel, crop {self.crop_border}' if self.test_y_channel
                else f'RGB, crop {self.crop_border}')
        lower = [m for m in names if m in ('NIQE', 'LPIPS')]
        if lower:
            conv += f'; lower is better for {", ".join(lower)}'
        width = 9 * len(names) - 1
        table = '\n'.join(
            [f'Result after {runner.iter} iterations ({conv}):',
             f'{"dataset":<10} {"bicubic":>{width}} {"model":>{width}}',
             f'{"":<10}' + ''.join(f' {m:>8}' for m in names) * 2] + rows)
        runner.logger.info('\n' + table)
        summary['iterations'] = runner.iter
        summary['conventions'] = conv
        write_summary(runner, summary, started=self._started)
