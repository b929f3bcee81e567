"""Every instruction-set level the CPU has runs the kernel tests: this process runs the widest level, and
test_kernel_tests_at_level re-runs the kernel test files in a subprocess with AXONAL_ISA forcing each lower
one (avx2, generic), so CI covers every path its CPU can take. Also: cpu_info(), the AXONAL_ISA switch, the
AXONAL_DISABLE_AVX2 alias and the warning for a level that cannot be honoured."""
import os
import subprocess
import sys

import pytest

from axonal import _C

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNEL_TESTS = [
    "tests/test_gemm.py",
    "tests/test_conv_kernels.py",
    "tests/test_conv_relu_fused.py",
    "tests/test_conv_groups_kernels.py",
    "tests/test_resnet_kernels.py",
    "tests/test_pool_kernels.py",
    "tests/test_activation_kernels.py",
    "tests/test_optim_kernels.py",
    "tests/test_rnn_kernels.py",
]
LEVELS = ["generic", "avx2", "avx512"]


def _python(code, **env):
    full = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(_C.__file__))), **env)
    for k, v in env.items():
        if v is None:
            full.pop(k)
    proc = subprocess.run([sys.executable, "-W", "always", "-c", code], env=full, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip(), proc.stderr


def test_cpu_info_fields():
    info = _C.cpu_info()
    assert info["isa"] in LEVELS and info["cpu_isa"] in LEVELS
    assert info["isa_levels"] == LEVELS[: LEVELS.index(info["cpu_isa"]) + 1]
    assert info["isa"] in info["isa_levels"]
    assert info["isa_forced"] == (info["isa"] != info["cpu_isa"])
    assert info["threads"] == _C.get_num_threads()
    assert info["gemm_kernel"] == info["isa"] == _C.isa_level()
    mr, nr = info["gemm_tile"]["float32"]
    assert mr >= 1 and nr >= 1
    assert _C.cpu_has_avx2_fma() == ("avx2" in info["isa_levels"])
    assert _C.cpu_has_avx512() == ("avx512" in info["isa_levels"])


@pytest.mark.parametrize("level", LEVELS)
def test_axonal_isa_forces_a_level(level):
    if level not in _C.cpu_info()["isa_levels"]:
        pytest.skip(f"this CPU has no {level}")
    out, err = _python("from axonal import _C; print(_C.cpu_info()['isa'], _C.gemm_kernel())", AXONAL_ISA=level)
    assert out == f"{level} {level}"
    assert "RuntimeWarning" not in err


def test_disable_avx2_is_an_alias_for_generic():
    out, _ = _python("from axonal import _C; print(_C.isa_level())", AXONAL_DISABLE_AVX2="1", AXONAL_ISA=None)
    assert out == "generic"
    out, _ = _python("from axonal import _C; print(_C.isa_level())", AXONAL_DISABLE_AVX2="0", AXONAL_ISA=None)
    assert out == _C.cpu_info()["cpu_isa"]


def test_unknown_or_unavailable_level_warns_and_keeps_the_widest():
    widest = _C.cpu_info()["cpu_isa"]
    out, err = _python("from axonal import _C; print(_C.isa_level())", AXONAL_ISA="sse9")
    assert out == widest
    assert "[cpu] AXONAL_ISA=sse9 is not one of avx512, avx2, generic" in err
    if widest != "avx512":
        out, err = _python("from axonal import _C; print(_C.isa_level())", AXONAL_ISA="avx512")
        assert out == widest and "asks for more than this CPU" in err


@pytest.mark.skipif(os.environ.get("AXONAL_ISA_SUBPROCESS") == "1", reason="already inside a level re-run")
@pytest.mark.parametrize("level", LEVELS)
def test_kernel_tests_at_level(level):
    info = _C.cpu_info()
    if level not in info["isa_levels"]:
        pytest.skip(f"this CPU has no {level}")
    if level == info["isa"]:
        pytest.skip("this process already runs the kernel tests at this level")
    files = [f for f in KERNEL_TESTS if os.path.exists(os.path.join(ROOT, f))]
    env = dict(os.environ, AXONAL_ISA=level, AXONAL_ISA_SUBPROCESS="1")
    env.pop("AXONAL_DISABLE_AVX2", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *files],
        env=env, capture_output=True, text=True, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout
