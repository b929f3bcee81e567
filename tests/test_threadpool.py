"""axonal's OpenMP pool and threadpoolctl: threadpool_info() lists it, threadpool_limits(n) limits it (what
get_num_threads() says and how many threads the kernels really start), and set_num_threads validates.

The thread counts are read from /proc/self/task in a fresh process: OpenMP keeps its worker threads alive
after a parallel region, so a kernel run on k threads leaves k - 1 more OS threads than before."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import axonal as ax

threadpoolctl = pytest.importorskip("threadpoolctl", reason="threadpoolctl is in the test extra")


def _mapped_libraries():
    with open("/proc/self/maps") as f:
        return {os.path.realpath(line.split()[-1]) for line in f if "/" in line}


def test_threadpool_info_lists_axonal_openmp():
    if not ax._C.has_openmp():
        pytest.skip("this axonal was built without OpenMP")
    pools = [p for p in threadpoolctl.threadpool_info() if p["user_api"] == "openmp"]
    assert pools, threadpoolctl.threadpool_info()
    if os.path.exists("/proc/self/maps"):
        # the runtime axonal._C links (libgomp, or a wheel's vendored libgomp-<hash>) is among them
        mapped = _mapped_libraries()
        assert any(os.path.realpath(p["filepath"]) in mapped for p in pools)
    assert any(p["num_threads"] == ax.get_num_threads() for p in pools)


def test_threadpool_limits_sets_axonal_threads():
    if not ax._C.has_openmp():
        pytest.skip("this axonal was built without OpenMP")
    before = ax.get_num_threads()
    with threadpoolctl.threadpool_limits(1):
        assert ax.get_num_threads() == 1
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        assert ax.get_num_threads() == 1
    assert ax.get_num_threads() == before  # restored on exit


COUNT_THREADS = textwrap.dedent("""
    import os, sys
    import numpy as np
    import threadpoolctl
    import axonal as ax

    def os_threads():
        return len(os.listdir("/proc/self/task"))

    def work():
        a = ax.randn(384, 384)
        (a @ a).sum().item()
        ax.nn.functional.conv2d(ax.randn(8, 8, 32, 32), ax.randn(16, 8, 3, 3), padding=1).sum().item()

    base = os_threads()
    with threadpoolctl.threadpool_limits(1):
        limited = ax.get_num_threads()
        work()
        during = os_threads()
    unlimited = ax.get_num_threads()
    work()
    after = os_threads()
    print(base, limited, during, unlimited, after)
""")


def test_threadpool_limits_one_runs_the_kernels_on_one_thread():
    """With OMP_NUM_THREADS=4: under threadpool_limits(1) the kernels start no OpenMP thread; after it, they run
    on 4 (3 worker threads appear)."""
    if not os.path.isdir("/proc/self/task"):
        pytest.skip("counts threads through /proc (Linux)")
    if not ax._C.has_openmp():
        pytest.skip("this axonal was built without OpenMP")
    env = dict(os.environ, OMP_NUM_THREADS="4", OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", COUNT_THREADS], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    base, limited, during, unlimited, after = map(int, out.stdout.split())
    assert limited == 1 and during == base  # one thread: the caller's, no OpenMP team
    assert unlimited == 4 and after == base + 3


# ---- set_num_threads validates ------------------------------------------------------------------------------
@pytest.fixture
def restore_threads():
    before = ax.get_num_threads()
    yield
    ax.set_num_threads(before)


@pytest.mark.parametrize("n", [1, 3, np.int64(2), np.int32(1)])
def test_set_num_threads_accepts_integers(restore_threads, n):
    ax.set_num_threads(n)
    assert ax.get_num_threads() == int(n) or not ax._C.has_openmp()


@pytest.mark.parametrize("n", [2.0, "2", True, None, [2], np.float64(2)])
def test_set_num_threads_rejects_non_integers(restore_threads, n):
    before = ax.get_num_threads()
    with pytest.raises(TypeError, match=r"^\[set_num_threads\] n must be an int"):
        ax.set_num_threads(n)
    assert ax.get_num_threads() == before


@pytest.mark.parametrize("n", [0, -1, 2**31, 2**40])
def test_set_num_threads_rejects_out_of_range(restore_threads, n):
    before = ax.get_num_threads()
    with pytest.raises(ValueError, match=r"^\[set_num_threads\] n must be >= 1"):
        ax.set_num_threads(n)
    assert ax.get_num_threads() == before
