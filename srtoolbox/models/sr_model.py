"""SRModel: what one training iteration of a PSNR-oriented SR network does."""
import copy
import math
import os.path as osp

import torch
import torch.distributed as torch_dist
from mmengine.logging import MessageHub
from mmengine.model import BaseModel
from torch import nn

from ..registry import GENERATORS, LOSSES, MODELS
from ..utils.module_utils import unwrap_model

__all__ = ['SRModel', 'NonFiniteLossError', 'tensor2img', 'build_pixel_loss',
           'build_named_losses', 'resolve_channels_last',
           'checkpoint_advice']


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or Inf."""


def build_pixel_loss(cfg, key='model.pixel_loss'):
    """The loss of one config dict, None for None; a list is refused."""
    if cfg is None:
        return None
    if isinstance(cfg, (list, tuple)):
        raise TypeError(
            f'{key} takes one loss config, got a list of {len(cfg)}. For '
            'several losses, each with its weight and its own log name, use '
            "model.losses=dict(l1=dict(type='L1Loss', loss_weight=1.0), "
            "fft=dict(type='FFTLoss', loss_weight=0.05)) (logged as loss_l1 "
            f'and loss_fft) and set {key}=None')
    return LOSSES.build(cfg)


def build_named_losses(cfgs, reserved=()):
    """``nn.ModuleDict`` of ``name -> loss`` from ``model.losses``.

    Names become log keys (``loss_<name>``): identifiers, not one of
    ``reserved`` (the names the model's fixed slots log).
    """
    losses = nn.ModuleDict()
    if cfgs is None:
        return losses
    if not isinstance(cfgs, dict):
        raise TypeError(
            'model.losses must be a dict of name -> loss config, e.g. '
            "dict(l1=dict(type='L1Loss'), fft=dict(type='FFTLoss', "
            f"loss_weight=0.05)), got {type(cfgs).__name__}")
    for name, cfg in cfgs.items():
        if not (isinstance(name, str) and name.isidentifier()):
            raise ValueError(f'model.losses: {name!r} is not a valid name '
                             '(it is logged as loss_<name>: letters, digits '
                             'and _)')
        if name in reserved:
            raise ValueError(f'model.losses.{name}: loss_{name} is the log '
                             f'name of a fixed slot ({", ".join(reserved)}'
                             '); choose another name')
        if not isinstance(cfg, dict) or 'type' not in cfg:
            raise TypeError(f'model.losses.{name} must be a loss config '
                            f'with a type, got {cfg!r}')
        if hasattr(nn.ModuleDict, name):
            raise ValueError(f'model.losses: {name!r} is reserved by torch '
                             '(nn.ModuleDict); choose another name')
        losses[name] = build_pixel_loss(cfg, f'model.losses.{name}')
    return losses


def resolve_channels_last(channels_last, data_preprocessor=None):
    """The model's ``channels_last`` switch as a bool, told to the data
    preprocessor.

    ``'auto'``: on where the run's device (mmengine's ``get_device``) is a
    CPU or a CUDA GPU; an explicit ``data_preprocessor.channels_last`` of an
    older config wins over ``'auto'``. Two explicit values that disagree
    are refused.
    """
    pre = getattr(data_preprocessor, 'channels_last', None)
    if channels_last == 'auto':
        if isinstance(pre, bool):
            channels_last = pre
        else:
            from mmengine.device import get_device
            channels_last = get_device() in ('cpu', 'cuda')
    elif not isinstance(channels_last, bool):
        raise ValueError("model.channels_last must be True, False or "
                         f"'auto', got {channels_last!r}")
    elif isinstance(pre, bool) and pre != channels_last:
        raise ValueError(
            f'model.channels_last={channels_last} but '
            f'model.data_preprocessor.channels_last={pre}: set '
            'model.channels_last alone (the data preprocessor follows it)')
    if data_preprocessor is not None and hasattr(data_preprocessor,
                                                 'channels_last'):
        data_preprocessor.channels_last = channels_last
    return channels_last


def _same_range(a, b):
    return len(a) == len(b) == 2 and all(
        math.isclose(float(x), float(y)) for x, y in zip(a, b))


def _distributed():
    return torch_dist.is_available() and torch_dist.is_initialized() and \
        torch_dist.get_world_size() > 1


def _count_over_ranks(flag, model):
    """``flag`` (0-dim, 0 or 1) summed over the processes of a DDP run."""
    if _distributed():
        param = next(model.parameters(), None)
        if param is not None:
            flag = flag.to(param.device)
        torch_dist.all_reduce(flag)
    return int(flag.item())


def _nonfinite_names(log_vars):
    bad = []
    for key, value in log_vars.items():
        if isinstance(value, torch.Tensor):
            if value.numel() != 1:
                if not torch.isfinite(value).all():
                    bad.append(f'{key} (non-finite values)')
                continue
            value = float(value.detach())
        if isinstance(value, float) and not math.isfinite(value):
            bad.append(f'{key}={value}')
    return ', '.join(bad)


def checkpoint_advice(bad_iter):
    """Which kept checkpoints predate the non-finite loss of 0-based
    iteration ``bad_iter`` (weights after ``bad_iter`` updates gave it), from
    the list the checkpoint hook keeps in the message hub; '' without one.
    """
    saved = MessageHub.get_current_instance().get_info('saved_checkpoints')
    if saved is None:
        return ''
    saved = [(int(step), path) for step, path in saved if osp.isfile(path)]
    good = [(step, path) for step, path in saved if step < bad_iter]
    suspect = [path for step, path in saved if step >= bad_iter]
    if good:
        step, path = max(good)
        text = (f'The last checkpoint from before the non-finite loss is '
                f'{path} (iteration {step}): resume from it with a lower '
                'learning rate.')
    else:
        text = (f'No checkpoint from before iteration {bad_iter + 1} is '
                'kept.')
    if suspect:
        text += (f' {", ".join(suspect)} hold(s) the weights that gave the '
                 'non-finite loss: do not use them.')
    return text


def tensor2img(tensor):
    """(3, H, W) float in [0, 1] -> (H, W, 3) uint8 RGB, rounded, clamped."""
    img = tensor.detach().float().clamp_(0, 1).mul_(255.0).round_()
    return img.to(torch.uint8).permute(1, 2, 0).cpu().numpy()


@MODELS.register_module()
class SRModel(BaseModel):
    """Generator + content losses + one optimizer (SRResNet, EDSR, RCAN, ...).

    Args:
        generator (dict): config of a network in ``GENERATORS``.
        pixel_loss (dict | None): config of one loss in ``LOSSES`` (e.g.
            MSELoss), logged as ``loss_pix``.
        data_preprocessor (dict): default ``SRDataPreprocessor``.
        ema_decay (float | None): keep an exponential moving average of the
            generator (``generator_ema``), used for validation and saved in
            checkpoints. ``None`` disables it.
        channels_last (bool | str): channels-last memory format for the
            networks and the batches (a layout change, not a numerics one:
            faster convolutions with oneDNN on CPUs and cuDNN on GPUs).
            ``'auto'``: on for CPU and CUDA, off elsewhere. The data
            preprocessor follows this switch; an older config that sets
            ``data_preprocessor.channels_last`` alone is followed instead.
            Default: ``'auto'``.
        nonfinite_loss (str): ``'raise'`` stops training with a message
            naming the loss, the iteration and the last checkpoint saved
            before it; ``'skip'`` skips the step. Under DDP the processes
            agree first (a NaN on one rank skips the step on all).
        init_cfg (dict | None): mmengine init config.
        losses (dict | None): more content losses, ``name -> loss config``,
            each logged as ``loss_<name>``, e.g. ``dict(l1=dict(
            type='L1Loss', loss_weight=1.0), fft=dict(type='FFTLoss',
            loss_weight=0.05))`` logs ``loss_l1`` and ``loss_fft``. Each is
            called as ``loss(output, gt)``, both in ``gt_range``.
        max_consecutive_skips (int | None): with ``nonfinite_loss='skip'``,
            stop with :class:`NonFiniteLossError` after this many
            consecutive iterations whose losses were non-finite (training
            that does not recover). None: never. Default: 100.

    Value ranges are checked when the model is built: a generator that
    declares ``output_range`` (MSRResNet's bilinear skip and EDSR's mean
    shift assume [0, 1]) and every loss with an ``input_range`` (the VGG
    perceptual loss) must agree with ``data_preprocessor.gt_range``.

    Checkpoint layout: ``state_dict`` keys ``generator.*`` (and
    ``generator_ema.*``), what :mod:`srtoolbox.apis` loads.
    """

    def __init__(self, generator, pixel_loss=None, data_preprocessor=None,
                 ema_decay=None, channels_last='auto', nonfinite_loss='raise',
                 init_cfg=None, losses=None, max_consecutive_skips=100):
        if data_preprocessor is None:
            data_preprocessor = dict(type='SRDataPreprocessor')
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.generator = GENERATORS.build(generator)
        self.pixel_loss = build_pixel_loss(pixel_loss)
        self.losses = build_named_losses(losses, reserved=self.LOSS_SLOTS)
        if nonfinite_loss not in ('raise', 'skip'):
            raise ValueError("nonfinite_loss must be 'raise' or 'skip', got "
                             f'{nonfinite_loss!r}')
        if max_consecutive_skips is not None and not (
                isinstance(max_consecutive_skips, int)
                and max_consecutive_skips >= 1):
            raise ValueError('max_consecutive_skips must be an integer >= 1 '
                             f'or None, got {max_consecutive_skips!r}')
        self.nonfinite_loss = nonfinite_loss
        self.max_consecutive_skips = max_consecutive_skips
        # 0-based iteration since which the losses have been non-finite
        # (None: the last check was finite); the checkpoint hook reads it
        self.nonfinite_since = None
        self._skipped_iters = set()
        self.ema_decay = ema_decay
        if ema_decay is not None:
            if not 0 < ema_decay < 1:
                raise ValueError(f'ema_decay must be in (0, 1), got '
                                 f'{ema_decay}')
            self.generator_ema = copy.deepcopy(self.generator)
            self.generator_ema.requires_grad_(False)
            self.generator_ema.eval()
        self.channels_last = resolve_channels_last(channels_last,
                                                   self.data_preprocessor)
        self.apply_memory_format()
        self.check_value_ranges()

    # names logged by the fixed slots (loss_<slot>); model.losses may not
    # reuse them
    LOSS_SLOTS = ('pix', 'perceptual', 'gan', 'd_real', 'd_fake')

    def apply_memory_format(self):
        """Put every network in channels-last format when switched on."""
        if self.channels_last:
            self.to(memory_format=torch.channels_last)

    def check_value_ranges(self):
        """Raise ``ValueError`` naming the config keys whose value ranges
        disagree with ``data_preprocessor.gt_range`` (see the class
        docstring)."""
        gt_range = getattr(self.data_preprocessor, 'gt_range', None)
        if gt_range is None:
            return
        problems = []
        generator = unwrap_model(self.generator)
        out_range = getattr(generator, 'output_range', None)
        if out_range is not None and not _same_range(out_range, gt_range):
            problems.append(
                f'model.generator ({type(generator).__name__}) works on '
                f'images in {tuple(out_range)} (its output_range)')
        for name, module in self.named_modules():
            in_range = getattr(module, 'input_range', None)
            if name and in_range is not None and not _same_range(
                    in_range, gt_range):
                problems.append(f'model.{name}.input_range is '
                                f'{tuple(in_range)}')
        if problems:
            raise ValueError(
                'value ranges disagree: model.data_preprocessor.gt_range is '
                f'{tuple(gt_range)}, but ' + '; '.join(problems) + '. The '
                'network output, the HR targets and the losses must use one '
                'range: set them equal in the config.')

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
        losses = self.content_losses(output.float(), data_samples['gt'])
        if not losses:
            raise ValueError(f'{type(self).__name__} has no loss to train '
                             'with: set model.pixel_loss or model.losses')
        return losses

    def content_losses(self, output, gt):
        """``loss_pix`` and every ``loss_<name>`` of ``model.losses``.

        Args:
            output (Tensor): ``(N, C, H, W)`` float, in ``gt_range``.
            gt (Tensor): the HR batch, same shape and range.

        Returns:
            dict[str, Tensor]: scalar losses, already weighted.
        """
        losses = {}
        if self.pixel_loss is not None:
            losses['loss_pix'] = self.pixel_loss(output, gt)
        for name, loss in self.losses.items():
            losses[f'loss_{name}'] = loss(output, gt)
        return losses

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
        """True when every logged loss is finite on every process; else
        False (``'skip'``) or :class:`NonFiniteLossError`.

        One flag per process, summed across processes under DDP (so all
        ranks skip or raise together, before any of them reaches the next
        gradient all-reduce); one host synchronisation.
        """
        host_ok, device_values = True, []
        for value in log_vars.values():
            if isinstance(value, torch.Tensor):
                if value.device.type == 'cpu' and value.numel() == 1:
                    host_ok = host_ok and math.isfinite(value.item())
                else:  # checked on the device, synchronised once below
                    device_values.append(value.detach().reshape(-1).float())
            elif isinstance(value, float):
                host_ok = host_ok and math.isfinite(value)
        if device_values or _distributed():
            bad = torch.tensor(0.0 if host_ok else 1.0)
            if device_values:
                values = torch.cat(device_values)
                bad = bad.to(values.device) + \
                    (~torch.isfinite(values).all()).float()
            bad_ranks = _count_over_ranks(bad, self)
        else:  # CPU scalars, one process: no tensor work at all
            bad_ranks = 0 if host_ok else 1
        if bad_ranks == 0:
            self.nonfinite_since = None
            self._skipped_iters.clear()
            return True
        it = self._iteration()
        if self.nonfinite_since is None:
            self.nonfinite_since = it
        names = _nonfinite_names(log_vars)
        where = names if names else 'on another process'
        if self.nonfinite_loss == 'skip':
            MessageHub.get_current_instance().update_scalar(
                'train/skipped_steps', 1)
            self._skipped_iters.add(it)
            limit = self.max_consecutive_skips
            if limit is not None and len(self._skipped_iters) >= limit:
                raise NonFiniteLossError(
                    f'{len(self._skipped_iters)} consecutive iterations with '
                    f'a non-finite loss (since iteration '
                    f'{self.nonfinite_since + 1}; now {where}): training is '
                    'not recovering (model.max_consecutive_skips='
                    f'{limit}). {checkpoint_advice(self.nonfinite_since)}')
            return False
        raise NonFiniteLossError(
            f'non-finite loss at iteration {it + 1}: {where}. Lower the '
            "learning rate, check the data, or set model.nonfinite_loss='skip'"
            f'. {checkpoint_advice(it)}')

    def _iteration(self):
        """The runner's iteration (0-based), or a local count without one."""
        it = MessageHub.get_current_instance().get_info('iter')
        return getattr(self, '_local_iter', 0) if it is None else it

    @torch.no_grad()
    def update_ema(self):
        if self.ema_decay is None:
            return
        src = unwrap_model(self.generator)
        # one multi-tensor kernel instead of one launch per tensor (the
        # same arithmetic, bit for bit)
        torch._foreach_lerp_(
            [p for p in self.generator_ema.parameters()],
            [p.detach() for p in src.parameters()], 1 - self.ema_decay)
        ema_buffers = list(self.generator_ema.buffers())
        if ema_buffers:
            torch._foreach_copy_(ema_buffers, list(src.buffers()))

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
