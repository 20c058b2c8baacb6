"""Compare a GAN-trained generator with the network it started from.

After SRGAN training, :class:`ReferenceComparisonHook` prints PSNR/SSIM (and
NIQE, LPIPS if asked: ``metrics=['PSNR', 'SSIM', 'NIQE']``) of bicubic
upsampling, of a reference generator (the SRResNet the SRGAN was
initialised from) and of the trained model on the last validation images,
and writes ``bicubic | reference | model | HR`` crops side by side, so the
perceptual difference the numbers do not show can be seen.
"""
import copy
import os.path as osp

import numpy as np
import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from ..evaluation.scorers import metric_functions
from ..models.sr_model import tensor2img
from ..models.weights import load_pretrained_generator
from ..registry import HOOKS
from ..utils.image_io import imwrite
from ..utils.matlab_imresize import imresize
from ..utils.module_utils import unwrap_model
from ..utils.visualization import comparison_strip
from .hooks import write_summary

__all__ = ['ReferenceComparisonHook', 'center_crop', 'format_comparison']


def center_crop(img, size):
    """The central ``size`` x ``size`` crop of an HWC image (or all of it)."""
    h, w = img.shape[:2]
    ch, cw = min(size, h), min(size, w)
    top, left = (h - ch) // 2, (w - cw) // 2
    return img[top:top + ch, left:left + cw]


_DIGITS = dict(PSNR=2, SSIM=4, NIQE=4, LPIPS=4)


def format_comparison(table, names, conventions, metrics=('PSNR', 'SSIM')):
    """Text table: one row per dataset, the metrics per method.

    Args:
        table (dict): ``{dataset: {method: (value per metric)}}``.
        names (list[str]): methods, in column order.
        metrics (sequence[str]): the metrics of each tuple, in order.
    """
    width = 9 * len(metrics) - 1
    head1 = f'{"dataset":<10}' + ''.join(
        f' {n[:width]:>{width}}' for n in names)
    head2 = f'{"":<10}' + ''.join(f' {m:>8}' for m in metrics) * len(names)
    rows = [f'{dataset:<10}' + ''.join(
        f' {v:>8.{_DIGITS.get(m, 4)}f}'
        for n in names for m, v in zip(metrics, values[n]))
        for dataset, values in table.items()]
    lower = [m for m in metrics if m in ('NIQE', 'LPIPS')]
    note = f'; lower is better for {", ".join(lower)}' if lower else ''
    return '\n'.join([f'{"/".join(metrics)} ({conventions}{note}):', head1,
                      head2] + rows)


