"""pytest-benchmark suite: convolution, pooling and training steps, axonal vs PyTorch (and, for conv, the
NumPy im2col reference) — the cases of conv_pool_table.py.

    PYTHONPATH=python pytest benchmarks/bench_conv.py                          # all (a few minutes)
    PYTHONPATH=python pytest benchmarks/bench_conv.py -k "pool or step"        # a subset
    PYTHONPATH=python pytest benchmarks/bench_conv.py -k "not 56x56 and not numpy"

Each case is one benchmark group with one entry per library, so pytest-benchmark's table shows them side
by side. Threads: whatever the environment gives each library (OMP_NUM_THREADS etc.; torch picks its own
default); conv_pool_table.py is the script that pins one thread count for all of them, checks that they
agree and prints the ratios. Not collected by the default `pytest` run (testpaths = ["tests"], and
bench_*.py does not match test_*.py): name this file to run it.
"""
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conv_cases import (  # noqa: E402
    STEP_BATCH,
    STEPS,
    conv_fns,
    conv_label,
    conv_specs,
    pool_cases,
    pool_fns,
    pool_label,
    step_fns,
    step_label,
)
from gemm_table import SETTLE_S  # noqa: E402

TARGET_S = 1.0  # time per benchmark, at least 3 rounds however slow the call


def _id(label):
    return label.replace(" (no dx)", "_no_dx").replace("->", "-").replace("/", "_s").replace(" ", "_")


CONV = [(spec, backward) for spec in conv_specs() for backward in (False, True)]
POOL = pool_cases()


def _torch_or_none(lib):
    return pytest.importorskip("torch") if lib == "torch" else None


def _bench(benchmark, label, fn):
    benchmark.group = label
    # The previous benchmark may have been another library whose BLAS/OpenMP threads keep spinning for
    # ~0.1 s: let them sleep, then warm this library up (its pool, page faults, optimizer state).
    time.sleep(SETTLE_S)
    fn()
    t0 = time.perf_counter()
    fn()
    rounds = max(3, min(200, int(TARGET_S / max(time.perf_counter() - t0, 1e-6))))
    benchmark.pedantic(fn, rounds=rounds, warmup_rounds=1, iterations=1)


@pytest.mark.parametrize("lib", ["axonal", "torch", "numpy"])
@pytest.mark.parametrize("case", CONV, ids=[_id(conv_label(*c)) for c in CONV])
def test_conv(benchmark, case, lib):
    spec, backward = case
    fn = conv_fns(spec, backward, _torch_or_none(lib))[lib]
    benchmark.extra_info["gflop_forward"] = 2e-9 * spec.N * spec.K * spec.C * spec.k ** 2 * spec.H ** 2
    _bench(benchmark, conv_label(spec, backward), fn)
    out = fn()[0]
    assert tuple(out.shape) == (spec.N, spec.K, spec.H, spec.H)


@pytest.mark.parametrize("lib", ["axonal", "torch"])
@pytest.mark.parametrize("case", POOL, ids=[_id(pool_label(*c)) for c in POOL])
def test_pool(benchmark, case, lib):
    fn = pool_fns(*case, _torch_or_none(lib))[lib]
    _bench(benchmark, pool_label(*case), fn)
    out = fn()[0]
    assert out.shape[2:] == (14, 14)


@pytest.mark.parametrize("lib", ["axonal", "torch"])
@pytest.mark.parametrize("name", list(STEPS))
def test_step(benchmark, name, lib):
    # With torch, step_fns also checks once that both twins compute the same step (raises Mismatch if not).
    fn = step_fns(name, _torch_or_none(lib))[lib]
    benchmark.extra_info["batch"] = STEP_BATCH
    _bench(benchmark, step_label(name), fn)
    if benchmark.stats:  # None under --benchmark-disable
        benchmark.extra_info["images_per_s_best"] = STEP_BATCH / benchmark.stats.stats.min
    loss = float(fn().item())
    assert loss == loss and loss < 10.0  # finite, not diverged
