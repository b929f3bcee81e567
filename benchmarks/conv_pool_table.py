"""Convolution, pooling and training-step table: axonal vs PyTorch vs a NumPy im2col reference, float32.

    PYTHONPATH=python python benchmarks/conv_pool_table.py [--threads 2 1] [--quick] [--only conv pool step epoch]
                                                           [--epoch] [--out benchmarks/out/conv_pool.png]
                                                           [--numpy-pinned]

Cases (every conv has a bias, stride 1, "same" padding):
  conv   3x3 pad 1 and 5x5 pad 2 on N64 C1->32 28x28, N64 C32->64 14x14, N32 C64->64 56x56,
         forward and forward+backward (grads of input, weight and bias). The C=1 layer is the first layer
         of a network, whose input gradient nobody uses, so its forward+backward is timed without it
         (input requires_grad=False) and labelled "(no dx)".
  pool   max_pool2d and avg_pool2d 2x2 stride 2 on 64x32x28x28, forward and forward+backward.
  step   one training step at batch 64 (forward, cross-entropy, backward, optimizer step, zero_grad) of
         axonal.models.fashion_cnn() with Adam(lr=1e-3) and axonal.models.fashion_mlp() with
         SGD(lr=0.05, momentum=0.9), against the same torch models holding copies of the same weights.
  epoch  (--epoch or --only epoch) one epoch of Fashion-MNIST with the CNN, batch 64, Adam: axonal through
         fashion_mnist('train', download=False) + DataLoader, torch on the same arrays with an index shuffle.

The cases, the NumPy im2col reference and the correctness checks live in conv_cases.py, shared with the
pytest-benchmark suite bench_conv.py. Each library is called through the API a user calls
(axonal.nn.functional on Tensors that require grad, then .backward(grad); torch.nn.functional likewise),
so per-op Python overhead is part of the numbers.
Ratios are times: torch/axonal and numpy/axonal > 1 mean axonal is faster.

Before a case is timed, its outputs and gradients are checked once against torch (or, for conv without
torch, axonal and the NumPy reference against each other) with allclose(rtol=1e-3, atol=1e-4); a mismatch
aborts the run. Timing reuses gemm_table.py's method: calls repeated for ~40 ms per sample, libraries
interleaved, best of several samples, each sample after a pause (SETTLE_S) so no library is timed while
another one's BLAS/OpenMP threads still spin.

Every library runs with each of --threads thread counts in turn (default 2, then 1): axonal.set_num_threads,
torch.set_num_threads, and NumPy's BLAS through threadpoolctl (and OPENBLAS/OMP/MKL_NUM_THREADS = the largest
count: the script re-executes itself once with them set, because the BLAS reads them only when NumPy is first
imported). The same re-execution removes OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, which some environments set
to pin OpenBLAS to an older kernel, so NumPy runs its native one (bench_env.py; --numpy-pinned keeps them).
The conv table's ax/peak column is the direct convolution's flops (2 N K C k^2 H W per pass; forward+backward
counts 3 passes, 2 without dx) over axonal's time and the FMA peak of the CPU's widest vector level
(fma_peak.py): Winograd layers do fewer multiplies than that, so they can pass 1.

--quick is a smoke run: 2 samples of ~10 ms, the 56x56 convolutions left out, 50 batches of the epoch.
"""
import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from conv_cases import (  # noqa: E402
    STEP_BATCH,
    STEPS,
    Mismatch,
    axonal_step,
    check_outputs,
    conv_fns,
    conv_label,
    conv_specs,
    import_torch,
    make_models,
    needs_dx,
    pool_cases,
    pool_fns,
    pool_label,
    step_fns,
    step_label,
    torch_step,
)
from gemm_table import SETTLE_S, _best_per_call  # noqa: E402  (one timing method for every table)

import axonal as ax  # noqa: E402  (conv_cases has put ./python on sys.path if axonal is not installed)

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


# ----------------------------------------------------------------------------------------------- epoch


