"""After training on synthetic degradations: labelled strips of a fixed
degraded validation set and of real photographs with no HR.

Use it with ``custom_imports=dict(imports=['srtoolbox.engine.
degraded_strips_hook'])`` (see ``configs/realesrgan/
realesr_compact_x4_demo.py``).
"""
import os
import os.path as osp

import numpy as np
import torch
from mmengine.hooks import Hook

from mmengine.dist import is_main_process

from ..evaluation.niqe import calculate_niqe
from ..models.sr_model import tensor2img
from ..registry import HOOKS
from ..utils.image_io import imread, imwrite
from ..utils.matlab_imresize import imresize
from ..utils.visualization import comparison_strip

__all__ = ['DegradedStripsHook']


def _images(folder):
    if not folder or not osp.isdir(folder):
        return []
    return sorted(n for n in os.listdir(folder)
                  if n.lower().endswith(('.png', '.jpg', '.jpeg', '.bmp')))


@HOOKS.register_module()
class DegradedStripsHook(Hook):
    """Write ``LR | bicubic | model | HR`` strips of ``lq_folder`` /
    ``gt_folder`` pairs and ``LR | bicubic | model`` strips of the photos in
    ``real_folder`` to ``<work_dir>/strips/`` when training ends, and log
    NIQE (lower is more natural) of bicubic and model outputs of the real
    photographs.

    Args:
        lq_folder, gt_folder (str): paired LR/HR images (same file names).
        real_folder (str | None): LR photographs without HR.
        scale (int): SR scale.
    """

    priority = 'VERY_LOW'

    def __init__(self, lq_folder, gt_folder, real_folder=None, scale=4):
        self.lq_folder = lq_folder
        self.gt_folder = gt_folder
        self.real_folder = real_folder
        self.scale = scale

    @torch.no_grad()
    def _super_resolve(self, model, lq):
        net = model.inference_generator
        param = next(net.parameters())
        x = torch.from_numpy(np.ascontiguousarray(lq.transpose(2, 0, 1)))
        x = x[None].to(param.device, torch.float32) / 255
        was_training = net.training
        net.eval()
        try:
            out = model.data_preprocessor.output_to_unit(net(x).float())
        finally:
            net.train(was_training)
        return tensor2img(out[0])

    def _panels(self, model, lq):
        s = self.scale
        nearest = lq.repeat(s, 0).repeat(s, 1)
        return [nearest, imresize(lq, s), self._super_resolve(model, lq)]

    def after_train(self, runner):
        if not is_main_process():
            return
        model = getattr(runner.model, 'module', runner.model)
        folder = osp.join(runner.work_dir, 'strips')
        written = []
        for name in _images(self.lq_folder):
            lq = imread(osp.join(self.lq_folder, name))
            gt = imread(osp.join(self.gt_folder, name))
            strip = comparison_strip(self._panels(model, lq) + [gt])
            path = osp.join(folder, f'val_{osp.splitext(name)[0]}.png')
            imwrite(strip, path)
            written.append(path)
        lines = []
        for name in _images(self.real_folder):
            lq = imread(osp.join(self.real_folder, name))
            panels = self._panels(model, lq)
            path = osp.join(folder, f'real_{osp.splitext(name)[0]}.png')
            imwrite(comparison_strip(panels), path)
            written.append(path)
            try:
                lines.append(
                    f'{name}: NIQE bicubic {calculate_niqe(panels[1]):.2f}, '
                    f'model {calculate_niqe(panels[2]):.2f} (lower is more '
                    'natural)')
            except ValueError as err:
                lines.append(f'{name}: no NIQE ({err})')
        runner.logger.info(
            f'LR | bicubic | model | HR strips: {len(written)} in {folder}'
            + ''.join('\n' + line for line in lines))
