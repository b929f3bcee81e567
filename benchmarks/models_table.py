"""Whole-network table: training-step time of axonal vs PyTorch, the same networks in the same run.

    PYTHONPATH=python python benchmarks/models_table.py [--threads 1 2] [--repeats 7] [--target-s 0.5]
                                                        [--cases demo_cnn mlp ... demo_epoch] [--quick]

Cases (every one a model of axonal.models against its torch twin from model_twins.py, loaded with the same
initial weights, fed the same batches in the same order, with the same optimizer settings):
  demo_cnn        fashion_cnn + Adam(lr=2e-3), batch 64 of 1x28x28 (the demo's first recipe; the demo now trains
                  fashion_cnn_bn under a one-cycle schedule: benchmarks/demo_recipe_table.py times that, whole)
  mlp             fashion_mlp + SGD(lr=0.05, momentum=0.9), batch 64 (conv_cases.STEPS['mlp'])
  resnet8         resnet8 + SGD(lr=0.05, momentum=0.9), batch 64 of 3x32x32
  lenet5          lenet5 (tanh, avg-pool) + SGD(lr=0.05, momentum=0.9), batch 64 of 1x28x28
  mlp_bn          mlp_bn (784-512-256-10, BatchNorm1d, Dropout 0.2) + Adam(lr=1e-3), batch 128
  demo_cnn_infer  fashion_cnn forward at batch 256 in eval mode: axonal under no_grad, torch under inference_mode
  demo_epoch      one Fashion-MNIST epoch of the demo's first recipe (fashion_cnn, Adam 2e-3, batch 64,
                  standardized images), both libraries taking their batches from one shuffled index
                  order, the loss read back every step as fit() does; timed as a whole (seconds per epoch). The
                  full set when it is on disk, else the embedded sample (the table says which).
A training step is forward, cross-entropy, backward, optimizer step, zero_grad (conv_cases.axonal_step /
torch_step); the inference case is one forward.

Before a case is timed, one step runs on a fresh pair of twins and the run aborts (exit 1, naming the case) unless
the losses before and after that step agree within 1e-4 relative and every gradient matches torch's (rtol 1e-3,
atol 1e-4, conv_cases.assert_close). Dropout draws different masks in the two libraries, so mlp_bn is checked
with p=0 on both sides and timed with p=0.2; the inference case compares logits.

Timing (gemm_table's method, per-step statistics added): the two libraries alternate in blocks, each block after
a SETTLE_S pause (two OpenMP pools in one process fight for the cores while the other's threads still spin) and
one untimed step, then ~--target-s seconds of steps; --repeats blocks per library. The table gives the median
per-step time over the blocks and their spread (min-max), and torch_median / axonal_median (> 1: axonal faster).
Both libraries run at the same thread count (axonal.set_num_threads, torch.set_num_threads, and threadpoolctl's
limit on every BLAS/OpenMP pool when it is installed), once per --threads value.

--quick is a smoke run (one warm-up step, then 2 blocks of one step; 4 batches of the epoch): seconds, numbers
meaningless. It leaves demo_epoch out unless --cases names it.
"""
import argparse
import itertools
import math
import os
import platform
import statistics
import sys
import time
from collections import namedtuple
from contextlib import contextmanager, nullcontext

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
try:  # the installed axonal (or the one PYTHONPATH names), else the source tree's built in place
    import axonal  # noqa: F401
except ImportError:
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))

import axonal as ax  # noqa: E402
import axonal.nn.functional as F  # noqa: E402

sys.path.insert(0, HERE)
from conv_cases import STEPS, Mismatch, assert_close, axonal_step, import_torch, torch_step  # noqa: E402
from gemm_table import SETTLE_S  # noqa: E402
from model_twins import copy_weights, torch_twin  # noqa: E402

LOSS_RTOL = 1e-4
SGD_MOMENTUM = dict(lr=0.05, momentum=0.9)