def run_epoch(torch, max_batches=None):
    """Seconds for one epoch of each library (or None when Fashion-MNIST is not on disk), and mean losses."""
    try:
        ds = ax.data.datasets.fashion_mnist("train", download=False)
    except FileNotFoundError as e:
        print(f"\n--epoch skipped: Fashion-MNIST not found ({e})")
        return None
    images, labels = ds.arrays
    n_batches = -(-len(images) // STEP_BATCH)
    if max_batches is not None:
        n_batches = min(n_batches, max_batches)
    result = {}

    (model, opt), pair_t = make_models("cnn", torch)
    loader = ax.data.DataLoader(ds, batch_size=STEP_BATCH, shuffle=True, seed=0)
    time.sleep(SETTLE_S)
    t0, total = time.perf_counter(), 0.0
    for i, (xb, yb) in enumerate(loader):
        if i == n_batches:
            break
        total += float(axonal_step(model, opt, xb, yb).item())  # users log the loss: part of the loop
    result["axonal"] = (time.perf_counter() - t0, total / n_batches)

    if pair_t is not None:
        xt_all, yt_all = torch.from_numpy(images), torch.from_numpy(labels)
        # The permutation DataLoader(shuffle=True, seed=0) draws for its first epoch today: with the same
        # batches in the same order, the two mean losses double as a check that both trained alike.
        order = torch.from_numpy(np.random.default_rng(0).permutation(len(images)))
        time.sleep(SETTLE_S)
        t0, total = time.perf_counter(), 0.0
        for i in range(n_batches):
            idx = order[i * STEP_BATCH:(i + 1) * STEP_BATCH]
            total += float(torch_step(torch, *pair_t, xt_all[idx], yt_all[idx]).item())
        result["torch"] = (time.perf_counter() - t0, total / n_batches)
    return {"batches": n_batches, "images": min(len(images), n_batches * STEP_BATCH), **result}


# ----------------------------------------------------------------------------------------------- driver


def time_case(group, label, fns, target_s, samples, flops=None):
    libs = list(fns)
    times = _best_per_call([fns[lib] for lib in libs], target_s=target_s, samples=samples)
    return {"group": group, "label": label, "flops": flops, **{lib: None for lib in ("axonal", "torch", "numpy")},
            **dict(zip(libs, times))}


def conv_flops(spec, backward):
    """Multiply-adds x 2 of the direct convolution: one pass forward, 3 with both gradients, 2 without dx."""
    one = 2.0 * spec.N * spec.K * spec.C * spec.k * spec.k * spec.H * spec.H
    return one * (1 if not backward else 3 if needs_dx(spec) else 2)


def measure(groups, torch, target_s, samples, quick=False):
    rows = []
    if "conv" in groups:
        for spec in conv_specs(quick):
            for backward in (False, True):
                label = conv_label(spec, backward)
                fns = conv_fns(spec, backward, torch)
                check_outputs(label, fns)
                rows.append(time_case("conv", label, fns, target_s, samples, conv_flops(spec, backward)))
                _progress(rows[-1])
    if "pool" in groups:
        for kind, backward in pool_cases():
            label = pool_label(kind, backward)
            fns = pool_fns(kind, backward, torch)
            check_outputs(label, fns)
            rows.append(time_case("pool", label, fns, target_s, samples))
            _progress(rows[-1])
    if "step" in groups:
        for name in STEPS:  # step_fns runs its own check (a whole step by hand on both twins)
            rows.append(time_case("step", step_label(name), step_fns(name, torch), target_s, samples))
            _progress(rows[-1])
    return rows


def _progress(row):
    print(f"  measured {row['label']}", file=sys.stderr, flush=True)


def _ratio(num, den):
    return num / den if num is not None and den else None


def _fmt(x, width, prec):
    return f"{x:{width}.{prec}f}" if x is not None else " " * (width - 1) + "-"


def print_times(title, rows, peak=None):
    print(f"\n{title}: ms per call (best of the samples); ratios > 1 mean axonal is faster")
    head = f"{'case':<42}{'axonal':>9}{'torch':>9}{'numpy':>9}{'torch/ax':>10}{'numpy/ax':>10}{'ax/peak':>9}"
    print(head)
    print("-" * len(head))
    for r in rows:
        ms = [None if r[lib] is None else 1e3 * r[lib] for lib in ("axonal", "torch", "numpy")]
        frac = r["flops"] / r["axonal"] * 1e-9 / peak if peak and r.get("flops") and r["axonal"] else None
        print(f"{r['label']:<42}{_fmt(ms[0], 9, 2)}{_fmt(ms[1], 9, 2)}{_fmt(ms[2], 9, 2)}"
              f"{_fmt(_ratio(r['torch'], r['axonal']), 10, 2)}{_fmt(_ratio(r['numpy'], r['axonal']), 10, 2)}"
              f"{_fmt(frac, 9, 2)}")


def print_steps(rows):
    print("\ntraining steps (forward, cross-entropy, backward, optimizer step, zero_grad): images/s; "
          "torch/ax > 1 means axonal is faster")
    head = f"{'case':<42}{'axonal':>10}{'torch':>10}{'torch/ax':>10}"
    print(head)
    print("-" * len(head))
    for r in rows:
        ips = [None if r[lib] is None else STEP_BATCH / r[lib] for lib in ("axonal", "torch")]
        ratio = _ratio(r["torch"], r["axonal"])
        print(f"{r['label']:<42}{_fmt(ips[0], 10, 0)}{_fmt(ips[1], 10, 0)}{_fmt(ratio, 10, 2)}")


def print_epoch(ep):
    what = "one epoch" if ep["images"] >= 60000 else f"the first {ep['batches']} batches of an epoch"
    print(f"\nFashion-MNIST, {what} ({ep['images']} images), CNN, batch {STEP_BATCH}, Adam: wall time")
    head = f"{'library':<10}{'seconds':>10}{'images/s':>10}{'mean loss':>11}"
    print(head)
    print("-" * len(head))
    for lib in ("axonal", "torch"):
        if lib in ep:
            s, loss = ep[lib]
            print(f"{lib:<10}{s:10.2f}{ep['images'] / s:10.0f}{loss:11.4f}")
    if "torch" in ep:
        print(f"torch/axonal time ratio: {ep['torch'][0] / ep['axonal'][0]:.2f}")


def plot(rows, ep, out, threads):
    """Up to three panels: ms per call (conv, pool), images/s (steps), and every ratio against axonal."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"\nmatplotlib is not installed (pip install matplotlib): no chart written to {out}", file=sys.stderr)
        return
    colors = {"axonal": "tab:blue", "torch": "tab:green", "numpy": "tab:orange"}
    timed = [r for r in rows if r["group"] != "step"]
    steps = [r for r in rows if r["group"] == "step"]
    ratio_rows = list(rows)
    if ep is not None and "torch" in ep:
        ratio_rows.append({"label": "Fashion-MNIST epoch (CNN)", "axonal": ep["axonal"][0], "torch": ep["torch"][0],
                           "numpy": None})
    ratios = {f"{lib}/axonal": [_ratio(r[lib], r["axonal"]) for r in ratio_rows] for lib in ("torch", "numpy")}
    panels = []
    if timed:
        panels.append(lambda axis: _times_panel(axis, timed, colors, threads))
    if steps:
        panels.append(lambda axis: _steps_panel(axis, steps, colors, threads))
    if any(v is not None for vals in ratios.values() for v in vals):
        panels.append(lambda axis: _ratio_panel(axis, ratio_rows, ratios))
    if not panels:
        return
    fig, axes = plt.subplots(len(panels), 1, figsize=(14, 4.8 * len(panels)), squeeze=False)
    for axis, draw in zip(axes[:, 0], panels):
        draw(axis)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=110)
    print(f"\nchart written to {out}")


def _times_panel(axis, rows, colors, threads):
    _bars(axis, rows, {lib: [None if r[lib] is None else 1e3 * r[lib] for r in rows] for lib in colors}, colors)
    _log_axis(axis)  # 0.2 ms pooling and 2 s convolutions on one axis
    axis.set_ylabel("ms per call (log)")
    axis.set_title(f"convolution and pooling, {threads} thread(s): time per call, lower is better")


def _steps_panel(axis, rows, colors, threads):
    libs = ("axonal", "torch")
    _bars(axis, rows, {lib: [None if r[lib] is None else STEP_BATCH / r[lib] for r in rows] for lib in libs}, colors)
    axis.set_ylabel("images/s")
    axis.set_title(f"training step, batch {STEP_BATCH}, {threads} thread(s): higher is better")


def _ratio_panel(axis, rows, ratios):
    _bars(axis, rows, ratios, {"torch/axonal": "tab:green", "numpy/axonal": "tab:orange"}, base=1.0)
    axis.axhline(1.0, color="k", lw=1)
    _log_axis(axis)
    axis.set_ylabel("time ratio (log)")
    axis.set_title("speed-up of axonal: the other library's time / axonal's time, > 1 means axonal is faster")


def _log_axis(axis):
    from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

    axis.set_yscale("log")
    axis.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.yaxis.set_major_formatter(FormatStrFormatter("%g"))  # 0.5, 2, 20 rather than 5x10^-1 ...
    axis.yaxis.set_minor_formatter(NullFormatter())


def _bars(axis, rows, series, colors, base=0.0):
    """Grouped bars, one group per row, one bar per series that has at least one value; bars start at
    `base` (1 for ratios, so that a slow-down points down from the line and a speed-up up)."""
    series = {k: v for k, v in series.items() if any(x is not None for x in v)}
    x = np.arange(len(rows))
    w = 0.8 / max(1, len(series))
    for i, (name, vals) in enumerate(series.items()):
        heights = [0.0 if v is None else v - base for v in vals]
        axis.bar(x + (i - (len(series) - 1) / 2) * w, heights, w, bottom=base, label=name, color=colors[name])
    axis.set_xticks(x)
    axis.set_xticklabels([r["label"] for r in rows], rotation=30, ha="right", fontsize=8)
    axis.legend(fontsize=8)


def prepare_environment(threads, numpy_pinned):
    """Re-executes the script once if needed: BLAS thread variables set to `threads`, and (unless numpy_pinned)
    the OpenBLAS kernel pinning removed. Returns the removed settings, for the header."""
    if numpy_pinned:
        pin_blas_threads(threads)
        return None
    from bench_env import native_numpy

    return native_numpy(extra_env={v: str(threads) for v in THREAD_VARS})


def pin_blas_threads(threads):
    """Re-executes the script with the BLAS thread variables set, unless they already are: OpenBLAS reads
    them once, when NumPy is imported, so setting them now would not reach the im2col reference's GEMMs."""
    if all(os.environ.get(v) == str(threads) for v in THREAD_VARS):
        return
    env = dict(os.environ, **{v: str(threads) for v in THREAD_VARS})
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, os.path.abspath(__file__), *sys.argv[1:]], env)


