"""GEMM throughput table: axonal vs NumPy (@) vs PyTorch, float32, at 2 threads and at 1 thread.

    PYTHONPATH=python python benchmarks/gemm_table.py [--out benchmarks/out/gemm.png] [--threads 2 1]

For each shape it prints GFLOP/s of axonal (_C.matmul), NumPy and PyTorch (when installed), the ratios
axonal/NumPy and axonal/PyTorch, and axonal's fraction of the FMA peak of the CPU's widest vector level
(avx512 or avx2) calibrated by fma_peak.py in the same run; then it draws the numbers as a bar chart (PNG,
needs matplotlib).

NumPy runs its native BLAS kernel: when OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set (they pin OpenBLAS to
an older kernel), the script re-executes itself once without them (bench_env.py) and prints threadpoolctl's
architecture; --numpy-pinned keeps them.

Every library gets the same thread count: with threadpoolctl installed the BLAS pools are limited in
process; without it each thread count runs in a subprocess with OMP_NUM_THREADS / OPENBLAS_NUM_THREADS /
MKL_NUM_THREADS set before NumPy loads. torch.set_num_threads and axonal.set_num_threads are set as well.

Shapes are M x K x N. The training shapes are those of a Linear layer y = x @ W with x (M x K), W (K x N):
fwd is x @ W, dW is x^T @ g (a transposed view of x, no copy) and dX is g @ W^T (a transposed view of W).
Timing: calls are repeated for ~25 ms per sample, libraries interleaved, best of several samples, so a
neighbour's burst of load on a shared machine hurts all three alike and is mostly filtered out. Each sample
starts after a pause (SETTLE_S) so that no library is timed while another one's threads still spin, and
then WARM_S of untimed calls so that no library is timed while its own threads are still waking up.
A burst that outlasts a case (seconds) still spoils it, so the whole sweep runs --passes times (default 2)
and every cell keeps its best pass.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SQUARE = [64, 128, 256, 512, 1024, 2048]
TRAINING = [(64, 784, 256), (64, 3136, 128), (128, 10, 64)]


def cases(squares):
    """(label, M, K, N, trans_a, trans_b): op(A) is M x K, op(B) is K x N."""
    out = [(f"{s}^3", s, s, s, False, False) for s in squares]
    for M, K, N in TRAINING:
        out.append((f"{M}x{K}x{N} fwd", M, K, N, False, False))
        out.append((f"{K}x{M}x{N} dW TN", K, M, N, True, False))
        out.append((f"{M}x{N}x{K} dX NT", M, N, K, False, True))
    return out


def _import_axonal():
    try:
        import axonal  # noqa: F401
    except ImportError:
        sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))
    from axonal import _C

    return _C


# After a call, OpenBLAS worker threads busy-wait for up to ~2^28 cycles (~0.1 s) and libgomp's for about
# a millisecond. On a 2-core machine a library timed right after another would share its cores with those
# spinning threads, so every sample starts after a pause that lets the previous library's pool go to sleep.
SETTLE_S = 0.15
WARM_S = 0.005
PEAK_LEVEL = None  # the vector level whose FMA peak the fractions use (fma_peak.widest_level())


def _best_per_call(fns, target_s=0.025, samples=7):
    """Best seconds per call of each function; the functions are sampled in turn, each after a settle pause."""
    reps = []
    for f in fns:
        # Calls per sample from warm calls: the first calls after a pause run slower (thread pools and
        # the CPU waking up), and calibrating on one of them made samples far shorter than target_s.
        time.sleep(SETTLE_S)
        for _ in range(3):
            f()
        t0 = time.perf_counter()
        for _ in range(5):
            f()
        dt = max((time.perf_counter() - t0) / 5, 1e-7)
        reps.append(max(1, min(100000, int(target_s / dt))))
    best = [float("inf")] * len(fns)
    for _ in range(samples):
        for i, f in enumerate(fns):
            n = reps[i]
            time.sleep(SETTLE_S)
            # Calls for WARM_S before timing: after the pause the first ~3 ms of calls run 20-40% slower
            # (measured on 128^3: pools waking, the idle vCPU coming back), which would weigh on a 25 ms
            # sample depending on how fast each library recovers rather than on its speed.
            t0 = time.perf_counter()
            f()
            while time.perf_counter() - t0 < WARM_S:
                f()
            t0 = time.perf_counter()
            for _ in range(n):
                f()
            best[i] = min(best[i], (time.perf_counter() - t0) / n)
    return best


def measure(threads, squares):
    """Rows of GFLOP/s for every case at `threads` threads (the BLAS pools must already be limited)."""
    import numpy as np

    _C = _import_axonal()
    _C.set_num_threads(threads)
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:
        torch = None
    rng = np.random.default_rng(0)
    rows = []
    for label, M, K, N, ta, tb in cases(squares):
        a_store = rng.standard_normal((K, M) if ta else (M, K)).astype(np.float32)
        b_store = rng.standard_normal((N, K) if tb else (K, N)).astype(np.float32)
        a = a_store.T if ta else a_store
        b = b_store.T if tb else b_store
        fns = [lambda: _C.matmul(a, b), lambda: a @ b]
        if torch is not None:
            ta_t, tb_t = torch.from_numpy(a_store), torch.from_numpy(b_store)
            ta_t = ta_t.t() if ta else ta_t
            tb_t = tb_t.t() if tb else tb_t
            fns.append(lambda: torch.mm(ta_t, tb_t))
        times = _best_per_call(fns)
        flop = 2.0 * M * N * K
        gf = [flop / t * 1e-9 for t in times]
        rows.append({"label": label, "axonal": gf[0], "numpy": gf[1], "torch": gf[2] if torch is not None else None})
    return rows


def measure_isolated(threads, squares):
    """measure() with every library limited to `threads` threads: threadpoolctl in process, or a subprocess."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None
    if threadpool_limits is not None:
        with threadpool_limits(limits=threads):
            return measure(threads, squares)
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        env[var] = str(threads)
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", str(threads), "--sizes", *map(str, squares)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"worker for {threads} thread(s) failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _fmt(x, width=8, prec=1):
    return f"{x:{width}.{prec}f}" if x is not None else " " * (width - 1) + "-"