Case = namedtuple("Case", "label model twin opt opt_kw batch shape kind")
CASES = {
    "demo_cnn": Case("demo CNN, Adam 2e-3, b64", "fashion_cnn", "cnn", "Adam", dict(lr=2e-3), 64, (1, 28, 28),
                     "train"),
    "mlp": Case("MLP 784-256-128-10, SGD m0.9, b64", "fashion_mlp", "mlp", "SGD", STEPS["mlp"][2], 64, (1, 28, 28),
                "train"),
    "resnet8": Case("ResNet-8 3x32x32, SGD m0.9, b64", "resnet8", "resnet8", "SGD", SGD_MOMENTUM, 64, (3, 32, 32),
                    "train"),
    "lenet5": Case("LeNet-5, SGD m0.9, b64", "lenet5", "lenet5", "SGD", SGD_MOMENTUM, 64, (1, 28, 28), "train"),
    "mlp_bn": Case("MLP-BN-Dropout 0.2, Adam, b128", "mlp_bn", "mlp_bn", "Adam", dict(lr=1e-3), 128, (1, 28, 28),
                   "train"),
    "demo_cnn_infer": Case("demo CNN inference, b256", "fashion_cnn", "cnn", None, None, 256, (1, 28, 28), "infer"),
    "demo_epoch": Case("demo CNN epoch, Adam 2e-3, b64", "fashion_cnn", "cnn", "Adam", dict(lr=2e-3), 64, (1, 28, 28),
                       "epoch"),
}
N_BATCHES = 4  # distinct batches a step case cycles through, the same sequence for both libraries


# ----------------------------------------------------------------------------------------------- models


def set_dropout(model, p):
    """Sets p of every Dropout in an axonal or torch model (both keep it in .p, read at each forward)."""
    for m in model.modules():
        if type(m).__name__ == "Dropout":
            m.p = p


def make_pair(case, torch, dropout=None, seed=0):
    """(axonal model, optimizer or None), (torch twin with copies of the same weights, optimizer or None)."""
    ax.manual_seed(seed)
    model = getattr(ax.models, case.model)()
    twin = copy_weights(model, torch_twin(case.twin, torch), torch)
    if dropout is not None:
        set_dropout(model, dropout)
        set_dropout(twin, dropout)
    if case.kind == "infer":
        model.eval()
        twin.eval()
        return (model, None), (twin, None)
    return ((model, getattr(ax.optim, case.opt)(model.parameters(), **case.opt_kw)),
            (twin, getattr(torch.optim, case.opt)(twin.parameters(), **case.opt_kw)))


def make_batches(case, n=N_BATCHES, seed=2):
    rng = np.random.default_rng(seed)
    return [(rng.random((case.batch, *case.shape), dtype=np.float32),  # pixel values in [0, 1)
             rng.integers(0, 10, case.batch).astype(np.int64)) for _ in range(n)]


# ----------------------------------------------------------------------------------------------- checks


def _rel(a, b):
    return abs(a - b) / max(abs(b), 1e-12)


def _check_loss(what, la, lt):
    if not (math.isfinite(la) and math.isfinite(lt)) or _rel(la, lt) > LOSS_RTOL:
        raise Mismatch(f"{what}: axonal {la:.7g} vs torch {lt:.7g} (relative difference {_rel(la, lt):.2g} "
                       f"> {LOSS_RTOL:g})")


def check_case(name, case, torch, x, y):
    """One step on fresh twins: loss before, every gradient, loss after the optimizer step (same batch)."""
    xa, ya, xt, yt = ax.from_numpy(x), ax.from_numpy(y), torch.from_numpy(x), torch.from_numpy(y)
    (ma, oa), (mt, ot) = make_pair(case, torch, dropout=0.0 if case.model == "mlp_bn" else None)
    try:
        if case.kind == "infer":
            with ax.no_grad():
                out_a = ma(xa)
            with torch.inference_mode():
                out_t = mt(xt)
            assert_close("logits", out_a.numpy(), out_t.numpy())
            _check_loss("loss of the logits", F.cross_entropy(out_a, ya).item(),
                        torch.nn.functional.cross_entropy(out_t, yt).item())
            return
        loss_a = F.cross_entropy(ma(xa), ya)
        loss_t = torch.nn.functional.cross_entropy(mt(xt), yt)
        loss_a.backward()
        loss_t.backward()
        _check_loss("loss before the step", loss_a.item(), loss_t.item())
        pa = dict(ma.named_parameters())
        for k, p in mt.named_parameters():
            assert_close(f"gradient of {k}", pa[k].grad.numpy(), p.grad.numpy())
        oa.step()
        ot.step()
        oa.zero_grad()
        ot.zero_grad()
        with ax.no_grad():
            after_a = F.cross_entropy(ma(xa), ya).item()
        with torch.no_grad():
            after_t = torch.nn.functional.cross_entropy(mt(xt), yt).item()
        _check_loss(f"loss after one {case.opt} step", after_a, after_t)
    except Mismatch as e:
        raise SystemExit(f"models_table: case {name!r} ({case.label}): axonal and torch do not compute the same "
                         f"thing, so timing them would compare different work; {e}") from None


# ----------------------------------------------------------------------------------------------- timing


