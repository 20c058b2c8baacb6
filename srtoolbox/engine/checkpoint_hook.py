"""Checkpoints that survive a kill and resume exactly.

mmengine 0.10.7's ``CheckpointHook`` writes checkpoints in place (a kill
during ``torch.save`` leaves a truncated ``iter_N.pth``), deletes the oldest
checkpoint *before* writing the new one (with ``max_keep_ckpts=1`` a kill
then leaves none) and writes ``last_checkpoint`` in place too.
:class:`ResumableCheckpointHook`, the default runtime's checkpoint hook:

* writes every file through :class:`AtomicLocalBackend`: a temporary file
  in the same folder, flushed to disk, then ``os.replace`` (atomic on
  POSIX and Windows), so a reader sees the old file or the new one;
* deletes outdated checkpoints (``max_keep_ckpts``, the previous best) only
  after the new one and ``last_checkpoint`` are on disk;
* stores the random generators of every process in the checkpoint and
  restores them when training resumes from it, and keeps validation from
  consuming the training generators, so a resumed run draws the same
  random numbers as an uninterrupted one;
* never writes a checkpoint from non-finite weights (it raises
  ``NonFiniteWeightsError`` naming the first bad tensor), nor while the
  losses are non-finite (``default_hooks.nonfinite.action='skip'``
  skipping steps: the weights that gave them are suspect; a warning says
  so), and lists the
  checkpoints it wrote in the message hub (``saved_checkpoints``) so that a
  non-finite stop can name the last one from before it.
"""
import hashlib
import os
import os.path as osp
from contextlib import contextmanager

from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend, register_backend
from mmengine.hooks import CheckpointHook

from ..models.weights import write_safetensors
from ..models.weights.loading import NonFiniteWeightsError, find_nonfinite
from ..registry import HOOKS
from ..utils.fileio import TMP_NAME, atomic_path, atomic_write
from ..utils.module_utils import unwrap_model
from .best_metric import BestMetricMixin
from .nonfinite import nonfinite_since
from .resume import get_rng_states, set_rng_states
from .work_dir import record_last_checkpoint

__all__ = ['atomic_write', 'AtomicLocalBackend', 'ResumableCheckpointHook']


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend with atomic writes and, inside
    :meth:`deferred_removals`, removals postponed to the end of the block.

    Selected with ``backend_args=dict(backend='atomic_local')``.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pending_removals = None

    def put(self, obj, filepath):
        atomic_write(obj, filepath)

    def put_text(self, obj, filepath, encoding='utf-8'):
        atomic_write(obj.encode(encoding), filepath)

    def remove(self, filepath):
        if self._pending_removals is not None:
            self._pending_removals.append(filepath)
        else:
            super().remove(filepath)

    @contextmanager
    def deferred_removals(self):
        """Queue :meth:`remove` calls; carry them out when the block ends
        without an error."""
        self._pending_removals = pending = []
        try:
            yield
        finally:
            self._pending_removals = None
        for path in pending:
            if self.isfile(path):
                self.remove(path)


register_backend('atomic_local', AtomicLocalBackend, force=True)


def _safetensors_path(ckpt_path):
    return osp.splitext(str(ckpt_path))[0] + '.safetensors'


def _write_generator_safetensors(runner, ckpt_path, step):
    """``iter_N.safetensors`` beside ``iter_N.pth`` (see
    :mod:`srtoolbox.models.weights.safetensors_io`)."""
    model = unwrap_model(runner.model)
    net = getattr(model, 'generator_ema', None)
    net = unwrap_model(model.generator if net is None else net)
    model_cfg = runner.cfg.get('model') or {}
    pre = model_cfg.get('data_preprocessor') or {}
    write_safetensors(
        net.state_dict(), _safetensors_path(ckpt_path),
        generator_cfg=_plain(model_cfg.get('generator') or {}),
        scale=getattr(net, 'upscale', None),
        value_range=pre.get('gt_range', (0.0, 1.0)),
        config_hash=hashlib.sha256(
            runner.cfg.pretty_text.encode('utf-8')).hexdigest(),
        iterations=step, overwrite=True)


