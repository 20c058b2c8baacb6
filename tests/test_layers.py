"""Layers point down: utils <- models/datasets/evaluation <- engine <- apis.

Each check runs in a fresh interpreter, so modules imported by other tests
cannot hide an upward import.
"""
import subprocess
import sys

import pytest

# package -> srtoolbox packages it must never load
FORBIDDEN = {
    'srtoolbox.utils': ('srtoolbox.models', 'srtoolbox.datasets',
                        'srtoolbox.evaluation', 'srtoolbox.engine',
                        'srtoolbox.apis'),
    'srtoolbox.models': ('srtoolbox.engine', 'srtoolbox.apis'),
    'srtoolbox.datasets': ('srtoolbox.models', 'srtoolbox.engine',
                           'srtoolbox.apis'),
    'srtoolbox.evaluation': ('srtoolbox.engine', 'srtoolbox.apis'),
    'srtoolbox.engine': ('srtoolbox.apis', ),
}


@pytest.mark.parametrize('package', sorted(FORBIDDEN))
def test_importing_a_layer_loads_nothing_above_it(package):
    code = (f'import sys, {package}\n'
            'print("\\n".join(sorted(m for m in sys.modules '
            'if m.startswith("srtoolbox."))))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True).stdout.split()
    above = [m for m in out
             if any(m == f or m.startswith(f + '.')
                    for f in FORBIDDEN[package])]
    assert not above, f'importing {package} loaded {above}'


def test_registry_lookup_from_a_lower_layer_stays_in_its_layer():
    # building a generator (models) must not pull in engine or apis
    code = ('import sys\n'
            'from srtoolbox.models.builder import build_generator\n'
            "build_generator(dict(type='MSRResNet', num_feat=4, "
            'num_blocks=1))\n'
            'print(" ".join(m for m in sys.modules '
            'if m.startswith(("srtoolbox.apis", "srtoolbox.engine"))))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == []
