"""One hardware detection: precision choice, provenance and benchmarks
give the same answer for the same machine (#25)."""
import pytest
import torch

import srtoolbox.utils.hardware as hw
from srtoolbox.engine import benchmark
from srtoolbox.engine.optim_wrapper import resolve_amp_dtype
from srtoolbox.utils import provenance

EPYC_AVX2 = ('processor\t: 0\nmodel name\t: AMD EPYC 7B13\n'
             'flags\t\t: fpu sse avx avx2 fma\n'
             'processor\t: 1\nmodel name\t: AMD EPYC 7B13\n'
             'flags\t\t: fpu sse avx avx2 fma\n')
SAPPHIRE = ('processor : 0\nmodel name : Intel Xeon 8480+\n'
            'flags : avx2 avx512f avx512_bf16 amx_bf16 amx_tile\n')
GRAVITON3 = 'processor : 0\nFeatures : fp asimd sve bf16 i8mm\n'
GRAVITON2 = 'processor : 0\nFeatures : fp asimd asimddp\n'


@pytest.mark.parametrize('cpuinfo,native,flags', [
    (EPYC_AVX2, False, ['avx2']),
    (SAPPHIRE, True, ['avx2', 'avx512f', 'avx512_bf16', 'amx_bf16',
                      'amx_tile']),
    (GRAVITON3, True, ['bf16']),   # Arm's BF16 extension counts, everywhere
    (GRAVITON2, False, [])])
def test_every_consumer_gives_one_answer(monkeypatch, cpuinfo, native,
                                         flags):
    monkeypatch.setattr(hw, 'read_cpuinfo', lambda: cpuinfo)
    assert hw.cpu_supports_bf16() is native
    assert resolve_amp_dtype('cpu') == (torch.bfloat16 if native else None)
    record = provenance.machine_info('cpu')
    assert record['cpu_flags'] == flags
    assert record['native_bf16_cpu'] is native
    bench = benchmark.machine_info('cpu')
    assert bench['native_bf16_cpu'] is native
    assert bench['flags'] == {f: f in flags for f in (
        'avx2', 'avx512f', 'avx512_bf16', 'amx_bf16')}
    assert ('no native bf16' in provenance.describe_machine(record)) \
        is not native


def test_model_name_is_read_and_first_cpu_counts(monkeypatch):
    monkeypatch.setattr(hw, 'read_cpuinfo', lambda: EPYC_AVX2 + (
        'processor : 2\nflags : avx2 avx512_bf16\n'))
    model, flags = hw.cpu_model_and_flags()
    assert model == 'AMD EPYC 7B13'
    assert 'avx512_bf16' not in flags