def step_fns(case, torch, batches):
    """[axonal fn, torch fn]: zero-argument calls doing one step (or forward) on the next batch of the cycle."""
    (ma, oa), (mt, ot) = make_pair(case, torch)
    cyc_a = itertools.cycle([(ax.from_numpy(x), ax.from_numpy(y)) for x, y in batches])
    cyc_t = itertools.cycle([(torch.from_numpy(x), torch.from_numpy(y)) for x, y in batches])
    if case.kind == "infer":
        def run_a():
            with ax.no_grad():
                return ma(next(cyc_a)[0])

        def run_t():
            with torch.inference_mode():
                return mt(next(cyc_t)[0])

        return [run_a, run_t]
    return [lambda: axonal_step(ma, oa, *next(cyc_a)), lambda: torch_step(torch, mt, ot, *next(cyc_t))]


def time_blocks(fns, repeats, target_s, min_steps=2, settle_s=SETTLE_S, warm=True):
    """Per function, the seconds per call of each of `repeats` blocks; the functions alternate block by block
    (who goes first alternates too), every block after a settle pause and (warm) one untimed call.
    target_s <= 0 with warm=False is the smoke mode: one call per function first, then blocks of min_steps."""
    steps = []
    for f in fns:  # the first calls allocate and warm up; one timed call sizes the blocks
        time.sleep(settle_s)
        f()
        if target_s <= 0:
            steps.append(min_steps)
            continue
        t0 = time.perf_counter()
        f()
        steps.append(max(min_steps, int(target_s / max(time.perf_counter() - t0, 1e-6))))
    times = [[] for _ in fns]
    for r in range(repeats):
        order = range(len(fns)) if r % 2 == 0 else reversed(range(len(fns)))
        for i in order:
            f, n = fns[i], steps[i]
            time.sleep(settle_s)
            if warm:
                f()
            t0 = time.perf_counter()
            for _ in range(n):
                f()
            times[i].append((time.perf_counter() - t0) / n)
    return times


def load_epoch_data():
    """(images, labels, description): standardized Fashion-MNIST train split, as train_cnn uses it."""
    ds = ax.data.datasets
    try:
        train = ds.fashion_mnist("train", download=False, standardize=True)
        what = "Fashion-MNIST"
    except FileNotFoundError:
        train = ds.fashion_mnist_sample("train", standardize=True)
        what = "the embedded sample (full Fashion-MNIST not on disk)"
    images, labels = train.arrays
    return images, labels, what


def time_epochs(case, torch, data, repeats, max_batches=None, settle_s=SETTLE_S):
    """Seconds per epoch of each library (fresh twins every repeat) and each one's mean loss of the first repeat.

    Both take their batches from one permutation, gathered with NumPy the same way, so data handling costs the
    same on both sides and the mean losses double as a check that both trained alike."""
    images, labels = data
    order = np.random.default_rng(0).permutation(len(images))
    idx = [order[i:i + case.batch] for i in range(0, len(order), case.batch)][:max_batches]

    def epoch_a(model, opt):
        total = 0.0
        for b in idx:
            total += axonal_step(model, opt, ax.from_numpy(images[b]), ax.from_numpy(labels[b])).item()
        return total / len(idx)

    def epoch_t(model, opt):
        total = 0.0
        for b in idx:
            total += torch_step(torch, model, opt, torch.from_numpy(images[b]), torch.from_numpy(labels[b])).item()
        return total / len(idx)

    times, losses = [[], []], [None, None]
    for r in range(repeats):
        pairs = make_pair(case, torch)
        for i in ((0, 1) if r % 2 == 0 else (1, 0)):
            time.sleep(settle_s)
            t0 = time.perf_counter()
            loss = (epoch_a, epoch_t)[i](*pairs[i])
            times[i].append(time.perf_counter() - t0)
            if losses[i] is None:
                losses[i] = loss
    return times, losses, len(idx), sum(len(b) for b in idx)


# ----------------------------------------------------------------------------------------------- driver


