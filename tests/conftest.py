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


@pytest.fixture(params=[False, True], ids=['cpu-fp32', 'cpu-native-bf16'])
def native_bf16(request, monkeypatch):
    """Runs a precision-dependent test under both results of the CPU bf16
    detection (forced through SRTOOLBOX_CPU_BF16, which subprocesses
    inherit), so CI on any machine covers both (#22.3)."""
    monkeypatch.setenv('SRTOOLBOX_CPU_BF16', '1' if request.param else '0')
    return request.param
