"""Shared test fixtures. Tests read the vendored real photographs."""
import os.path as osp
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO not in sys.path:  # tests run from a clone without installation too
    sys.path.insert(0, REPO)

DEMO = osp.join(REPO, 'data', 'demo')


@pytest.fixture(scope='session')
def demo_root():
    return DEMO


@pytest.fixture(autouse=True)
def _default_scope():
    """Every test builds with srtoolbox's registries as default scope."""
    from mmengine.registry import DefaultScope
    import srtoolbox.registry  # noqa: F401
    with DefaultScope.overwrite_default_scope('srtoolbox'):
        yield
