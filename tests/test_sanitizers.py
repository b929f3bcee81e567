"""The kernel and op tests under AddressSanitizer + UndefinedBehaviorSanitizer (slow lane).

scripts/sanitize.sh builds _C and _C_cuda_emu with -DAXONAL_SANITIZE=ON into build/asan, preloads libasan (and
libstdc++, see the script) into Python and runs the kernel and op tests, the property tests and the short fuzz
run there; any ASan or UBSan report fails it (exit status 86 / 87 / 88), and the reports are printed.

The default lane only checks that what the script runs still exists, so that renaming a test file does not
quietly shrink the sanitized run.
"""
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "sanitize.sh")


def selection():
    text = open(SCRIPT).read()
    block = text[text.index('if [ "$#" -eq 0 ]; then'): text.index("\nfi\n")]
    return re.findall(r"tests/[\w/]+\.py", block)


def test_sanitized_selection_exists():
    files = selection()
    assert len(files) >= 10
    for f in files:
        assert os.path.isfile(os.path.join(ROOT, f)), f"scripts/sanitize.sh runs {f}, which does not exist"


def _toolchain_missing():
    cxx = os.environ.get("CXX", "g++")
    if shutil.which(cxx) is None or shutil.which("cmake") is None:
        return f"needs {cxx} and cmake"
    out = subprocess.run([cxx, "-print-file-name=libasan.so"], capture_output=True, text=True).stdout.strip()
    if not os.path.isabs(out) or not os.path.exists(out):
        return f"{cxx} has no libasan"
    return None


@pytest.mark.slow
@pytest.mark.skipif(_toolchain_missing() is not None, reason=str(_toolchain_missing()))
def test_kernel_and_op_tests_pass_under_asan_and_ubsan():
    env = dict(os.environ, PYTHON=sys.executable)
    proc = subprocess.run(["bash", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=5400)
    tail = proc.stdout[-6000:] + "\n" + proc.stderr[-8000:]
    print(tail)
    assert proc.returncode == 0, tail
    assert re.search(r"\d+ passed", proc.stdout), tail
