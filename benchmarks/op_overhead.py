"""Per-op and per-step Python overhead of axonal, against PyTorch measured in the same run.

    PYTHONPATH=python python benchmarks/op_overhead.py            # both tables
    PYTHONPATH=python python benchmarks/op_overhead.py --quick    # fewer samples (a smoke run)

1. Tiny ops (2x2 float32, 4x3 logits for cross_entropy): microseconds per call for the forward with no
   tensor requiring grad, the forward recording a graph, and forward + backward(gradient). On tensors this
   small the arithmetic is a few nanoseconds, so the numbers are the framework's cost per op.
2. One training step at batch 64 (forward, cross_entropy, backward, optimizer step, zero_grad):
   fashion_cnn with Adam and fashion_mlp with SGD(lr=0.05, momentum=0.9), axonal and the same network in
   torch. The axonal step is split, from a second, instrumented run, into
     C++ kernels   time inside axonal._C calls (GEMM, conv, pool, fused activation/loss kernels)
     NumPy in ops  the rest of the time inside Function.forward/backward bodies (ufuncs, reductions, the
                   small-array glue around them)
     optimizer     the time inside Optimizer._update (the in-place NumPy update of each parameter)
     Python        everything else: Tensor construction, Function.apply bookkeeping, argument checks, the
                   engine's graph walk and gradient accumulation, the module tree, the optimizer loop.
   "Python" is the instrumented step's time minus the three measured parts (it carries the timers' own
   cost, about 0.5 us per wrapped call). Each part is the smallest of its samples; percentages are of
   their sum. The timers wrap whole bodies, so Python lines inside a body count as "NumPy in ops": the
   Python figure is a lower bound on the framework's share.

Timings interleave axonal and torch and keep the best of several samples (the dev machine is shared).
Both libraries use the thread count axonal starts with (OMP_NUM_THREADS).
"""
import argparse
import os
import sys
import time
from collections import defaultdict

import numpy as np

import axonal as ax
from axonal import _C
from axonal.autograd.function import Function

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conv_cases import axonal_step, make_models, step_batch, torch_step  # noqa: E402

try:
    import torch
except ImportError:  # the tables then show axonal only
    torch = None


# ---- 1. tiny ops -------------------------------------------------------------------------------------
def _tiny_cases(lib):
    """name -> (make_inputs(requires_grad) -> args, op(*args) -> output)."""
    F = ax.nn.functional if lib is ax else torch.nn.functional
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 2)).astype(np.float32), rng.standard_normal((2, 2)).astype(np.float32)
    bias = rng.standard_normal(2).astype(np.float32)
    logits, labels = rng.standard_normal((4, 3)).astype(np.float32), np.array([0, 2, 1, 2])

    def t(x, rg=False):
        return lib.tensor(x, requires_grad=rg)

    return {
        "add": (lambda rg: (t(a, rg), t(b, rg)), lambda x, y: x + y),
        "mul": (lambda rg: (t(a, rg), t(b, rg)), lambda x, y: x * y),
        "relu": (lambda rg: (t(a, rg),), lambda x: x.relu()),
        "matmul": (lambda rg: (t(a, rg), t(b, rg)), lambda x, y: x @ y),
        "linear+bias": (lambda rg: (t(a, rg), t(b, rg), t(bias, rg)), lambda x, w, c: F.linear(x, w, c)),
        "linear+relu": (lambda rg: (t(a, rg), t(b, rg), t(bias, rg)), lambda x, w, c: F.relu(F.linear(x, w, c))),
        "cross_entropy": (lambda rg: (t(logits, rg), lib.tensor(labels)), lambda x, y: F.cross_entropy(x, y)),
    }


def _per_call_us(fn, number, repeats):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, time.perf_counter() - t0)
    return best / number * 1e6


