"""Fixtures of the engine tests (helpers: tiny_run.py)."""
import sys

import pytest
import torch

from .tiny_run import HELPER, write_images


@pytest.fixture(scope='session')
def tiny_data(tmp_path_factory):
    root = tmp_path_factory.mktemp('tiny_data')
    write_images(str(root / 'train'), 12, 40, seed=0)
    write_images(str(root / 'val'), 2, 24, seed=1)
    (root / 'srtoolbox_test_helper.py').write_text(HELPER)
    # the configs import the helper (custom_imports), here too
    sys.path.insert(0, str(root))
    yield root
    sys.path.remove(str(root))


@pytest.fixture
def one_thread():
    """Same thread count as the subprocesses (float sums depend on it),
    and mmengine's deterministic mode undone afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(False)
