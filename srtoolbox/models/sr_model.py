"""SRModel: what one training iteration of a PSNR-oriented SR network does.

The pieces every training wrapper shares live here: ``prepare_batch`` (the
data step), the content losses and the target each one compares with
(``model.losses.<name>.target``), the pretrained generator, and the
training state a step keeps beside the weights (:meth:`training_state`,
saved in the checkpoint for an exact ``--resume``). What happens when a
loss is NaN or Inf is the engine's business
(:mod:`srtoolbox.engine.nonfinite`): the optim wrapper skips such a step
and says so (``last_step_skipped``), and the EMA follows it.
"""
import copy
import math
from typing import (Any, ClassVar, Dict, List, Mapping, Optional, Tuple,
                    Union, cast)

import numpy as np
import torch
from mmengine.device import get_device
from mmengine.logging import MessageHub, print_log
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from torch import nn

from ..registry import GENERATORS, MODELS
from ..utils.module_utils import unwrap_model
from .loss_builders import build_named_losses, build_pixel_loss, pop_target
from .weights.loading import load_pretrained

__all__ = ['SRModel', 'tensor2img', 'build_pixel_loss',
           'build_named_losses', 'resolve_channels_last', 'pop_target']

# state-dict prefix of the training state (counters, the pair pool)
TRAIN_STATE = 'train_state.'


def resolve_channels_last(channels_last: Union[bool, str],
                          data_preprocessor: Optional[nn.Module] = None
                          ) -> bool:
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
        # a plain attribute: torch types Module.__setattr__ for tensors and
        # modules only
        data_preprocessor.channels_last = \
            channels_last  # type: ignore[assignment]
    return channels_last


def _same_range(a, b):
    return len(a) == len(b) == 2 and all(
        math.isclose(float(x), float(y)) for x, y in zip(a, b))