def tiny_op_table(number, repeats):
    libs = [ax] + ([torch] if torch is not None else [])
    cases = {lib: _tiny_cases(lib) for lib in libs}
    rows = []
    for name in cases[ax]:
        best = {}
        for _ in range(repeats):  # interleaved: one sample of every library and mode per round
            for lib in libs:
                make, op = cases[lib][name]
                plain = make(False)
                tracked = make(True)
                out = op(*tracked)
                seed = lib.ones(tuple(out.shape))

                def fwd_bwd(op=op, tracked=tracked, seed=seed):
                    op(*tracked).backward(seed)

                for mode, fn in (("fwd", lambda: op(*plain)), ("fwd_grad", lambda: op(*tracked)), ("fwd_bwd", fwd_bwd)):
                    key = (lib.__name__, mode)
                    best[key] = min(best.get(key, float("inf")), _per_call_us(fn, number, 1))
        rows.append((name, best))
    return rows


def print_tiny(rows):
    have_torch = torch is not None
    print("Per-op cost, tiny tensors (us per call, best of the samples)")
    head = f"{'op':<14}{'ax fwd':>9}{'ax fwd(rg)':>12}{'ax f+b':>9}"
    if have_torch:
        head += f"{'torch fwd':>11}{'torch fwd(rg)':>15}{'torch f+b':>11}{'f+b ax/torch':>14}"
    print(head)
    for name, b in rows:
        line = f"{name:<14}{b['axonal', 'fwd']:>9.2f}{b['axonal', 'fwd_grad']:>12.2f}{b['axonal', 'fwd_bwd']:>9.2f}"
        if have_torch:
            line += (f"{b['torch', 'fwd']:>11.2f}{b['torch', 'fwd_grad']:>15.2f}{b['torch', 'fwd_bwd']:>11.2f}"
                     f"{b['axonal', 'fwd_bwd'] / b['torch', 'fwd_bwd']:>14.2f}")
        print(line)
    print("(rg: inputs require grad, so the forward records the graph; f+b: forward + backward(ones))")


# ---- 2. training steps -------------------------------------------------------------------------------
def _steps(which):
    """(axonal step, its optimizer class, torch step or None): one batch-64 training step of `which`
    ("cnn" or "mlp") in each library, the same models, weights, optimizers and step as conv_pool_table."""
    (model, opt), twin = make_models(which, torch)
    xn, yn = step_batch()
    x, y = ax.from_numpy(xn), ax.from_numpy(yn)
    tstep = None
    if twin is not None:
        tmodel, topt = twin
        tx, ty = torch.from_numpy(xn), torch.from_numpy(yn)
        tstep = lambda: torch_step(torch, tmodel, topt, tx, ty)  # noqa: E731
    return (lambda: axonal_step(model, opt, x, y)), type(opt), tstep


def _function_classes():
    seen, todo = [], [Function]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.append(sub)
                todo.append(sub)
    return seen


class Instrument:
    """Wraps axonal._C's functions, every Function's forward/backward and one optimizer's _update with timers.

    ``times[category]`` accumulates seconds; ``per_op[name]`` the body time of each Function (C++ included).
    """

    def __init__(self, opt_cls):
        self.opt_cls = opt_cls
        self.times = defaultdict(float)
        self.per_op = defaultdict(float)
        self._undo = []
        self._c_inside = 0.0  # _C time spent inside the body now running

    def _wrap_c(self, name, fn):
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                dt = time.perf_counter() - t0
                self.times["C++ kernels"] += dt
                self._c_inside += dt

        return timed

    def _wrap_body(self, label, fn, category):
        def timed(*args, **kwargs):
            outer_c, self._c_inside = self._c_inside, 0.0
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                dt = time.perf_counter() - t0
                self.times[category] += dt - self._c_inside
                self.per_op[label] += dt
                self._c_inside = outer_c + self._c_inside

        return timed

    def __enter__(self):
        for name in dir(_C):
            fn = getattr(_C, name)
            if callable(fn) and not name.startswith("_") and "threads" not in name:
                self._undo.append((_C, name, fn))
                setattr(_C, name, self._wrap_c(name, fn))
        for cls in _function_classes():
            for method in ("forward", "backward"):
                raw = cls.__dict__.get(method)
                if isinstance(raw, staticmethod):
                    self._undo.append((cls, method, raw))
                    label = f"{cls.__name__}.{method}"
                    setattr(cls, method, staticmethod(self._wrap_body(label, raw.__func__, "NumPy in ops")))
        for cls in self.opt_cls.__mro__:
            raw = cls.__dict__.get("_update")
            if raw is not None:
                self._undo.append((cls, "_update", raw))
                setattr(cls, "_update", self._wrap_body("optimizer._update", raw, "optimizer"))
                break
        return self

    def __exit__(self, *exc):
        for owner, name, value in reversed(self._undo):
            setattr(owner, name, value)
        return False


