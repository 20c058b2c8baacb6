"""Hooks that write images: validation comparisons and test outputs."""
import os.path as osp
import time

import numpy as np
from mmengine.hooks import Hook

from ..registry import HOOKS
from ..utils.image_io import imwrite
from ..utils.matlab_imresize import imresize

__all__ = ['SRVisualizationHook', 'SaveSRImagesHook', 'BicubicComparisonHook',
           'comparison_strip']


def comparison_strip(images, gap=4):
    """Concatenate HWC uint8 images of equal height, with white gaps."""
    height = max(img.shape[0] for img in images)
    parts = []
    for i, img in enumerate(images):
        if img.shape[0] != height:
            raise ValueError('comparison_strip needs images of equal height')
        if i:
            parts.append(np.full((height, gap, 3), 255, np.uint8))
        parts.append(img)
    return np.concatenate(parts, axis=1)


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
    import json

    from .results import atomic_write_text, run_provenance
    ckpt = None
    marker = osp.join(runner.work_dir, 'last_checkpoint')
    if osp.isfile(marker):
        with open(marker, encoding='utf-8') as f:
            ckpt = f.read().strip() or None
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
    """

    priority = 'VERY_LOW'

    def __init__(self, crop_border=4, test_y_channel=True):
        self.crop_border = crop_border
        self.test_y_channel = test_y_channel
        self.last_metrics = None
        self._started = None

    def before_run(self, runner):
        self._started = time.time()  # wall time in summary.json

    def after_val_epoch(self, runner, metrics=None):
        if metrics:
            self.last_metrics = dict(metrics)

    def bicubic_metrics(self, dataset):
        from ..evaluation.functional import calculate_psnr, calculate_ssim
        from ..models.sr_model import tensor2img
        groups = {}
        for i in range(len(dataset)):
            item = dataset[i]
            lq = tensor2img(item['inputs'])
            gt = tensor2img(item['data_samples']['gt'])
            bic = imresize(lq, gt.shape[0] // lq.shape[0])
            name = item['data_samples'].get('dataset', 'val')
            psnr = calculate_psnr(bic, gt, self.crop_border,
                                  self.test_y_channel)
            ssim = calculate_ssim(bic, gt, self.crop_border,
                                  self.test_y_channel)
            groups.setdefault(name, []).append((psnr, ssim))
        return {name: (float(np.mean([v[0] for v in values])),
                       float(np.mean([v[1] for v in values])))
                for name, values in groups.items()}

    def after_train(self, runner):
        import json
        from mmengine.dist import is_main_process
        if self.last_metrics is None or not is_main_process():
            return
        bicubic = self.bicubic_metrics(runner.val_dataloader.dataset)
        rows, summary = [], {}
        for name, (b_psnr, b_ssim) in bicubic.items():
            psnr = self.last_metrics.get(f'{name}/PSNR')
            ssim = self.last_metrics.get(f'{name}/SSIM')
            summary[name] = dict(model_psnr=psnr, model_ssim=ssim,
                                 bicubic_psnr=b_psnr, bicubic_ssim=b_ssim)
            rows.append(f'{name:<10} {b_psnr:>8.2f} {b_ssim:>8.4f}   '
                        f'{psnr if psnr is not None else float("nan"):>8.2f} '
                        f'{ssim if ssim is not None else float("nan"):>8.4f}')
        conv = (f'Y channel, crop {self.crop_border}' if self.test_y_channel
                else f'RGB, crop {self.crop_border}')
        table = '\n'.join(
            [f'Result after {runner.iter} iterations ({conv}):',
             f'{"dataset":<10} {"bicubic":>8} {"":>8}   {"model":>8}',
             f'{"":<10} {"PSNR":>8} {"SSIM":>8}   {"PSNR":>8} {"SSIM":>8}'] +
            rows)
        runner.logger.info('\n' + table)
        summary['iterations'] = runner.iter
        summary['conventions'] = conv
        write_summary(runner, summary, started=self._started)
