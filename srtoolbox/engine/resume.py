"""Exact resume: after ``--resume`` training continues as if never stopped.

mmengine 0.10.7 restores weights, optimizers, schedulers and the iteration,
then replays the data loader from the start (``next()`` once per finished
iteration, loading and augmenting every image again: hours after 100k
iterations), and it does not restore random number generators. Here:

* :class:`ResumableInfiniteSampler` yields the same indices as mmengine's
  ``InfiniteSampler`` (same seed, same shuffles) and can start at any
  position of that stream in O(positions) integer work, without loading a
  single image. Each sample comes with a seed derived from its position in
  the global stream, and :class:`SeededSamples` runs the dataset's pipeline
  under that seed (python ``random``, numpy, torch), restoring the caller's
  generators afterwards. Random crops and flips therefore depend on the
  sample's position only: not on the worker that loads it, the number of
  workers, the number of processes or an interruption;
* :class:`ResumableIterBasedTrainLoop` (the default runtime's loop) installs
  both for ``InfiniteSampler`` configs and, on resume, starts the sampler
  where the checkpoint stopped instead of replaying the loader;
* :func:`get_rng_states`/:func:`set_rng_states`: the generators of the
  training process, saved in checkpoints by ``ResumableCheckpointHook``.
"""
import copy
import itertools
import logging
import random

import numpy as np
import torch
from mmengine.dataset import InfiniteSampler
from mmengine.dist import get_world_size
from mmengine.logging import print_log
from mmengine.registry import DATASETS, LOOPS
from mmengine.runner import IterBasedTrainLoop
from mmengine.runner.loops import _InfiniteDataloaderIterator
from torch.utils.data import Dataset

__all__ = ['ResumableInfiniteSampler', 'SeededSamples',
           'ResumableIterBasedTrainLoop', 'get_rng_states', 'set_rng_states',
           'sample_seed']


# --------------------------------------------------------------- RNG states
def get_rng_states():
    """This process's generators (python, numpy, torch CPU and CUDA) as
    tensors and plain numbers, loadable with ``weights_only=True``."""
    version, py_state, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    states = dict(
        python=dict(version=version, state=torch.tensor(py_state),
                    gauss=gauss),
        numpy=dict(name=name, keys=torch.from_numpy(keys.astype(np.int64)),
                   pos=int(pos), has_gauss=int(has_gauss),
                   cached_gaussian=float(cached)),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states['cuda'] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states):
    """Restore what :func:`get_rng_states` returned."""
    py = states['python']
    random.setstate((py['version'], tuple(py['state'].tolist()), py['gauss']))
    npy = states['numpy']
    np.random.set_state((npy['name'], npy['keys'].numpy().astype(np.uint32),
                         npy['pos'], npy['has_gauss'],
                         npy['cached_gaussian']))
    torch.set_rng_state(states['torch'])
    if 'cuda' in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states['cuda'])


# ------------------------------------------------------------ seeded samples
def sample_seed(seed, position):
    """A 32-bit seed for the sample at ``position`` of the stream of
    sampler ``seed`` (numpy ``SeedSequence``: no correlation between
    neighbouring positions)."""
    return int(np.random.SeedSequence([seed % 2**32, position])
               .generate_state(1)[0])


class SeededSamples(Dataset):
    """Map-style dataset wrapper: ``dataset[(index, seed)]`` is
    ``dataset[index]`` computed with python/numpy/torch seeded by ``seed``.

    The caller's generators are restored afterwards, so loading in the main
    process (``num_workers=0``) leaves the model's randomness alone. A plain
    integer index is passed through unseeded.
    """

    def __init__(self, dataset):
        self.dataset = dataset

    def __len__(self):
        return len(self.dataset)

    @property
    def metainfo(self):
        return getattr(self.dataset, 'metainfo', None)

    def __getitem__(self, item):
        if not isinstance(item, tuple):
            return self.dataset[item]
        index, seed = item
        saved = (random.getstate(), np.random.get_state(),
                 torch.get_rng_state())
        try:
            random.seed(seed)
            np.random.seed(seed)
            torch.manual_seed(seed)
            return self.dataset[index]
        finally:
            random.setstate(saved[0])
            np.random.set_state(saved[1])
            torch.set_rng_state(saved[2])