def tensor2img(tensor: torch.Tensor) -> np.ndarray:
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
        init_cfg (dict | None): mmengine init config.
        losses (dict | None): more content losses, ``name -> loss config``,
            each logged as ``loss_<name>``, e.g. ``dict(l1=dict(
            type='L1Loss', loss_weight=1.0), fft=dict(type='FFTLoss',
            loss_weight=0.05))`` logs ``loss_l1`` and ``loss_fft``. Each is
            called as ``loss(output, target)``, both in ``gt_range``; the
            target is ``gt`` unless the entry names another with
            ``target=`` (``'gt_usm'`` in Real-ESRGAN models).
        pretrained_generator (str | dict | None): weights to start the
            generator (and its EMA copy) from, loaded when training starts:
            ``dict(path=..., strict=True, skip_mismatched=False)`` (a bare
            path is ``dict(path=path)``), any layout
            :func:`~.weights.read_generator_weights` reads. For x2 -> x4
            fine-tuning, ``skip_mismatched=['upsample.']`` keeps the
            upsampler's new tensors at their initialisation; see
            :func:`~.weights.loading.load_pretrained`.

    Value ranges are checked when the model is built: a generator that
    declares ``output_range`` (MSRResNet's bilinear skip and EDSR's mean
    shift assume [0, 1]) and every loss with an ``input_range`` (the VGG
    perceptual loss) must agree with ``data_preprocessor.gt_range``.

    Checkpoint layout: ``state_dict`` keys ``generator.*`` (and
    ``generator_ema.*``), what :mod:`srtoolbox.apis` loads.
    """

    def __init__(self, generator: dict, pixel_loss: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 ema_decay: Optional[float] = None,
                 channels_last: Union[bool, str] = 'auto',
                 init_cfg: Optional[dict] = None,
                 losses: Optional[Dict[str, dict]] = None,
                 pretrained_generator: Union[str, dict, None] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='SRDataPreprocessor')
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.generator = GENERATORS.build(generator)
        self.loss_targets: Dict[str, Optional[str]] = {}
        pixel_loss = self._pop_target('pix', pixel_loss, 'model.pixel_loss')
        self.pixel_loss = build_pixel_loss(pixel_loss)
        if isinstance(losses, dict):
            losses = {name: self._pop_target(name, cfg, f'model.losses.{name}')
                      for name, cfg in losses.items()}
        self.losses = build_named_losses(losses, reserved=self.LOSS_SLOTS)
        self.ema_decay = ema_decay
        if ema_decay is not None:
            if not 0 < ema_decay < 1:
                raise ValueError(f'ema_decay must be in (0, 1), got '
                                 f'{ema_decay}')
            self.generator_ema = copy.deepcopy(self.generator)
            self.generator_ema.requires_grad_(False)
            self.generator_ema.eval()
        self.pretrained_cfg = _pretrained_cfg(pretrained_generator)
        # the path alone, for the hooks that compare with it
        self.pretrained_generator = (self.pretrained_cfg or {}).get('path')
        self.channels_last = resolve_channels_last(channels_last,
                                                   self.data_preprocessor)
        self.apply_memory_format()
        self.check_value_ranges()

    # names logged by the fixed slots (loss_<slot>); model.losses may not
    # reuse them
    LOSS_SLOTS = ('pix', 'perceptual', 'gan', 'd_real', 'd_fake')
    # the batches prepare_batch makes, which a loss may name as its target
    TARGETS: ClassVar[Tuple[str, ...]] = ('gt', )

    def _pop_target(self, name, cfg, key):
        cfg, self.loss_targets[name] = pop_target(cfg, key, self.TARGETS)
        return cfg

    def target(self, name: str,
               targets: Mapping[str, torch.Tensor]) -> torch.Tensor:
        """The batch loss ``name`` compares with, from ``targets``."""
        return targets[self.loss_targets.get(name) or 'gt']

    def apply_memory_format(self) -> None:
        """Put every network in channels-last format when switched on."""
        if self.channels_last:
            self.to(memory_format=torch.channels_last)

    def check_value_ranges(self) -> None:
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
    def inference_generator(self) -> nn.Module:
        """The network used for validation/test: the EMA copy if any."""
        return getattr(self, 'generator_ema', self.generator)

    def forward(self, inputs: torch.Tensor,
                data_samples: Optional[Dict[str, Any]] = None,
                mode: str = 'tensor') -> Any:
        if mode == 'loss':
            # mode='loss' comes with the batch's samples
            return self.compute_losses(inputs,
                                       cast(Dict[str, Any], data_samples))
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.generator(inputs)
        raise ValueError(f"mode must be 'loss', 'predict' or 'tensor', got "
                         f'{mode!r}')

    def compute_losses(self, inputs: torch.Tensor,
                       data_samples: Union[Dict[str, Any], torch.Tensor]
                       ) -> Dict[str, torch.Tensor]:
        output = self.generator(inputs)
        losses = self.content_losses(output.float(), data_samples)
        if not losses:
            raise ValueError(f'{type(self).__name__} has no loss to train '
                             'with: set model.pixel_loss or model.losses')
        return losses

    def content_losses(self, output: torch.Tensor,
                       targets: Union[Dict[str, Any], torch.Tensor]
                       ) -> Dict[str, torch.Tensor]:
        """``loss_pix`` and every ``loss_<name>`` of ``model.losses``.

        Args:
            output (Tensor): ``(N, C, H, W)`` float, in ``gt_range``.
            targets (dict | Tensor): the batches a loss may compare with
                (``gt``, and ``gt_usm`` in Real-ESRGAN models), same shape
                and range; a tensor is the ``gt``. With ``lq`` in it, a
                loss that declares ``needs_ema_output`` (LDL) also gets the
                EMA generator's output, as BasicSR's ``output_ema``.

        Returns:
            dict[str, Tensor]: scalar losses, already weighted.
        """
        if torch.is_tensor(targets):
            targets = {'gt': targets}
        losses: Dict[str, torch.Tensor]
        ema: List[Optional[torch.Tensor]]
        losses, ema = {}, []
        if self.pixel_loss is not None:
            losses['loss_pix'] = self.pixel_loss(output,
                                                 self.target('pix', targets))
        for name, loss in self.losses.items():
            args: Tuple[Optional[torch.Tensor], ...] = (
                output, self.target(name, targets))
            if getattr(loss, 'needs_ema_output', False):
                if not ema:  # once per step, without gradients
                    ema.append(self._ema_output(targets.get('lq')))
                args += (ema[0], )
            losses[f'loss_{name}'] = loss(*args)
        return losses

    @torch.no_grad()
    def _ema_output(self, lq):
        net = getattr(self, 'generator_ema', None)
        return None if net is None or lq is None else net(lq).float()

    def prepare_batch(self, data: Dict[str, Any]
                      ) -> Tuple[torch.Tensor, Dict[str, Any]]:
        """A dataloader batch -> ``(lq, targets)`` on the device: LR
        ``(N, C, h, w)`` and a dict with ``gt`` (what the losses may name,
        :attr:`TARGETS`) and the batch's other samples. Real-ESRGAN models
        synthesise the LR here."""
        data = self.data_preprocessor(data, True)
        return data['inputs'], dict(data['data_samples'], lq=data['inputs'])

    def train_step(self, data: Dict[str, Any],
                   optim_wrapper: OptimWrapper) -> Dict[str, Any]:
        with optim_wrapper.optim_context(self):
            lq, targets = self.prepare_batch(data)
            losses = self._run_forward(dict(inputs=lq, data_samples=targets),
                                       mode='loss')
        parsed, log_vars = self.parse_losses(losses)
        optim_wrapper.update_params(parsed)
        # the engine's SROptimWrapper records whether it skipped the step
        self.update_ema(getattr(optim_wrapper, 'last_step_skipped', False))
        return log_vars

    def _iteration(self) -> int:
        """The runner's iteration (0-based), or a local count without one."""
        it = MessageHub.get_current_instance().get_info('iter')
        return getattr(self, '_local_iter', 0) if it is None else it

    # ---------------------------------------------------- weights & state
    def init_weights(self) -> None:
        """mmengine's initialisation, then the pretrained generator."""
        super().init_weights()
        if self.pretrained_cfg is not None:
            load_pretrained(self, **self.pretrained_cfg,
                            log=lambda msg: print_log(
                                f'{type(self).__name__}: {msg}',
                                logger='current'))

    def training_state(self) -> Dict[str, torch.Tensor]:
        """What the step keeps beside the weights, as tensors (the pair
        pool in Real-ESRGAN models; nothing here). Saved in the state dict
        under ``train_state.`` when not at its start values, so a
        checkpoint resumes exactly."""
        return {}

    def load_training_state(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`training_state` ({}: the start values; keys of
        older checkpoints, such as the non-finite counters that now live in
        the engine, are ignored)."""

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, keep_vars)
        for key, value in self.training_state().items():
            destination[prefix + TRAIN_STATE + key] = value

    def _load_from_state_dict(self, state_dict, prefix, local_metadata,
                              strict, missing_keys, unexpected_keys,
                              error_msgs):
        head = prefix + TRAIN_STATE
        state = {k[len(head):]: state_dict.pop(k) for k in list(state_dict)
                 if k.startswith(head)}
        self.load_training_state(state)  # {}: the start values
        super()._load_from_state_dict(state_dict, prefix, local_metadata,
                                      strict, missing_keys, unexpected_keys,
                                      error_msgs)

    @torch.no_grad()
    def update_ema(self, skipped: Union[bool, torch.Tensor] = False) -> None:
        """Move the EMA generator towards the generator, unless the step
        was skipped: ``skipped`` is the optim wrapper's record, a bool or
        (skipped on the device, no host sync) a 0-dim tensor, 1: skipped."""
        if self.ema_decay is None or skipped is True:
            return
        src = unwrap_model(self.generator)
        weight: Union[float, torch.Tensor] = 1 - self.ema_decay
        if isinstance(skipped, torch.Tensor):  # 0 where skipped
            weight = (1 - skipped.float()) * weight
        # one multi-tensor kernel instead of one launch per tensor (the
        # same arithmetic, bit for bit)
        torch._foreach_lerp_(
            [p for p in self.generator_ema.parameters()],
            [p.detach() for p in src.parameters()],
            weight)  # type: ignore[arg-type]  # a 0-dim tensor works too
        ema_buffers = list(self.generator_ema.buffers())
        if ema_buffers:
            torch._foreach_copy_(ema_buffers, list(src.buffers()))

    @torch.no_grad()
    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[Dict[str, Any]] = None
                ) -> List[Dict[str, Any]]:
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


def _pretrained_cfg(value):
    """``model.pretrained_generator`` as ``dict(path=...)`` or None."""
    if value is None:
        return None
    if not isinstance(value, dict):
        value = dict(path=value)
    unknown = set(value) - {'path', 'strict', 'skip_mismatched',
                            'prefer_ema'}
    if 'path' not in value or unknown:
        raise ValueError(
            'model.pretrained_generator must be a path or dict(path=..., '
            'strict=True, skip_mismatched=False, prefer_ema=True); got '
            f'{value!r}')
    return dict(value)
