"""Two thread pools in one process: NumPy's OpenBLAS and axonal's OpenMP, called in turn.

    PYTHONPATH=python python benchmarks/thread_pools.py [--threads 2] [--size 128] [--quick]

A training script calls NumPy (data preparation, metrics) between axonal's kernels. Each library keeps its
worker threads busy-waiting for a while after a call, so that the next call starts without a wake-up: libgomp
(axonal's OpenMP) for GOMP_SPINCOUNT spins (300,000 by default, ~7 ms on the 2-core dev machine), OpenBLAS for
up to 2^28 cycles. On a machine with as many cores as threads, a pool that is still spinning holds a core the
other library's team needs, and a team whose worker is descheduled waits at its barrier for a scheduler time
slice: a 128^3 product then takes milliseconds instead of tens of microseconds, for both libraries.

Each configuration runs in a fresh process (libgomp reads its settings when it loads) and measures, in
microseconds per call (best of several rounds):
  numpy alone       a @ b (size^3 float32), back to back
  axonal alone      _C.matmul(a, b), back to back
  axonal burst      the Linear layers of an MLP step (forward and both gradients, 64 x 784 x 256 x 10) with
                    the Python between calls: what a lower spin count could slow down
  alternating       a @ b then _C.matmul(a, b), call by call: the time of each call and of the pair
  data prep         per iteration: NumPy normalises a batch (elementwise, 64 x 784) and multiplies it by a
                    size x size matrix, then axonal runs the MLP step's layers
Configurations:
  axonal default    no OpenMP variables set: axonal.cpu sets its bounded spin before _C loads
  libgomp default   GOMP_SPINCOUNT=300000 given by the user (libgomp's own default; axonal leaves it alone)
  passive           OMP_WAIT_POLICY=passive (workers sleep at once)
The NumPy side uses its BLAS's default thread count (the process's --threads via OPENBLAS_NUM_THREADS).
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

CONFIGS = [
    ("axonal default", {}),
    ("libgomp default", {"GOMP_SPINCOUNT": "300000"}),
    ("passive", {"OMP_WAIT_POLICY": "passive"}),
]


def _best(f, rounds, min_time=0.02):
    """Best seconds per call of f over `rounds` samples of at least min_time each."""
    f()
    t0 = time.perf_counter()
    f()
    n = max(1, int(min_time / max(time.perf_counter() - t0, 1e-7)))
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(n):
            f()
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def worker(threads, size, rounds):
    import numpy as np

    sys.path.insert(0, os.path.join(ROOT, "python"))
    import axonal
    from axonal import _C

    _C.set_num_threads(threads)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size)).astype(np.float32)
    b = rng.standard_normal((size, size)).astype(np.float32)
    x = rng.standard_normal((64, 784)).astype(np.float32)
    w1 = rng.standard_normal((784, 256)).astype(np.float32) * 0.05
    w2 = rng.standard_normal((256, 10)).astype(np.float32) * 0.05

    def mlp_layers():  # forward, weight gradients, input gradient of the hidden layer: 5 products
        h = _C.relu_forward(_C.matmul(x, w1))
        y = _C.matmul(h, w2)
        _C.matmul(h.T, y)
        gh = _C.matmul(y, w2.T)
        _C.matmul(x.T, gh)

    res = {}
    res["numpy alone"] = _best(lambda: a @ b, rounds)
    res["axonal alone"] = _best(lambda: _C.matmul(a, b), rounds)
    res["axonal burst"] = _best(mlp_layers, rounds)
    # Alternating, each call timed on its own.
    t_np, t_ax, n = [], [], 200
    for _ in range(rounds):
        s_np = s_ax = 0.0
        for _ in range(n):
            t0 = time.perf_counter()
            a @ b
            t1 = time.perf_counter()
            _C.matmul(a, b)
            t2 = time.perf_counter()
            s_np += t1 - t0
            s_ax += t2 - t1
        t_np.append(s_np / n)
        t_ax.append(s_ax / n)
    res["alternating numpy"], res["alternating axonal"] = min(t_np), min(t_ax)
    res["alternating pair"] = min(p + q for p, q in zip(t_np, t_ax))

    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-3

    def data_prep_step():
        xn = (x - mean) / std
        xn @ a[:, :size] if size == 784 else (xn[:, :size] @ a)
        mlp_layers()

    res["data prep"] = _best(data_prep_step, rounds)
    res["info"] = {"cpu_info": axonal.cpu_info() if hasattr(axonal, "cpu_info") else _C.cpu_info()}
    try:
        from threadpoolctl import threadpool_info

        res["info"]["blas"] = [(p.get("internal_api"), p.get("architecture"), p.get("num_threads"))
                               for p in threadpool_info() if p.get("user_api") == "blas"]
    except ImportError:
        pass
    return res


ROWS = ["numpy alone", "axonal alone", "axonal burst", "alternating numpy", "alternating axonal",
        "alternating pair", "data prep"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--size", type=int, default=128, help="square matrix size of the NumPy / axonal product")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--repeats", type=int, default=2, help="processes per configuration, interleaved; best kept")
    p.add_argument("--quick", action="store_true", help="3 rounds, 1 repeat")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.quick:
        args.rounds, args.repeats = 3, 1
    if args.worker:
        print(json.dumps(worker(args.threads, args.size, args.rounds)))
        return 0
    try:
        print(f"load average before the run: {' '.join(open('/proc/loadavg').read().split()[:3])} on "
              f"{os.cpu_count()} CPUs")
    except OSError:
        pass
    best = {name: None for name, _ in CONFIGS}
    info = None
    for _ in range(args.repeats):
        for name, extra in CONFIGS:
            env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
            env.update(extra)
            env["OMP_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] = str(args.threads)
            cmd = [sys.executable, os.path.abspath(__file__), "--worker", "--threads", str(args.threads), "--size",
                   str(args.size), "--rounds", str(args.rounds)]
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return 1
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            if name == "axonal default":
                info = r.pop("info")
            else:
                r.pop("info")
            best[name] = r if best[name] is None else {k: min(v, best[name][k]) for k, v in r.items()}
    if info:
        ci = info["cpu_info"]
        print(f"axonal: isa {ci.get('isa')}, {ci.get('threads')} threads, OpenMP wait: {ci.get('openmp_wait')}")
        print(f"NumPy BLAS: {info.get('blas')}")
    print(f"\nmicroseconds per call, {args.threads} threads, {args.size}^3 float32 products (best of "
          f"{args.repeats} x {args.rounds})")
    head = f"{'':22}" + "".join(f"{name:>18}" for name, _ in CONFIGS)
    print(head)
    print("-" * len(head))
    for row in ROWS:
        print(f"{row:22}" + "".join(f"{best[name][row] * 1e6:18.1f}" for name, _ in CONFIGS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