def print_header(args, torch, removed, peaks, level):
    from bench_env import blas_description, pinning_note

    missing = "not installed (no torch columns; conv checked against the NumPy reference, pool and steps unchecked)"
    print(f"axonal {ax.__version__} ({ax.cpu_info()['isa']} kernels), numpy {np.__version__}, "
          f"torch {torch.__version__ if torch else missing}; {' and '.join(map(str, args.threads))} thread(s) "
          f"each{'; --quick' if args.quick else ''}")
    print("--numpy-pinned: OPENBLAS_* left as they are" if removed is None else pinning_note(removed))
    print(blas_description())
    for t, g in sorted(peaks.items()):
        print(f"FMA peak ({level}), {t} thread(s): {g:.1f} GFLOP/s")
    try:
        load = " ".join(open("/proc/loadavg").read().split()[:3])
        print(f"load average before the run: {load} on {os.cpu_count()} CPUs")
    except OSError:
        pass


def print_tables(rows, quick, threads, peak):
    conv_title = (f"convolution, float32, stride 1, bias, {threads} thread(s)" +
                  (" (--quick: the 56x56 layer left out)" if quick else ""))
    for group, title in (("conv", conv_title), ("pool", f"pooling, float32, {threads} thread(s)")):
        sel = [r for r in rows if r["group"] == group]
        if sel:
            print_times(title, sel, peak if group == "conv" else None)
    steps = [r for r in rows if r["group"] == "step"]
    if steps:
        print_steps(steps)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, nargs="+", default=[2, 1],
                   help="thread counts for every library, one table each (default: 2 1)")
    p.add_argument("--numpy-pinned", action="store_true",
                   help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (NumPy on the kernel they pin)")
    p.add_argument("--out", default=os.path.join(HERE, "out", "conv_pool.png"), help="PNG chart path")
    p.add_argument("--only", nargs="+", choices=["conv", "pool", "step", "epoch"], help="run only these groups")
    p.add_argument("--epoch", action="store_true", help="also time one Fashion-MNIST epoch (needs the data on disk)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 2 samples of ~10 ms, no 56x56 convolutions, only the first 50 batches of the epoch")
    args = p.parse_args()
    if min(args.threads) < 1:
        p.error("--threads must be >= 1")
    removed = prepare_environment(max(args.threads), args.numpy_pinned)

    from fma_peak import calibrate, widest_level

    groups = set(args.only) if args.only else {"conv", "pool", "step"} | ({"epoch"} if args.epoch else set())
    target_s, samples = (0.01, 2) if args.quick else (0.04, 5)
    torch = import_torch()
    level = widest_level()
    peaks = (calibrate(tuple(sorted(set(args.threads)))) or {}) if "conv" in groups else {}
    print_header(args, torch, removed, peaks, level)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # NumPy's BLAS then keeps the largest count (the environment variables)
        threadpool_limits = None
    for i, threads in enumerate(args.threads):
        ax.set_num_threads(threads)
        if torch is not None:
            torch.set_num_threads(threads)
        sys.stdout.flush()  # the header before the progress lines on stderr
        limits = threadpool_limits(limits=threads, user_api="blas") if threadpool_limits else None
        try:
            rows = measure(groups, torch, target_s, samples, args.quick)
        except Mismatch as e:
            print(f"\nABORTED: the libraries' results differ, so their timings would not compare the same "
                  f"computation.\n  {e}", file=sys.stderr)
            return 1
        finally:
            if limits is not None:
                limits.restore_original_limits()
        print_tables(rows, args.quick, threads, peaks.get(threads))
        ep = run_epoch(torch, max_batches=50 if args.quick else None) if "epoch" in groups else None
        if ep is not None:
            print_epoch(ep)
        out = args.out if i == 0 else args.out.replace(".png", f"_{threads}t.png")
        plot(rows, ep, out, threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