def _plain(value):
    """Config values as dicts/lists/numbers/strings (weights_only-safe)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@HOOKS.register_module()
class ResumableCheckpointHook(BestMetricMixin, CheckpointHook):
    """``CheckpointHook`` with atomic writes, removals after the save, and
    random generator states (see the module docstring).

    Arguments as mmengine's ``CheckpointHook``; without ``backend_args`` or
    ``file_client_args`` it writes with :class:`AtomicLocalBackend`.
    Checkpoints get ``rng_states``: one entry per process, restored at the
    first iteration after resuming from them. ``save_best`` takes any
    srtoolbox metric key with its rule inferred (PSNR/SSIM higher,
    LPIPS/DISTS/NIQE lower; see :mod:`.best_metric`).
    """

    def __init__(self, *args, backend_args=None, file_client_args=None,
                 save_safetensors=False, **kwargs):
        if backend_args is None and file_client_args is None:
            backend_args = dict(backend='atomic_local')
        super().__init__(*args, backend_args=backend_args,
                         file_client_args=file_client_args, **kwargs)
        # also write iter_N.safetensors: the generator (EMA if kept) with
        # its architecture and settings (srtoolbox.models.weights)
        self.save_safetensors = save_safetensors
        self._rng_states = None
        self._resumed_rng = None
        self._val_rng = None

    # ---------------------------------------------------------------- saving
    def before_train(self, runner):
        super().before_train(runner)
        if (is_main_process() and isinstance(self.file_backend,
                                              AtomicLocalBackend)
                and osp.isdir(self.out_dir)):
            # leftovers of a save killed before its rename
            for name in os.listdir(self.out_dir):
                if TMP_NAME.match(name):
                    os.remove(osp.join(self.out_dir, name))

    def _gather_rng_states(self):
        # a checkpoint saved during validation (a new best) holds the
        # training generators, which validation does not advance
        states = self._val_rng if self._val_rng is not None \
            else get_rng_states()
        if get_world_size() > 1:
            return all_gather_object(states)
        return [states]

    @contextmanager
    def _removals_after_saving(self):
        if isinstance(self.file_backend, AtomicLocalBackend):
            with self.file_backend.deferred_removals():
                yield
        else:
            yield

    def weights_fit_to_save(self, runner, what):
        """False (with a warning) while the model's losses are non-finite;
        :class:`NonFiniteWeightsError` when its generator's weights are."""
        model = unwrap_model(runner.model)
        networks = [(name, getattr(model, name, None))
                    for name in ('generator', 'generator_ema')]
        networks = [(n, m) for n, m in networks if m is not None] or \
            [('model', model)]
        for name, net in networks:
            found = find_nonfinite(unwrap_model(net).state_dict())
            if found is not None:
                key, bad, total = found
                raise NonFiniteWeightsError(
                    f'not writing {what}: {name}.{key} has {bad} of {total} '
                    'values NaN or Inf (training diverged). Resume from an '
                    'earlier checkpoint with a lower learning rate.')
        since = nonfinite_since(runner)
        if since is not None:
            runner.logger.warning(
                f'not writing {what}: the loss has been non-finite since '
                f'iteration {since + 1} (steps skipped), so the weights that '
                'gave it are suspect')
            return False
        return True

    def _record_saved(self, runner, step, path):
        saved = [entry for entry in
                 runner.message_hub.get_info('saved_checkpoints') or []
                 if osp.isfile(entry[1]) and entry[1] != str(path)]
        saved.append([int(step), str(path)])
        runner.message_hub.update_info('saved_checkpoints', saved)

    def _save_checkpoint_with_step(self, runner, step, meta):
        # as CheckpointHook's, reordered: save, point last_checkpoint at the
        # new file, and only then delete the outdated one
        if not self.weights_fit_to_save(
                runner, self.filename_tmpl.format(step)):
            return
        self._rng_states = self._gather_rng_states()
        outdated = None
        if self.max_keep_ckpts > 0 and not (
                self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir, ckpt_filename, self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler, meta=meta,
            by_epoch=self.by_epoch, backend_args=self.backend_args,
            **self.args)
        self._record_saved(runner, step, self.last_ckpt)
        if not is_main_process():
            return
        # relative to the work dir: a copied work dir resumes its own files
        record_last_checkpoint(runner.work_dir, self.last_ckpt)
        if self.save_safetensors:
            _write_generator_safetensors(runner, self.last_ckpt, step)
        if outdated is not None:
            path = self.file_backend.join_path(
                self.out_dir, self.filename_tmpl.format(outdated))
            if self.save_safetensors and osp.isfile(_safetensors_path(path)):
                os.remove(_safetensors_path(path))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
            elif self.file_backend.isdir(path):  # deepspeed checkpoints
                self.file_backend.rmtree(path)

    def _save_best_checkpoint(self, runner, metrics):
        # the previous best is deleted after the new best is written
        if not self.weights_fit_to_save(runner, 'the best checkpoint'):
            return
        with self._removals_after_saving():
            super()._save_best_checkpoint(runner, metrics)
        best = getattr(self, 'best_ckpt_path', None)
        if best and self.file_backend.isfile(best):
            self._record_saved(runner, runner.iter, best)

    def before_save_checkpoint(self, runner, checkpoint):
        if self._rng_states is not None:
            checkpoint['rng_states'] = self._rng_states
        # the generator and its value range, as plain data, so the file
        # loads without its config (srtoolbox.models.weights.detect)
        model_cfg = runner.cfg.get('model') or {}
        if isinstance(model_cfg.get('generator'), dict):
            meta = checkpoint.setdefault('meta', {})
            meta['generator_cfg'] = _plain(model_cfg['generator'])
            pre = model_cfg.get('data_preprocessor') or {}
            if 'gt_range' in pre:
                meta['gt_range'] = [float(v) for v in pre['gt_range']]

    # -------------------------------------------------------------- resuming
    def after_load_checkpoint(self, runner, checkpoint):
        states = checkpoint.get('rng_states')
        if states:
            self._resumed_rng = (checkpoint['meta'].get('iter'), states)

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if self._resumed_rng is None:
            return
        step, states = self._resumed_rng
        self._resumed_rng = None
        # only when resuming (a checkpoint loaded to fine-tune from
        # iteration 0 keeps the fresh generators)
        if step == runner.iter:
            rank = get_rank()
            set_rng_states(states[rank] if len(states) == get_world_size()
                           else states[0])

    # ---------------------------------- validation leaves training RNG alone
    def before_val(self, runner):
        self._val_rng = get_rng_states()

    def after_val(self, runner):
        if self._val_rng is not None:
            set_rng_states(self._val_rng)
            self._val_rng = None
