"""SRModel: what one training iteration of a PSNR-oriented SR network does."""
import copy
import math

import torch
from mmengine.logging import MessageHub
from mmengine.model import BaseModel

from ..registry import GENERATORS, LOSSES, MODELS
from ..utils.module_utils import unwrap_model

__all__ = ['SRModel', 'NonFiniteLossError', 'tensor2img']


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or Inf."""


def tensor2img(tensor):
    """(3, H, W) float in [0, 1] -> (H, W, 3) uint8 RGB, rounded, clamped."""
    img = tensor.detach().float().clamp_(0, 1).mul_(255.0).round_()
    return img.to(torch.uint8).permute(1, 2, 0).cpu().numpy()


@MODELS.register_module()
class SRModel(BaseModel):
    """Generator + pixel loss + one optimizer (SRResNet, EDSR, RCAN, ...).

    Args:
        generator (dict): config of a network in ``GENERATORS``.
        pixel_loss (dict): config of a loss in ``LOSSES`` (e.g. MSELoss).
        data_preprocessor (dict): default ``SRDataPreprocessor``.
        ema_decay (float | None): keep an exponential moving average of the
            generator (``generator_ema``), used for validation and saved in
            checkpoints. ``None`` disables it.
        channels_last (bool): convert the networks to channels-last memory
            format (pair with ``data_preprocessor.channels_last``).
        nonfinite_loss (str): ``'raise'`` stops training with a message
            naming the loss and the iteration; ``'skip'`` skips the step.
        init_cfg (dict | None): mmengine init config.

    Checkpoint layout: ``state_dict`` keys ``generator.*`` (and
    ``generator_ema.*``), what :mod:`srtoolbox.apis` loads.
    """

    def __init__(self, generator, pixel_loss=None, data_preprocessor=None,
                 ema_decay=None, channels_last=False, nonfinite_loss='raise',
                 init_cfg=None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='SRDataPreprocessor')
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.generator = GENERATORS.build(generator)
        self.pixel_loss = LOSSES.build(pixel_loss) if pixel_loss else None
        if nonfinite_loss not in ('raise', 'skip'):
            raise ValueError("nonfinite_loss must be 'raise' or 'skip', got "
                             f'{nonfinite_loss!r}')
        self.nonfinite_loss = nonfinite_loss
        self.ema_decay = ema_decay
        if ema_decay is not None:
            if not 0 < ema_decay < 1:
                raise ValueError(f'ema_decay must be in (0, 1), got '
                                 f'{ema_decay}')
            self.generator_ema = copy.deepcopy(self.generator)
            self.generator_ema.requires_grad_(False)
            self.generator_ema.eval()
        self.channels_last = channels_last
        if channels_last:
            self.to(memory_format=torch.channels_last)

    # ------------------------------------------------------------------ run
    @property
    def inference_generator(self):
        """The network used for validation/test: the EMA copy if any."""
        return getattr(self, 'generator_ema', self.generator)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        if mode == 'loss':
            return self.compute_losses(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.generator(inputs)
        raise ValueError(f"mode must be 'loss', 'predict' or 'tensor', got "
                         f'{mode!r}')

    def compute_losses(self, inputs, data_samples):
        output = self.generator(inputs)
        return dict(loss_pix=self.pixel_loss(output.float(),
                                             data_samples['gt']))

    def train_step(self, data, optim_wrapper):
        with optim_wrapper.optim_context(self):
            data = self.data_preprocessor(data, True)
            losses = self._run_forward(data, mode='loss')
        parsed, log_vars = self.parse_losses(losses)
        if self.check_finite(log_vars):
            optim_wrapper.update_params(parsed)
            self.update_ema()
        return log_vars

    def check_finite(self, log_vars):
        """False (skip) or raise when a logged loss is NaN/Inf."""
        bad = {}
        for key, value in log_vars.items():
            # mmengine's parse_losses gives 0-dim tensors, GAN wrappers floats
            if isinstance(value, torch.Tensor) and value.numel() == 1:
                value = float(value.detach())
            if isinstance(value, float) and not math.isfinite(value):
                bad[key] = value
        if not bad:
            return True
        it = MessageHub.get_current_instance().get_info('iter', 0)
        names = ', '.join(f'{k}={v}' for k, v in bad.items())
        if self.nonfinite_loss == 'skip':
            MessageHub.get_current_instance().update_scalar(
                'train/skipped_steps', 1)
            return False
        raise NonFiniteLossError(
            f'non-finite loss at iteration {it + 1}: {names}. Lower the '
            "learning rate, check the data, or set model.nonfinite_loss='skip'")

    @torch.no_grad()
    def update_ema(self):
        if self.ema_decay is None:
            return
        src = unwrap_model(self.generator)
        for ema_p, p in zip(self.generator_ema.parameters(),
                            src.parameters()):
            ema_p.lerp_(p.detach(), 1 - self.ema_decay)
        for ema_b, b in zip(self.generator_ema.buffers(), src.buffers()):
            ema_b.copy_(b)

    @torch.no_grad()
    def predict(self, inputs, data_samples=None):
        """Per-sample dicts: ``pred``/``gt``/``lq`` as HWC uint8 RGB."""
        net = self.inference_generator
        output = net(inputs).float()
        output = self.data_preprocessor.output_to_unit(output)
        results = []
        for i in range(output.shape[0]):
            res = dict(pred=tensor2img(output[i]), lq=tensor2img(inputs[i]))
            if data_samples is not None:
                for key, value in data_samples.items():
                    if key == 'gt_unit':
                        res['gt'] = tensor2img(value[i])
                    elif key != 'gt' and isinstance(value, (list, tuple)):
                        res[key] = value[i]
            results.append(res)
        return results