class ResumableInfiniteSampler(InfiniteSampler):
    """``InfiniteSampler`` that can start anywhere and seeds every sample.

    Yields ``(index, seed)`` for :class:`SeededSamples`. The indices are
    those of mmengine's ``InfiniteSampler`` with the same ``seed`` and
    ``shuffle``: one global stream of shuffled epochs, of which rank ``r``
    of ``w`` takes positions ``r, r + w, r + 2w, ...``. The per-sample seed
    depends on the global position only, so 2 processes with batch 4 see
    exactly the samples (and augmentations) 1 process with batch 8 sees.

    Args:
        dataset (Sized): the dataset.
        shuffle (bool): Default: True.
        seed (int | None): Default: a random seed shared by all ranks.
        start (int): global stream position to start from. Default: 0.
    """

    def __init__(self, dataset, shuffle=True, seed=None, start=0):
        super().__init__(dataset, shuffle=shuffle, seed=seed)
        self.start = start

    def set_start(self, position):
        """Start the next ``iter()`` at global stream ``position``."""
        self.start = int(position)

    def __iter__(self):
        positions = itertools.count(self.start)
        stream = itertools.islice(self._infinite_indices(), self.start, None)
        for position, index in zip(positions, stream):
            if position % self.world_size == self.rank:
                yield index, sample_seed(self.seed, position)


def _is_infinite_sampler(sampler_cfg):
    kind = sampler_cfg.get('type') if isinstance(sampler_cfg, dict) else None
    if isinstance(kind, str):
        return kind.split('.')[-1] in ('InfiniteSampler',
                                       'ResumableInfiniteSampler')
    return kind in (InfiniteSampler, ResumableInfiniteSampler)


@LOOPS.register_module()
class ResumableIterBasedTrainLoop(IterBasedTrainLoop):
    """``IterBasedTrainLoop`` whose resume is exact and instant.

    When the train dataloader uses ``InfiniteSampler`` (the usual case), it
    becomes a :class:`ResumableInfiniteSampler` over :class:`SeededSamples`
    (same sample order), and a resumed run starts the sampler at the first
    unseen sample instead of loading ``iter`` batches to throw them away.
    Other samplers keep mmengine's replay.

    Arguments as ``IterBasedTrainLoop``.
    """

    def __init__(self, runner, dataloader, *args, **kwargs):
        if isinstance(dataloader, dict) and _is_infinite_sampler(
                dataloader.get('sampler')):
            dataloader = copy.deepcopy(dataloader)
            dataloader['sampler'] = dict(dataloader['sampler'],
                                         type=ResumableInfiniteSampler)
            dataset = dataloader['dataset']
            if isinstance(dataset, dict):
                dataset = DATASETS.build(dataset)
                if hasattr(dataset, 'full_init'):
                    dataset.full_init()
            dataloader['dataset'] = SeededSamples(dataset)
        super().__init__(runner, dataloader, *args, **kwargs)

    def _fast_forward(self):
        """Point the sampler at the first sample after ``self._iter``
        iterations; False when the sampler cannot."""
        sampler = getattr(self.dataloader, 'sampler', None)
        if not isinstance(sampler, ResumableInfiniteSampler):
            return False
        batch_size = self.dataloader.batch_size
        if batch_size is None:  # a custom batch sampler: sizes unknown
            return False
        sampler.set_start(self._iter * batch_size * get_world_size())
        # a new iterator (persistent workers: reset) reads from the start
        self.dataloader_iterator = _InfiniteDataloaderIterator(
            self.dataloader)
        print_log(f'Resumed data at sample {sampler.start} (iteration '
                  f'{self._iter}) without replaying the loader',
                  logger='current')
        return True

    def run(self):
        """As ``IterBasedTrainLoop.run``, with the instant fast-forward."""
        self.runner.call_hook('before_train')
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        if self._iter > 0 and not self._fast_forward():
            print_log(
                f'Advance dataloader {self._iter} steps to skip data '
                'that has already been trained', logger='current',
                level=logging.WARNING)
            for _ in range(self._iter):
                next(self.dataloader_iterator)
        model = self.runner.model
        while self._iter < self._max_iters and not self.stop_training:
            # after a validation (eval mode) only: walking every module each
            # iteration costs more than a small network's step on a GPU
            if not model.training:
                model.train()
            data_batch = next(self.dataloader_iterator)
            self.run_iter(data_batch)
            self._decide_current_val_interval()
            if (self.runner.val_loop is not None
                    and self._iter >= self.val_begin
                    and (self._iter % self.val_interval == 0
                         or self._iter == self._max_iters)):
                self.runner.val_loop.run()
        self.runner.call_hook('after_train_epoch')
        self.runner.call_hook('after_train')
        return self.runner.model
