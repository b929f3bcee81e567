"""The demo's whole recipe in axonal and in PyTorch: training time and test accuracy on the same batches.

    PYTHONPATH=python python benchmarks/demo_recipe_table.py [--epochs 3] [--threads 2] [--repeats 1] [--sample]

The recipe of ``python -m axonal.demo`` (axonal/demo.py, train_cnn): models.fashion_cnn_bn (its torch twin in
model_twins.py, loaded with the same initial weights), batch 64, Adam under a one-cycle schedule peaking at 4e-3
and stepped every batch, cross-entropy with label smoothing 0.1, on standardized Fashion-MNIST (the full set when
it is on disk, else the embedded sample). Both libraries take the same batches: one NumPy permutation per epoch,
gathered with NumPy the same way, so data handling costs the same on both sides. The timed part is the training
epochs (forward, loss, backward, optimizer and scheduler steps); the test accuracy is measured after them, in eval
mode under no_grad, at batch 1000. One function (train_and_test) trains both: the two APIs agree on every name it
uses. With --repeats > 1 the libraries alternate which goes first.

The ratio torch/axonal (> 1: axonal faster) is the same-run figure for issue 15's "PyTorch's time and accuracy
for the same recipe and batches"; the accuracies differ only by float rounding (both start from the same
weights and see the same batches).
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
try:  # the installed axonal, else the source tree's (built in place by scripts/dev_build.sh)
    import axonal  # noqa: F401
except ImportError:
    sys.path.insert(0, os.path.join(HERE, "..", "python"))

from conv_cases import import_torch  # noqa: E402
from model_twins import copy_weights, torch_twin  # noqa: E402

import axonal as ax  # noqa: E402

BATCH, PEAK_LR, SMOOTHING = 64, 4e-3, 0.1
SETTLE_S = 1.0


def load(sample):
    ds = ax.data.datasets
    if not sample:
        try:
            train = ds.fashion_mnist("train", download=False, standardize=True)
            test = ds.fashion_mnist("test", download=False, standardize=True)
            return train.arrays, test.arrays, "Fashion-MNIST (60000 train / 10000 test)"
        except FileNotFoundError:
            pass
    train = ds.fashion_mnist_sample("train", standardize=True)
    test = ds.fashion_mnist_sample("test", standardize=True)
    return train.arrays, test.arrays, f"the embedded sample ({len(train)} train / {len(test)} test)"


def epoch_batches(n, epochs, seed=0):
    """Per epoch, the index arrays of its batches (the last one may be short, as a DataLoader's)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(epochs):
        order = rng.permutation(n)
        out.append([order[i:i + BATCH] for i in range(0, n, BATCH)])
    return out


def train_and_test(lib, model, train, test, plan):
    """Trains ``model`` with the recipe on ``plan``'s batches and tests it, with ``lib`` axonal or torch (their APIs
    agree on every name used here). Returns (training seconds, test accuracy, the last batch's loss)."""
    images, labels = train
    opt = lib.optim.Adam(model.parameters(), lr=PEAK_LR)
    sched = lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=PEAK_LR, total_steps=sum(len(e) for e in plan))
    model.train()
    start = time.perf_counter()
    for batches in plan:
        for b in batches:
            loss = lib.nn.functional.cross_entropy(model(lib.from_numpy(images[b])), lib.from_numpy(labels[b]),
                                                   label_smoothing=SMOOTHING)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    seconds = time.perf_counter() - start
    model.eval()
    correct = 0
    with lib.no_grad():
        for i in range(0, len(test[0]), 1000):
            pred = model(lib.from_numpy(test[0][i:i + 1000])).numpy().argmax(1)
            correct += int((pred == test[1][i:i + 1000]).sum())
    return seconds, correct / len(test[0]), float(loss.item())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=1, help="runs per library, alternating which goes first")
    p.add_argument("--sample", action="store_true", help="the embedded sample even when the full set is on disk")
    p.add_argument("--max-batches", type=int, help="only the first N batches of each epoch (a smoke run)")
    args = p.parse_args(argv)

    torch = import_torch()
    if torch is None:
        raise SystemExit("demo_recipe_table: PyTorch is not installed (pip install torch): nothing to compare with")
    ax.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    train, test, what = load(args.sample)
    plan = [e[:args.max_batches] for e in epoch_batches(len(train[0]), args.epochs)]
    load_avg = " ".join(open("/proc/loadavg").read().split()[:3]) if os.path.exists("/proc/loadavg") else "?"
    print(f"demo recipe on {what}: fashion_cnn_bn, batch {BATCH}, Adam one-cycle to {PEAK_LR}, label smoothing "
          f"{SMOOTHING}, {args.epochs} epochs of {len(plan[0])} batches; {args.threads} threads; axonal "
          f"{ax.__version__} ({ax.cpu_info()['isa']}), torch {torch.__version__}; load average {load_avg}")
    results = {"axonal": [], "torch": []}
    for r in range(args.repeats):
        ax.manual_seed(r)
        model = ax.models.fashion_cnn_bn()
        twin = copy_weights(model, torch_twin("cnn_bn", torch), torch)
        runs = [("axonal", lambda: train_and_test(ax, model, train, test, plan)),
                ("torch", lambda: train_and_test(torch, twin, train, test, plan))]
        for name, run in (runs if r % 2 == 0 else runs[::-1]):
            time.sleep(SETTLE_S)
            seconds, acc, last_loss = run()
            results[name].append((seconds, acc))
            print(f"  run {r + 1} {name:6s}: {seconds:7.1f} s training, test accuracy {acc:.4f}, last batch loss "
                  f"{last_loss:.4f}", flush=True)
    print("| library | training time, s (median; range) | test accuracy (median; range) |")
    print("|---|---|---|")
    for name, rows in results.items():
        t = [s for s, _ in rows]
        a = [x for _, x in rows]
        print(f"| {name} | {statistics.median(t):.1f} ({min(t):.1f}–{max(t):.1f}) | {statistics.median(a):.4f} "
              f"({min(a):.4f}–{max(a):.4f}) |")
    ratio = statistics.median(s for s, _ in results["torch"]) / statistics.median(s for s, _ in results["axonal"])
    print(f"torch / axonal training time: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
