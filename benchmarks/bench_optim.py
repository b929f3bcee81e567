"""One optimizer step on a CNN-sized parameter set (~1.63M float32): axonal's fused C++ kernels vs axonal's
NumPy path vs torch.optim, then the fused vs NumPy step per tensor size.

    PYTHONPATH=python python benchmarks/bench_optim.py          # prints the tables
    PYTHONPATH=python pytest benchmarks/bench_optim.py           # the same steps through pytest-benchmark

Timing: each step is repeated for ~8 ms per sample, the contenders interleaved, best of 15 samples, each
sample after a 0.15 s pause so that no one is timed while another's OpenMP threads still spin (as
gemm_table.py does). axonal and torch both use the thread count the process starts with (2 on the dev
machine), pinned before every call since they share libgomp; both are also timed on 1 thread (the fused
kernel's gain without its second thread).

Before the fused kernels (NumPy path only), on the shared 2-core dev machine (AMD EPYC, NumPy 2.4.6,
torch 2.13 CPU), one Adam step took 5.3-6.3 ms in axonal, 2.8-4.4 ms in torch with 2 threads and 5.0 ms in
torch with one thread. The NumPy column below is that same code path (Optimizer._use_fused = False), timed
in the same run. With the fused kernels, the cleanest of five runs on that machine (load average 2.0 from
other engineers' jobs on its 2 cores). In busier runs (load 2.5-5) the 2-thread columns get noisy, torch's
most: the fused path was 2.5-11x faster than NumPy for Adam/AdamW in all five, but in one run SGD's
2-thread fused step collapsed to 3.4 ms against NumPy's 2.3 ms (its 1-thread step: 1.2 ms).

    optimizer  fused ms  fused 1-thr  NumPy ms  torch ms  torch 1-thr  NumPy/fused  fused/torch
    Adam           1.01         1.98      5.88      4.16         5.96         5.8x         0.24
    AdamW          1.17         1.90      6.31      4.14         5.82         5.4x         0.28
    SGD mom.       0.67         0.93      2.11      1.03         1.50         3.1x         0.65

and one Adam step on a single tensor, fused vs NumPy: 8.7 vs 20.0 us at 10 elements, 6.4 vs 20.2 at 288,
11.5 vs 30.9 at 5120, 25.7 vs 87.5 at 18432 (one thread below 32k elements), 0.98 vs 10.2 ms at 1.6M.
The fused path wins at every size, on one thread as well, so axonal.optim takes
it for every SGD/Adam/AdamW parameter whose arrays it accepts (Optimizer._fused_ready) and keeps NumPy
for the rest; RMSprop, Adagrad and ASGD have no fused kernel (RMSprop's row is for comparison).
"""
import os
import sys

import numpy as np

import axonal as ax
import axonal.optim as optim

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gemm_table import _best_per_call  # noqa: E402  (one timing method for every table)

# The example CNN: conv 1->32 3x3, conv 32->64 3x3, linear 64*7*7->512, linear 512->10.
SHAPES = [(32, 1, 3, 3), (32,), (64, 32, 3, 3), (64,), (512, 3136), (512,), (10, 512), (10,)]
# (label, optimizer, kwargs, has a fused kernel)
OPTIMIZERS = [
    ("Adam", "Adam", {}, True),
    ("AdamW", "AdamW", {}, True),
    ("SGD mom.", "SGD", dict(lr=0.01, momentum=0.9), True),
    ("RMSprop", "RMSprop", {}, False),
]
SIZES = [10, 288, 5120, 18432, 1605632]


