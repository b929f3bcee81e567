"""pytest-benchmark suite: axonal vs NumPy vs PyTorch float32 GEMM on square sizes and the Linear-layer
training shapes (forward, and the transposed products of its backward pass).

    PYTHONPATH=python pytest benchmarks/bench_gemm.py                      # all
    PYTHONPATH=python pytest benchmarks/bench_gemm.py -k "1024 or fwd"     # a subset
    PYTHONPATH=python pytest benchmarks/bench_gemm.py --benchmark-group-by=param:case

Each case is one benchmark group with one entry per library, so pytest-benchmark's table shows the
three side by side. Threads: whatever the environment gives every library (OMP_NUM_THREADS etc.);
gemm_table.py is the script that pins 1 and 2 threads for all three and prints the ratios.
"""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gemm_table import SQUARE, cases  # noqa: E402

try:
    from axonal import _C
except ImportError:  # running from a checkout without PYTHONPATH=python
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))
    from axonal import _C

CASES = cases(SQUARE)
LIBS = ["axonal", "numpy", "torch"]


def operands(M, K, N, ta, tb):
    rng = np.random.default_rng(0)
    a_store = rng.standard_normal((K, M) if ta else (M, K)).astype(np.float32)
    b_store = rng.standard_normal((N, K) if tb else (K, N)).astype(np.float32)
    return a_store, b_store


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", CASES, ids=[c[0].replace(" ", "_").replace("^", "") for c in CASES])
def test_gemm(benchmark, case, lib):
    label, M, K, N, ta, tb = case
    a_store, b_store = operands(M, K, N, ta, tb)
    a = a_store.T if ta else a_store
    b = b_store.T if tb else b_store
    if lib == "axonal":
        fn = lambda: _C.matmul(a, b)  # noqa: E731
    elif lib == "numpy":
        fn = lambda: a @ b  # noqa: E731
    else:
        torch = pytest.importorskip("torch")
        ta_t, tb_t = torch.from_numpy(a_store), torch.from_numpy(b_store)
        ta_t = ta_t.t() if ta else ta_t
        tb_t = tb_t.t() if tb else tb_t
        fn = lambda: torch.mm(ta_t, tb_t)  # noqa: E731
    benchmark.group = label
    benchmark.extra_info["gflop"] = 2.0 * M * N * K * 1e-9
    benchmark.extra_info["shape_MxKxN"] = f"{M}x{K}x{N}"
    benchmark.pedantic(fn, rounds=max(5, min(200, int(2e9 / (2.0 * M * N * K)))), warmup_rounds=2, iterations=1)
    out = fn()
    assert tuple(out.shape) == (M, N)