def _best_step_ms(step, number):
    t0 = time.perf_counter()
    for _ in range(number):
        step()
    return (time.perf_counter() - t0) / number * 1e3


_PARTS = ("C++ kernels", "NumPy in ops", "optimizer")


def step_split(which, number, repeats):
    step, opt_cls, tstep = _steps(which)
    for _ in range(3):  # warm-up: thread pools, first-touch page faults, optimizer state
        step()
        if tstep:
            tstep()
    best_ax = best_torch = float("inf")
    parts = None
    for _ in range(repeats):  # interleave axonal, instrumented axonal and torch
        best_ax = min(best_ax, _best_step_ms(step, number))
        if tstep:
            best_torch = min(best_torch, _best_step_ms(tstep, number))
        with Instrument(opt_cls) as ins:
            t0 = time.perf_counter()
            for _ in range(number):
                step()
            total = (time.perf_counter() - t0) / number * 1e3
        # Noise only ever adds time: keep each part's smallest sample.
        sample = {k: v / number * 1e3 for k, v in ins.times.items()}
        sample["_total"] = total
        # The timers cost ~0.5 us per wrapped call, a few dozen calls per step: Python measured in the same
        # sample as the parts is steadier on a busy machine than best-step minus parts.
        sample["Python"] = total - sum(sample.get(k, 0.0) for k in _PARTS)
        sample.update({"op " + k: v / number * 1e3 for k, v in ins.per_op.items()})
        parts = sample if parts is None else {k: min(v, parts.get(k, v)) for k, v in sample.items()}
    return best_ax, best_torch, parts


def print_split(which, best_ax, best_torch, parts):
    opt = "Adam" if which == "cnn" else "SGD(momentum=0.9)"
    print(f"\nfashion_{which} + {opt}, batch 64: one step = forward, cross_entropy, backward, step, zero_grad")
    line = f"  axonal {best_ax:7.3f} ms"
    if best_torch != float("inf"):
        line += f"   torch {best_torch:7.3f} ms   axonal/torch {best_ax / best_torch:.2f}"
    print(line)
    whole = sum(parts.get(k, 0.0) for k in _PARTS + ("Python",))
    for key in _PARTS + ("Python",):
        v = parts.get(key, 0.0)
        print(f"    {key:<14}{v:7.3f} ms  {100 * v / whole:5.1f} %")
    print(f"    (fastest instrumented step {parts['_total']:.3f} ms)")
    top = sorted(((k[3:], v) for k, v in parts.items() if k.startswith("op ")), key=lambda kv: -kv[1])[:8]
    print("    largest bodies (ms, C++ included): " + ", ".join(f"{k} {v:.3f}" for k, v in top))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer samples (noisier)")
    p.add_argument("--only", choices=("ops", "steps"), help="run one of the two tables")
    p.add_argument("--threads", type=int, help="thread count for both libraries (default: axonal's)")
    args = p.parse_args(argv)
    if args.threads:
        ax.set_num_threads(args.threads)
    threads = ax.get_num_threads()
    if torch is not None:
        torch.set_num_threads(threads)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"axonal {ax.__version__}, numpy {np.__version__}, torch {torch.__version__ if torch else '-'}, "
          f"{threads} thread(s), load average {load:.2f}, python {sys.version.split()[0]}\n")
    if args.only != "steps":
        number, repeats = (300, 3) if args.quick else (1000, 5)
        print_tiny(tiny_op_table(number, repeats))
    if args.only != "ops":
        for which, number in (("cnn", 5), ("mlp", 50)):
            repeats = 2 if args.quick else 5
            print_split(which, *step_split(which, 1 if args.quick else number, repeats))


if __name__ == "__main__":
    main()