@contextmanager
def threads_set(threads, torch):
    """Every pool pinned to `threads`: threadpoolctl's limit when installed, plus both libraries' own setters."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None
    with threadpool_limits(limits=threads) if threadpool_limits is not None else nullcontext():
        ax.set_num_threads(threads)
        torch.set_num_threads(threads)
        if ax.get_num_threads() != threads or torch.get_num_threads() != threads:
            raise SystemExit(f"models_table: asked for {threads} threads, got axonal {ax.get_num_threads()}, "
                             f"torch {torch.get_num_threads()}")
        yield


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def print_header(torch, threads, removed):
    from bench_env import blas_description, pinning_note

    info = ax.cpu_info()
    try:
        load = " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        load = "unknown"
    print(f"CPU: {cpu_model()} ({os.cpu_count()} CPUs), load average before the run {load}")
    print(f"axonal {ax.__version__}: {info['isa']} kernels (CPU supports {info['cpu_isa']}), OpenMP "
          f"{'on' if info['openmp'] else 'off'}; torch {torch.__version__}; numpy {np.__version__}")
    print(blas_description() + "; " + pinning_note(removed))
    print(f"threads: {', '.join(map(str, threads))} (axonal and torch set to the same count for each row)")


def fmt_stats(values, scale, prec=2):
    v = [x * scale for x in values]
    return f"{statistics.median(v):.{prec}f}", f"{min(v):.{prec}f}–{max(v):.{prec}f}"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts (default: 1 2)")
    p.add_argument("--cases", nargs="+", choices=list(CASES), help="cases to run (default: all; --quick: all "
                   "but demo_epoch)")
    p.add_argument("--repeats", type=int, default=7, help="timed blocks per library (default 7)")
    p.add_argument("--target-s", type=float, default=0.5, help="seconds of steps per block (default 0.5)")
    p.add_argument("--epoch-repeats", type=int, default=2, help="epochs per library and thread count (default 2)")
    p.add_argument("--epoch-batches", type=int, help="time only the first N batches of the epoch")
    p.add_argument("--quick", action="store_true", help="smoke run: 2 blocks of one step, 4 batches of the epoch")
    args = p.parse_args(argv)

    from bench_env import native_numpy

    removed = native_numpy()  # axonal's elementwise work runs in NumPy: on its native BLAS kernel, as a user's would
    torch = import_torch()
    if torch is None:
        raise SystemExit("models_table: PyTorch is not installed (pip install torch): nothing to compare with")
    names = args.cases or [n for n in CASES if not (args.quick and n == "demo_epoch")]
    # --quick: 2 blocks of one step after a short pause, only to run every path (its numbers mean nothing)
    repeats, target_s, min_steps, settle_s = ((2, 0.0, 1, 0.02) if args.quick
                                              else (args.repeats, args.target_s, 2, SETTLE_S))
    epoch_batches = args.epoch_batches or (4 if args.quick else None)

    print_header(torch, args.threads, removed)
    rows = []
    for name in names:
        case = CASES[name]
        data = note = None
        if case.kind == "epoch":
            images, labels, what = load_epoch_data()
            data = (images, labels)
            check_case(name, case, torch, images[:case.batch], labels[:case.batch])
        else:
            batches = make_batches(case)
            check_case(name, case, torch, *batches[0])
        for t in args.threads:
            with threads_set(t, torch):
                if case.kind == "epoch":
                    times, losses, nb, nimg = time_epochs(case, torch, data, args.epoch_repeats, epoch_batches,
                                                          settle_s)
                    scale, unit = 1.0, "s/epoch" if nimg == len(data[0]) else f"s/{nb} batches"
                    note = (f"{name}: {nb} batches ({nimg} images) of {what}; mean loss axonal {losses[0]:.4f}, "
                            f"torch {losses[1]:.4f}")
                else:
                    times = time_blocks(step_fns(case, torch, batches), repeats, target_s, min_steps, settle_s,
                                        warm=not args.quick)
                    scale, unit = 1e3, "ms/batch" if case.kind == "infer" else "ms/step"
            ratio = statistics.median(times[1]) / statistics.median(times[0])
            prec = 3 if case.kind == "epoch" else 2
            rows.append((name, case.label, t, unit, *fmt_stats(times[0], scale, prec),
                         *fmt_stats(times[1], scale, prec), ratio))
            print(f"  measured {name} at {t} thread(s)", file=sys.stderr, flush=True)
        if note:
            print(note)

    epochs = f" ({args.epoch_repeats} epochs for demo_epoch)" if "demo_epoch" in names else ""
    print(f"\nper step (per batch, per epoch): median over {repeats} timed blocks per library{epochs}, spread "
          "min–max; torch/axonal = torch median / axonal median (> 1: axonal faster)\n")
    print("| case | network | threads | unit | axonal median | axonal min–max | torch median | torch min–max "
          "| torch/axonal |")
    print("| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for name, label, t, unit, am, asp, tm, tsp, ratio in rows:
        print(f"| {name} | {label} | {t} | {unit} | {am} | {asp} | {tm} | {tsp} | {ratio:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
