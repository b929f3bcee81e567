"""The allocator tuning applied when axonal._C loads (csrc/bindings/malloc_tuning.cpp)."""
import os
import platform
import subprocess
import sys

import pytest


def tuned_in_subprocess(**env_overrides):
    """_C.malloc_tuned in a fresh interpreter (the tuning happens once, when the module loads), which
    imports axonal the way this one did (installed, or through the inherited PYTHONPATH)."""
    env = {k: v for k, v in os.environ.items() if k not in ("AXONAL_MALLOC_TUNING", "GLIBC_TUNABLES")}
    env.update(env_overrides)
    out = subprocess.run([sys.executable, "-c", "from axonal import _C; print(_C.malloc_tuned)"], env=env,
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the tuning exists for glibc only")


@glibc
def test_applied_by_default():
    assert tuned_in_subprocess() == "True"


@pytest.mark.parametrize("env", [{"AXONAL_MALLOC_TUNING": "0"},
                                 {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=1000000"}],
                         ids=["opt-out", "user-tunables"])
def test_left_alone_when_asked(env):
    assert tuned_in_subprocess(**env) == "False"
