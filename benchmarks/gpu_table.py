"""axonal's CUDA path against cuBLAS (through CuPy) and torch's CUDA path (cuDNN), measured in one run on one GPU.

    python benchmarks/gpu_table.py             # on a machine with a GPU, CuPy and axonal built with AXONAL_CUDA=ON
    python benchmarks/gpu_table.py --quick     # fewer sizes and repeats
    AXONAL_CUDA_EMULATE=1 python benchmarks/gpu_table.py --smoke
                                               # no GPU: runs the axonal side once per case on the emulated device
                                               # (checks the script and the code paths, times nothing meaningful)

Everything is FP32 with TF32 off on every side (CuPy uses TF32 only with CUPY_TF32=1, which this script
refuses; torch's matmul and cuDNN TF32 switches are turned off), so the ratios compare the same arithmetic.

1. SGEMM n^3 (n = 1024, 2048, 4096): axonal's GEMM kernel vs cupy.matmul (cuBLAS), TFLOP/s and the ratio.
2. Convolution fwd+bwd and max-pool fwd+bwd (the CPU tables' layers) vs torch CUDA (cuDNN).
3. Training steps (forward, cross-entropy, backward, optimizer step) of the demo CNN + Adam, the MLP + SGD
   momentum and ResNet-8 (3 x 32 x 32) + SGD momentum, at batch 64 and 256, images/s vs torch CUDA.

Each time is the median of several samples, each sample a loop of calls bracketed by device synchronisation.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
try:  # the installed axonal, else the source tree's (built in place by scripts/dev_build.sh)
    import axonal  # noqa: F401
except ImportError:
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))
import axonal as ax  # noqa: E402
import axonal.nn.functional as F  # noqa: E402

sys.path.insert(0, HERE)
from model_twins import copy_weights, torch_twin  # noqa: E402


def timed(fn, sync, min_time=0.2, samples=5):
    """Median seconds per call of fn() over ``samples`` loops of about ``min_time`` each."""
    fn()
    sync()
    start = time.perf_counter()
    fn()
    sync()
    once = max(time.perf_counter() - start, 1e-6)
    calls = max(1, int(min_time / once))
    times = []
    for _ in range(samples):
        sync()
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        sync()
        times.append((time.perf_counter() - start) / calls)
    return statistics.median(times)


def row(cells, widths):
    print("| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |", flush=True)


def import_torch_cuda():
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True  # cuDNN picks its fastest algorithm per shape, as a user's run would
    return torch


def gemm_table(sizes, smoke):
    print("\n## SGEMM FP32 (no TF32), n x n x n\n")
    widths = (6, 14, 14, 10)
    row(("n", "axonal TF/s", "cuBLAS TF/s", "ax/cuBLAS"), widths)
    row(("-" * w for w in widths), widths)
    cupy = None if smoke else __import__("cupy")
    for n in sizes:
        a = ax.randn(n, n, device="cuda")
        b = ax.randn(n, n, device="cuda")
        t_ax = timed(lambda: a @ b, ax.cuda.synchronize, samples=1 if smoke else 5, min_time=0 if smoke else 0.2)
        if smoke:
            row((n, "(emulated)", "-", "-"), widths)
            continue
        ca, cb = a.data, b.data
        t_cu = timed(lambda: cupy.matmul(ca, cb), ax.cuda.synchronize)
        flops = 2 * n ** 3
        row((n, f"{flops / t_ax / 1e12:.1f}", f"{flops / t_cu / 1e12:.1f}", f"{t_cu / t_ax:.2f}"), widths)


CONV_CASES = [  # N, C, K, H (= W), kernel, padding, input gradient wanted
    (64, 1, 32, 28, 3, 1, False),
    (64, 32, 64, 14, 3, 1, True),
    (32, 64, 64, 56, 3, 1, True),
    (64, 32, 64, 14, 5, 2, True),
]


def conv_pool_table(torch, smoke):
    print("\n## Convolution and pooling, forward + backward (torch: cuDNN, no TF32)\n")
    widths = (44, 12, 12, 10)
    row(("case", "axonal ms", "torch ms", "torch/ax"), widths)
    row(("-" * w for w in widths), widths)
    rng = np.random.default_rng(0)
    cases = CONV_CASES[:1] if smoke else CONV_CASES
    for N, C, K, H, k, pad, dx in cases:
        if smoke:
            N, H = 2, 8
        x = rng.standard_normal((N, C, H, H), dtype=np.float32)
        w = rng.standard_normal((K, C, k, k), dtype=np.float32) / np.float32(np.sqrt(C * k * k))
        g = rng.standard_normal((N, K, H, H), dtype=np.float32)
        xa = ax.tensor(x, device="cuda", requires_grad=dx)
        wa = ax.tensor(w, device="cuda", requires_grad=True)
        ga = ax.tensor(g, device="cuda")

        def run_ax():
            xa.grad = wa.grad = None
            F.conv2d(xa, wa, padding=pad).backward(ga)

        label = f"conv{k}x{k} N{N} C{C}->{K} {H}x{H}" + ("" if dx else " (no dx)")
        t_ax = timed(run_ax, ax.cuda.synchronize, samples=1 if smoke else 5, min_time=0 if smoke else 0.2)
        t_t = None
        if torch is not None:
            xt = torch.tensor(x, device="cuda", requires_grad=dx)
            wt = torch.tensor(w, device="cuda", requires_grad=True)
            gt = torch.tensor(g, device="cuda")

            def run_t():
                xt.grad = wt.grad = None
                torch.nn.functional.conv2d(xt, wt, padding=pad).backward(gt)

            t_t = timed(run_t, torch.cuda.synchronize)
        row((label, f"{t_ax * 1e3:.3f}", "-" if t_t is None else f"{t_t * 1e3:.3f}",
             "-" if t_t is None else f"{t_t / t_ax:.2f}"), widths)
    shape = (2, 4, 8, 8) if smoke else (64, 32, 28, 28)
    x = rng.standard_normal(shape, dtype=np.float32)
    xa = ax.tensor(x, device="cuda", requires_grad=True)
    ga = ax.ones(shape[0], shape[1], shape[2] // 2, shape[3] // 2, device="cuda")

    def pool_ax():
        xa.grad = None
        F.max_pool2d(xa, 2).backward(ga)

    t_ax = timed(pool_ax, ax.cuda.synchronize, samples=1 if smoke else 5, min_time=0 if smoke else 0.2)
    t_t = None
    if torch is not None:
        xt = torch.tensor(x, device="cuda", requires_grad=True)
        gt = torch.ones(ga.shape, device="cuda")

        def pool_t():
            xt.grad = None
            torch.nn.functional.max_pool2d(xt, 2).backward(gt)

        t_t = timed(pool_t, torch.cuda.synchronize)
    row((f"max_pool2d 2x2 {'x'.join(map(str, shape))}", f"{t_ax * 1e3:.3f}",
         "-" if t_t is None else f"{t_t * 1e3:.3f}", "-" if t_t is None else f"{t_t / t_ax:.2f}"), widths)


STEP_MODELS = {  # name: (axonal factory, input shape, optimizer, kwargs)
    "cnn": (ax.models.fashion_cnn, (1, 28, 28), "Adam", dict(lr=1e-3)),
    "mlp": (ax.models.fashion_mlp, (1, 28, 28), "SGD", dict(lr=0.05, momentum=0.9)),
    "resnet8": (ax.models.resnet8, (3, 32, 32), "SGD", dict(lr=0.05, momentum=0.9)),
}


def step_table(torch, batches, smoke):
    print("\n## Training steps (forward, cross-entropy, backward, optimizer step), images/s\n")
    widths = (22, 14, 14, 10)
    row(("model, batch", "axonal img/s", "torch img/s", "ax/torch"), widths)
    row(("-" * w for w in widths), widths)
    for name, (make, shape, opt_name, kw) in STEP_MODELS.items():
        for batch in batches:
            rng = np.random.default_rng(1)
            x = rng.random((batch,) + shape, dtype=np.float32)
            y = rng.integers(0, 10, batch)
            ax.manual_seed(0)
            model = make().to("cuda")
            opt = getattr(ax.optim, opt_name)(model.parameters(), **kw)
            xa, ya = ax.tensor(x, device="cuda"), ax.tensor(y, device="cuda")

            def step_ax():
                opt.zero_grad()
                F.cross_entropy(model(xa), ya).backward()
                opt.step()

            t_ax = timed(step_ax, ax.cuda.synchronize, samples=1 if smoke else 5, min_time=0 if smoke else 0.3)
            t_t = None
            if torch is not None:
                mt = copy_weights(model, torch_twin(name, torch), torch).cuda()
                ot = getattr(torch.optim, opt_name)(mt.parameters(), **kw)
                xt, yt = torch.tensor(x, device="cuda"), torch.tensor(y, device="cuda")

                def step_t():
                    ot.zero_grad()
                    torch.nn.functional.cross_entropy(mt(xt), yt).backward()
                    ot.step()

                t_t = timed(step_t, torch.cuda.synchronize, min_time=0.3)
            row((f"{name}, {batch}", f"{batch / t_ax:.0f}", "-" if t_t is None else f"{batch / t_t:.0f}",
                 "-" if t_t is None else f"{t_t / t_ax:.2f}"), widths)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes")
    parser.add_argument("--smoke", action="store_true", help="one tiny call per case (the emulated device)")
    args = parser.parse_args(argv)
    if os.environ.get("CUPY_TF32", "0") not in ("", "0"):
        sys.exit("gpu_table: CUPY_TF32 is set; unset it so that cuBLAS computes in FP32 like axonal")
    if not ax.cuda.is_available():
        sys.exit(f"gpu_table: no CUDA device: {ax.cuda.unavailable_reason()}")
    if ax.cuda.is_emulated() and not args.smoke:
        sys.exit("gpu_table: the emulated device times nothing meaningful; run with --smoke, or on a GPU")
    torch = None if args.smoke else import_torch_cuda()
    print(f"# axonal {ax.__version__} on {ax.cuda.get_device_name()}; torch "
          f"{'not available' if torch is None else torch.__version__ + ' ' + torch.cuda.get_device_name()}")
    gemm_table([64] if args.smoke else ([1024, 4096] if args.quick else [1024, 2048, 4096]), args.smoke)
    conv_pool_table(torch, args.smoke)
    step_table(torch, [4] if args.smoke else ([64] if args.quick else [64, 256]), args.smoke)
    return 0


if __name__ == "__main__":
    sys.exit(main())