def print_table(threads, rows, peak):
    has_torch = any(r["torch"] is not None for r in rows)
    peak_txt = f"calibrated {PEAK_LEVEL} FMA peak {peak:.1f} GFLOP/s" if peak else "no FMA peak calibrated"
    print(f"\nfloat32 GEMM, {threads} thread(s), GFLOP/s ({peak_txt})")
    head = f"{'shape (MxKxN)':<22}{'axonal':>8}{'numpy':>8}{'torch':>8}{'ax/np':>8}{'ax/torch':>9}{'ax/peak':>8}"
    print(head)
    print("-" * len(head))
    for r in rows:
        ax, npy, tt = r["axonal"], r["numpy"], r["torch"]
        print(
            f"{r['label']:<22}{_fmt(ax)}{_fmt(npy)}{_fmt(tt)}{_fmt(ax / npy, 8, 2)}"
            f"{_fmt(ax / tt if has_torch and tt else None, 9, 2)}{_fmt(ax / peak if peak else None, 8, 2)}"
        )


def plot(results, peaks, out):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"\nmatplotlib is not installed: no chart written to {out}", file=sys.stderr)
        return
    import numpy as np

    fig, axes = plt.subplots(len(results), 1, figsize=(14, 4.5 * len(results)), squeeze=False)
    for ax, (threads, rows) in zip(axes[:, 0], results):
        labels = [r["label"] for r in rows]
        x = np.arange(len(rows))
        libs = [("axonal", "tab:blue"), ("numpy", "tab:orange")]
        if any(r["torch"] is not None for r in rows):
            libs.append(("torch", "tab:green"))
        w = 0.8 / len(libs)
        for i, (lib, color) in enumerate(libs):
            vals = [r[lib] or 0.0 for r in rows]
            ax.bar(x + (i - (len(libs) - 1) / 2) * w, vals, w, label=lib, color=color)
        peak = peaks.get(threads) if peaks else None
        if peak:
            ax.axhline(peak, color="k", ls="--", lw=1, label=f"FMA peak {peak:.0f}")
        ax.set_xticks(x)
        ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
        ax.set_ylabel("GFLOP/s")
        ax.set_title(f"float32 GEMM, {threads} thread(s)")
        ax.legend(fontsize=8, ncol=4)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=110)
    print(f"\nchart written to {out}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=os.path.join(HERE, "out", "gemm.png"), help="PNG chart path")
    p.add_argument("--threads", type=int, nargs="+", default=[2, 1], help="thread counts (default: 2 1)")
    p.add_argument("--sizes", type=int, nargs="+", default=SQUARE, help="square sizes (default: %(default)s)")
    p.add_argument("--passes", type=int, default=2, help="sweeps per thread count; each cell keeps its best")
    p.add_argument("--numpy-pinned", action="store_true",
                   help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (NumPy on the kernel they pin)")
    p.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()

    if args.worker is not None:  # subprocess mode: the thread env vars are already set
        print(json.dumps(measure(args.worker, args.sizes)))
        return 0

    sys.path.insert(0, HERE)
    from bench_env import blas_description, native_numpy, pinning_note
    from fma_peak import calibrate, widest_level

    removed = {} if args.numpy_pinned else native_numpy()
    print(pinning_note(removed) if not args.numpy_pinned else "--numpy-pinned: OPENBLAS_* left as they are")
    print(blas_description())
    _C = _import_axonal()
    print(f"axonal: {_C.cpu_info()['isa']} kernels, GEMM tile {_C.cpu_info()['gemm_tile']['float32']}")
    global PEAK_LEVEL
    PEAK_LEVEL = widest_level()
    peaks = calibrate(tuple(sorted(set(args.threads)))) or {}
    try:
        load = open("/proc/loadavg").read().split()[:3]
        print(f"load average before the run: {' '.join(load)} on {os.cpu_count()} CPUs")
    except OSError:
        pass
    for t, g in sorted(peaks.items()):
        print(f"FMA peak ({PEAK_LEVEL}), {t} thread(s): {g:.1f} GFLOP/s")
    results = [(t, best_of_passes([measure_isolated(t, args.sizes) for _ in range(args.passes)]))
               for t in args.threads]
    peaks = check_peaks(peaks, calibrate(tuple(sorted(set(args.threads))), fresh=True) or {})
    for t, rows in results:
        print_table(t, rows, peaks.get(t))
    plot(results, peaks, args.out)
    return 0


def best_of_passes(passes):
    """Rows of the first pass with every library's GFLOP/s replaced by its best over all passes."""
    rows = [dict(r) for r in passes[0]]
    for other in passes[1:]:
        for row, o in zip(rows, other):
            for lib in ("axonal", "numpy", "torch"):
                if o[lib] is not None:
                    row[lib] = max(row[lib], o[lib])
    return rows


def check_peaks(before, after):
    """The larger of the peaks calibrated before and after the run (so fractions of peak err low), with a
    warning when they differ by more than 5% or t threads do not reach 0.9 t times one thread: on a shared
    machine that means a neighbour took CPU time during the run. Ratios between libraries stay
    meaningful (they are interleaved); fractions of peak do not."""
    peaks = {t: max(before.get(t, 0.0), after.get(t, 0.0)) for t in set(before) | set(after)}
    for t in sorted(after):
        print(f"FMA peak after the run, {t} thread(s): {after[t]:.1f} GFLOP/s")
    drift = [t for t in before if t in after and abs(after[t] - before[t]) > 0.05 * max(before[t], after[t])]
    cores = os.cpu_count() or 1
    low = [t for t in peaks if t > 1 and 1 in peaks and peaks[t] < 0.9 * peaks[1] * min(t, cores)]
    if drift or low:
        print("warning: the FMA peak moved during the run or does not scale with threads; the machine was "
              "busy, so read the ratios between libraries, not the fractions of peak")
    return peaks


if __name__ == "__main__":
    sys.exit(main())