@HOOKS.register_module()
class ReferenceComparisonHook(Hook):
    """At the end of training, compare bicubic, a reference generator and
    the trained model on the images of the last validation.

    Prints a table of ``metrics``, saves it to ``<work_dir>/comparison.json``
    and
    writes ``bicubic | reference | model | HR`` strips of the central
    ``crop_size`` HR crop to ``<work_dir>/comparison/<dataset>_<key>.png``.
    The reference network has the trained generator's architecture and
    output range (``gt_range``), with weights from ``reference``.

    Args:
        reference (str | None): checkpoint file, or a work dir whose
            ``last_checkpoint`` names one. Default: the model's
            ``pretrained_generator`` (the network SRGAN started from).
        reference_name (str): its column label. Default: ``'SRResNet'``.
        model_name (str | None): the model's label; default: its class.
        crop_size (int): HR crop side of the strips. Default: 128.
        num_images (int | None): strips to write; None writes all.
        crop_border (int), test_y_channel (bool): metric conventions, as the
            validation metrics. Defaults: 4, True.
        metrics (sequence[str]): columns per method, any of ``'PSNR'``,
            ``'SSIM'``, ``'NIQE'`` (no reference; an image too small for it
            counts as NaN, with a warning) and ``'LPIPS'`` (left out with
            one line when its weights are absent). Default: PSNR, SSIM.
    """

    priority = 'VERY_LOW'

    def __init__(self, reference=None, reference_name='SRResNet',
                 model_name=None, crop_size=128, num_images=None,
                 crop_border=4, test_y_channel=True,
                 metrics=('PSNR', 'SSIM')):
        metric_functions(metrics)  # an unknown name fails at build time
        self.reference = reference
        self.reference_name = reference_name
        self.model_name = model_name
        self.crop_size = crop_size
        self.num_images = num_images
        self.crop_border = crop_border
        self.test_y_channel = test_y_channel
        self.metrics = tuple(metrics)
        self.measured = self.metrics
        self._outputs = []

    def before_val_epoch(self, runner):
        self._outputs = []

    def after_val_iter(self, runner, batch_idx, data_batch=None,
                       outputs=None):
        for out in outputs or []:
            if 'gt' in out:
                self._outputs.append(
                    {k: out[k] for k in ('pred', 'gt', 'lq', 'key', 'dataset')
                     if k in out})

    def reference_network(self, model):
        """The trained generator's architecture with the reference weights."""
        path = self.reference or getattr(model, 'pretrained_generator', None)
        if path is None:
            raise ValueError('ReferenceComparisonHook: no reference given and '
                             'the model has no pretrained_generator')
        net = copy.deepcopy(unwrap_model(model.generator))
        file = load_pretrained_generator(net, path).source
        return net.eval(), file

    @torch.no_grad()
    def compare(self, model, work_dir, logger=None):
        """The table ``{dataset: {method: (value per metric)}}`` and the
        method names; writes strips. The measured metrics are in
        ``self.measured`` (``self.metrics`` less any skipped)."""
        funcs, skipped = metric_functions(self.metrics, self.crop_border,
                                          self.test_y_channel)
        warn = logger.warning if logger is not None else print
        for reason in skipped.values():
            warn(reason)
        self.measured = tuple(funcs)
        reference, _ = self.reference_network(model)
        device = next(reference.parameters()).device
        model_name = self.model_name or type(model).__name__
        names = ['bicubic', self.reference_name, model_name]
        scores = {}
        for i, out in enumerate(self._outputs):
            lq, gt = out['lq'], out['gt']
            lq_t = torch.from_numpy(lq.transpose(2, 0, 1).copy()).float()
            lq_t = lq_t.div(255.).unsqueeze(0).to(device)
            ref = model.data_preprocessor.output_to_unit(
                reference(lq_t).float())
            images = {
                'bicubic': imresize(lq, gt.shape[0] // lq.shape[0]),
                self.reference_name: tensor2img(ref[0]),
                model_name: out['pred'],
            }
            per_method = scores.setdefault(out.get('dataset', 'val'), {})
            for name, img in images.items():
                values = []
                for metric, func in funcs.items():
                    try:
                        values.append(func(img, gt))
                    except ValueError as err:  # e.g. too small for NIQE
                        warn(f'{metric} of {name} on '
                             f'{out.get("dataset", "val")}/'
                             f'{out.get("key", i)} counts as NaN: {err}')
                        values.append(float('nan'))
                per_method.setdefault(name, []).append(tuple(values))
            if self.num_images is None or i < self.num_images:
                strip = comparison_strip(
                    [center_crop(images[n], self.crop_size) for n in names] +
                    [center_crop(gt, self.crop_size)])
                key = str(out.get('key', i)).replace('/', '__')
                imwrite(strip, osp.join(work_dir, 'comparison',
                                        f"{out.get('dataset', 'val')}_"
                                        f'{key}.png'))

        def mean(column):
            column = [v for v in column if not np.isnan(v)]
            return float(np.mean(column)) if column else float('nan')
        return {dataset: {n: tuple(mean(v) for v in zip(*values))
                          for n, values in methods.items()}
                for dataset, methods in scores.items()}, names

    def after_train(self, runner):
        if not is_main_process():
            return
        if not self._outputs:
            runner.logger.warning(
                'ReferenceComparisonHook: no validation ran, nothing to '
                'compare (make val_interval divide max_iters)')
            return
        model = unwrap_model(runner.model)
        table, names = self.compare(model, runner.work_dir, runner.logger)
        conv = (f'Y channel, crop {self.crop_border}' if self.test_y_channel
                else f'RGB, crop {self.crop_border}')
        runner.logger.info(
            f'\nAfter {runner.iter} iterations, on the last validation\'s '
            'images:\n' + format_comparison(table, names, conv,
                                            self.measured) +
            f'\nStrips (bicubic | {" | ".join(names[1:])} | HR): '
            f'{osp.join(runner.work_dir, "comparison")}')
        keys = [m.lower() for m in self.measured]
        summary = {dataset: {n: dict(zip(keys, values))
                             for n, values in methods.items()}
                   for dataset, methods in table.items()}
        summary['iterations'] = runner.iter
        summary['conventions'] = conv
        write_summary(runner, summary, name='comparison.json')
