"""Precision detection, each branch with the hardware query mocked (#14.8)."""
import pytest
import torch

import srtoolbox.engine.optim_wrapper as ow

INTEL_SPR = ('processor : 0\nflags : fpu sse avx2 avx512f avx512_bf16 '
             'amx_bf16\n')
EPYC_AVX2 = 'processor : 0\nflags : fpu sse avx avx2 fma\n'
SKYLAKE = 'processor : 0\nflags : fpu avx2 avx512f avx512bw avx512vl\n'
GRAVITON3 = 'processor : 0\nFeatures : fp asimd sve bf16 i8mm\n'


@pytest.fixture(autouse=True)
def _detect(monkeypatch):
    """These tests mock the hardware, not the override."""
    monkeypatch.delenv('SRTOOLBOX_CPU_BF16', raising=False)


def test_environment_overrides_the_detection(monkeypatch):
    monkeypatch.setattr(ow, '_read_cpuinfo', lambda: EPYC_AVX2)
    monkeypatch.setenv('SRTOOLBOX_CPU_BF16', '1')
    assert ow.cpu_supports_bf16() is True
    assert ow.resolve_amp_dtype('cpu') == torch.bfloat16
    monkeypatch.setattr(ow, '_read_cpuinfo', lambda: INTEL_SPR)
    monkeypatch.setenv('SRTOOLBOX_CPU_BF16', '0')
    assert ow.resolve_amp_dtype('cpu') is None
    monkeypatch.setenv('SRTOOLBOX_CPU_BF16', 'yes')
    with pytest.raises(ValueError, match='SRTOOLBOX_CPU_BF16'):
        ow.cpu_supports_bf16()


@pytest.mark.parametrize('cpuinfo,native', [
    (INTEL_SPR, True), (EPYC_AVX2, False), (SKYLAKE, False),
    (GRAVITON3, True)])
def test_cpu_flags(monkeypatch, cpuinfo, native):
    monkeypatch.setattr(ow, '_read_cpuinfo', lambda: cpuinfo)
    assert ow.cpu_supports_bf16() is native
    assert ow.resolve_amp_dtype('cpu') == (torch.bfloat16 if native
                                           else None)


def test_cpu_without_proc_uses_torch_queries(monkeypatch):
    monkeypatch.setattr(ow, '_read_cpuinfo', lambda: None)
    cpu = torch._C._cpu
    monkeypatch.setattr(torch.backends.cpu, 'get_cpu_capability',
                        lambda: 'AVX512')
    for name in ('_is_avx512_bf16_supported', '_is_amx_tile_supported'):
        monkeypatch.setattr(cpu, name, lambda: False, raising=False)
    # AVX-512 without BF16 (Skylake-X on Windows): emulated, so fp32
    assert ow.cpu_supports_bf16() is False
    monkeypatch.setattr(cpu, '_is_avx512_bf16_supported', lambda: True,
                        raising=False)
    assert ow.cpu_supports_bf16() is True
    monkeypatch.setattr(cpu, '_is_avx512_bf16_supported', lambda: False,
                        raising=False)
    monkeypatch.setattr(cpu, '_is_amx_tile_supported', lambda: True,
                        raising=False)
    assert ow.cpu_supports_bf16() is True
    # a torch without the queries: only an AMX capability counts
    monkeypatch.delattr(cpu, '_is_avx512_bf16_supported')
    monkeypatch.delattr(cpu, '_is_amx_tile_supported')
    assert ow.cpu_supports_bf16() is False
    monkeypatch.setattr(torch.backends.cpu, 'get_cpu_capability',
                        lambda: 'AMX')
    assert ow.cpu_supports_bf16() is True


def _fake_bf16_query(native, emulated=True):
    def is_bf16_supported(including_emulation=True):
        return native or (including_emulation and emulated)
    return is_bf16_supported


@pytest.mark.parametrize('native,expected', [
    (True, torch.bfloat16),   # A100, H100
    (False, torch.float16)])  # V100, T4: emulated bf16 does not count
def test_cuda_native_bf16_only(monkeypatch, native, expected):
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported',
                        _fake_bf16_query(native))
    assert ow.cuda_supports_bf16() is native
    assert ow.resolve_amp_dtype('cuda') == expected
    assert ow.bf16_is_native('cuda') is native


@pytest.mark.parametrize('capability,expected', [
    ((7, 0), torch.float16), ((7, 5), torch.float16),
    ((8, 0), torch.bfloat16), ((9, 0), torch.bfloat16)])
def test_cuda_capability_without_the_keyword(monkeypatch, capability,
                                             expected):
    def old_query():  # torch without including_emulation
        return True
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', old_query)
    monkeypatch.setattr(torch.cuda, 'get_device_capability',
                        lambda device=None: capability)
    assert ow.resolve_amp_dtype('cuda') == expected


def test_explicit_dtypes_and_errors():
    assert ow.resolve_amp_dtype('cpu', 'bf16') == torch.bfloat16
    assert ow.resolve_amp_dtype('cuda', 'float16') == torch.float16
    with pytest.raises(ValueError, match="'auto'"):
        ow.resolve_amp_dtype('cpu', 'fp8')