def _arrays(seed=0, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


def make_axonal(name, kwargs, fused=True, shapes=SHAPES, threads=None):
    params = [ax.tensor(a, requires_grad=True) for a in _arrays(0, shapes)]
    for p, g in zip(params, _arrays(1, shapes)):
        p.grad = ax.tensor(g)
    opt = getattr(optim, name)(params, **kwargs)
    opt._use_fused = fused
    opt.step()  # state and scratch buffers exist from here on, as in training
    if threads is None:
        return opt.step

    def step():
        # torch and axonal share libgomp here, so torch.set_num_threads(1) would also pin axonal to one thread.
        ax.set_num_threads(threads)
        opt.step()

    return step


def make_torch(name, kwargs, threads=None):
    import torch

    params = [torch.tensor(a, requires_grad=True) for a in _arrays()]
    for p, g in zip(params, _arrays(1)):
        p.grad = torch.from_numpy(g)
    opt = getattr(torch.optim, name)(params, **kwargs)
    opt.step()
    if threads is None:
        return opt.step

    def step():
        torch.set_num_threads(threads)
        opt.step()

    return step


def best_per_call(fns, target_s=0.008, samples=15):
    """Best seconds per call of each function: gemm_table's interleaved, settle-paused sampling."""
    return _best_per_call(fns, target_s=target_s, samples=samples)


# ---- pytest-benchmark -----------------------------------------------------------------------------


def test_adam_step_axonal_fused(benchmark):
    benchmark(make_axonal("Adam", {}))


def test_adam_step_axonal_numpy(benchmark):
    benchmark(make_axonal("Adam", {}, fused=False))


def test_adam_step_torch(benchmark):
    import pytest

    pytest.importorskip("torch")
    benchmark(make_torch("Adam", {}))


def test_sgd_momentum_step_axonal_fused(benchmark):
    benchmark(make_axonal("SGD", dict(lr=0.01, momentum=0.9)))


def test_sgd_momentum_step_axonal_numpy(benchmark):
    benchmark(make_axonal("SGD", dict(lr=0.01, momentum=0.9), fused=False))


# ---- the tables -------------------------------------------------------------------------------------


def main():
    ax_threads = ax.get_num_threads()
    n = sum(int(np.prod(s)) for s in SHAPES)
    try:
        import torch

        threads = torch.get_num_threads()
    except ImportError:
        torch = None
        threads = 0
    try:
        load = " (load average %.2f)" % __import__("os").getloadavg()[0]
    except OSError:
        load = ""
    print(f"one step on {n:,} float32 parameters in {len(SHAPES)} tensors, best of 15{load}")
    print(f"{'optimizer':<10} {'fused ms':>9} {'fused 1-thr':>12} {'NumPy ms':>9} {'torch ms':>9} {'torch 1-thr':>12} "
          f"{'NumPy/fused':>12} {'fused/torch':>12}")
    nan = float("nan")
    for label, name, kwargs, has_fused in OPTIMIZERS:
        fns = [make_axonal(name, kwargs, fused=False, threads=ax_threads)]
        if has_fused:
            fns += [make_axonal(name, kwargs, fused=True, threads=ax_threads),
                    make_axonal(name, kwargs, fused=True, threads=1)]
        if torch is not None:
            fns += [make_torch(name, kwargs, threads), make_torch(name, kwargs, 1)]
        t = [1e3 * x for x in best_per_call(fns)]
        numpy_ms = t.pop(0)
        fused_ms, fused_one = (t.pop(0), t.pop(0)) if has_fused else (nan, nan)
        torch_ms, one_ms = (t[0], t[1]) if torch is not None else (nan, nan)
        print(f"{label:<10} {fused_ms:>9.2f} {fused_one:>12.2f} {numpy_ms:>9.2f} {torch_ms:>9.2f} {one_ms:>12.2f} "
              f"{numpy_ms / fused_ms:>11.1f}x {fused_ms / torch_ms:>12.2f}")

    print("\none Adam step on one float32 tensor: fused vs NumPy path (us)")
    print(f"{'elements':>10} {'fused us':>10} {'NumPy us':>10} {'NumPy/fused':>12}")
    for size in SIZES:
        fused_s, numpy_s = best_per_call(
            [make_axonal("Adam", {}, True, [(size,)], ax_threads),
             make_axonal("Adam", {}, False, [(size,)], ax_threads)],
            samples=9,
        )
        print(f"{size:>10} {1e6 * fused_s:>10.1f} {1e6 * numpy_s:>10.1f} {numpy_s / fused_s:>11.1f}x")
    versions = f"axonal {ax_threads} threads, NumPy {np.__version__}"
    if torch is not None:
        versions += f", torch {torch.__version__} {threads} threads"
    print(f"({versions})")


if __name__ == "__main__":
    main()
