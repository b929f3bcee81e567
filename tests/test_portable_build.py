"""The kernels build and compute correctly on a CPU without AVX2: scripts/check_portable.sh cross-compiles
csrc/kernels/ with tests/portable/kernels_check.cpp for aarch64 and runs the check under qemu-user (GEMM in
all transpose combinations with alpha/beta and leading dimensions, convolution forward and both gradients,
max and average pooling, at 1, 2 and 3 threads, float32 and float64, against the naive references).

Skipped where the cross compiler or qemu is missing (.ci/run installs both on Debian).
"""
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "check_portable.sh")


def _run(target, tmp_path):
    env = dict(os.environ, BUILD_DIR=str(tmp_path / target), OMP_NUM_THREADS="2")
    return subprocess.run(["bash", SCRIPT, target], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(
    not (shutil.which("aarch64-linux-gnu-g++") and shutil.which("qemu-aarch64")),
    reason="needs aarch64-linux-gnu-g++ and qemu-aarch64 (apt-get install g++-aarch64-linux-gnu qemu-user)",
)
def test_kernels_on_aarch64(tmp_path):
    result = _run("aarch64", tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    # The summary line proves the program ran to the end, on the portable GEMM, with checks in it.
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("ok: ") and "0 failed" in last and "(gemm kernel: generic)" in last, last
    assert int(last.split()[1]) >= 900, last
