"""One optimizer step on a CNN-sized parameter set (~1.63M float32), axonal (NumPy) vs torch.optim.

    PYTHONPATH=python python benchmarks/bench_optim.py          # prints the table
    PYTHONPATH=python pytest benchmarks/bench_optim.py           # the same through pytest-benchmark

Decides whether fused C++ optimizer kernels are worth having: only if NumPy is clearly slower.
On the 2-core dev machine (AMD EPYC, NumPy 2.4.6, torch 2.13 CPU) one Adam step took
5.3-6.3 ms in axonal, 2.8-4.4 ms in torch with 2 threads (ratio 1.4-2.1) and 5.0 ms in torch with one
thread: NumPy's single-threaded ufuncs match torch per core; the gap is torch's second thread.
"""
import time

import numpy as np

import axonal as ax
import axonal.optim as optim

# The example CNN: conv 1->32 3x3, conv 32->64 3x3, linear 64*7*7->512, linear 512->10.
SHAPES = [(32, 1, 3, 3), (32,), (64, 32, 3, 3), (64,), (512, 3136), (512,), (10, 512), (10,)]
OPTIMIZERS = [("Adam", {}), ("AdamW", {}), ("SGD", dict(lr=0.01, momentum=0.9)), ("RMSprop", {})]


def _arrays(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(np.float32) for s in SHAPES]


def make_axonal(name, kwargs):
    params = [ax.tensor(a, requires_grad=True) for a in _arrays()]
    for p, g in zip(params, _arrays(1)):
        p.grad = ax.tensor(g)
    opt = getattr(optim, name)(params, **kwargs)
    opt.step()  # state and scratch buffers exist from here on, as in training
    return opt.step


def make_torch(name, kwargs):
    import torch

    params = [torch.tensor(a, requires_grad=True) for a in _arrays()]
    for p, g in zip(params, _arrays(1)):
        p.grad = torch.from_numpy(g)
    opt = getattr(torch.optim, name)(params, **kwargs)
    opt.step()
    return opt.step


def _median_ms(fn, repeats=50, warmup=5):
    for _ in range(warmup):  # the first calls pay for thread pools and page faults
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def test_adam_step_axonal(benchmark):
    benchmark(make_axonal("Adam", {}))


def test_adam_step_torch(benchmark):
    import pytest

    pytest.importorskip("torch")
    benchmark(make_torch("Adam", {}))


def main():
    n = sum(int(np.prod(s)) for s in SHAPES)
    try:
        import torch

        threads = torch.get_num_threads()
    except ImportError:
        torch = None
    print(f"one step on {n:,} float32 parameters in {len(SHAPES)} tensors (median of 50)")
    print(f"{'optimizer':<10} {'axonal ms':>10} {'torch ms':>10} {'axonal/torch':>13} {'torch 1-thread ms':>18}")
    for name, kwargs in OPTIMIZERS:
        mine = _median_ms(make_axonal(name, kwargs))
        theirs = one_thread = float("nan")
        if torch is not None:
            theirs = _median_ms(make_torch(name, kwargs))
            torch.set_num_threads(1)
            one_thread = _median_ms(make_torch(name, kwargs))
            torch.set_num_threads(threads)
        print(f"{name:<10} {mine:>10.2f} {theirs:>10.2f} {mine / theirs:>13.2f} {one_thread:>18.2f}")
    if torch is not None:
        print(f"(torch {torch.__version__}, {threads} threads; axonal: NumPy {np.__version__}, single-threaded ufuncs)")


if __name__ == "__main__":
    main()
