"""TensorBoard logging through mmengine's ``TensorboardVisBackend``.

One switch (``tools/train.py --tensorboard`` or ``tensorboard = True`` in a
config; ``pip install -e '.[tensorboard]'``) adds the backend to the run's
visualizer: mmengine's ``LoggerHook`` then writes the losses, learning rate
and validation metrics to ``<work_dir>/<timestamp>/vis_data/`` as event
files, and :class:`ValImagesToVisualizerHook` adds the validation strips
(``bicubic | SR | HR``) that ``SRVisualizationHook`` saved.

    tensorboard --logdir work_dirs/msrresnet_x4_demo
"""
from __future__ import annotations

import glob
import os.path as osp

from mmengine.hooks import Hook

from ..registry import HOOKS
from ..utils.image_io import imread

__all__ = ['enable_tensorboard', 'ValImagesToVisualizerHook']


@HOOKS.register_module()
class ValImagesToVisualizerHook(Hook):
    """After each validation, hand the strips saved in
    ``<work_dir>/vis/iter_<N>/`` to the visualizer's backends (TensorBoard's
    image tab), tagged ``val/<file name>`` at step N."""

    priority = 'LOWEST'  # after SRVisualizationHook wrote them

    def after_val_epoch(self, runner, metrics=None):
        folder = osp.join(runner.work_dir, 'vis', f'iter_{runner.iter}')
        for path in sorted(glob.glob(osp.join(folder, '*.png'))):
            name = osp.splitext(osp.basename(path))[0]
            runner.visualizer.add_image(f'val/{name}', imread(path),
                                        step=runner.iter)


def enable_tensorboard(cfg) -> None:
    """Add TensorBoard to ``cfg``'s visualizer and the image hook.

    Raises:
        ImportError: tensorboard is not installed (names the extra).
    """
    try:
        import tensorboard  # noqa: F401 (optional: checks it is installed)
    except ImportError:
        raise ImportError(
            "--tensorboard needs the tensorboard package: pip install -e "
            "'.[tensorboard]' (or pip install tensorboard)") from None
    vis = dict(cfg.get('visualizer') or dict(type='Visualizer'))
    backends = list(vis.get('vis_backends') or [dict(type='LocalVisBackend')])
    if not any(b.get('type') == 'TensorboardVisBackend' for b in backends):
        backends.append(dict(type='TensorboardVisBackend'))
    vis['vis_backends'] = backends
    cfg.visualizer = vis
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(h.get('type') == 'ValImagesToVisualizerHook' for h in hooks):
        hooks.append(dict(type='ValImagesToVisualizerHook'))
    cfg.custom_hooks = hooks
