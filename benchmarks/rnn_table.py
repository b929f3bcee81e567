"""Recurrent training-step table: axonal vs PyTorch, float32, one training step with Adam.

    PYTHONPATH=python python benchmarks/rnn_table.py [--threads 2] [--samples 7] [--quick] [--only lstm gru rnn]
                                                     [--cpu-time]

Cases (batch 64, inputs of 28 features, batch_first, a Linear(H, 10) head on the last step's output,
cross-entropy, backward, Adam(lr=1e-3) step, zero_grad):
  2 layers, hidden 128, 28 steps   (Fashion-MNIST read row by row)
  1 layer,  hidden 256, 100 steps  (a longer sequence)
for nn.LSTM and nn.GRU (and nn.RNN with --only rnn). Both libraries hold copies of the same weights; before timing,
one step's loss and every gradient are checked against torch (allclose rtol 1e-3, atol 1e-5), and the run aborts on
a mismatch.

Timing: the libraries are interleaved, each sample ~0.25 s of steps after a pause (gemm_table's method), and both the
best and the median per step are reported, with the ratio torch/axonal (> 1: axonal faster). On a shared machine the
numbers are noisy: rerun when the load average printed first is well below the number of CPUs.
Every library runs with --threads threads (axonal.set_num_threads, torch.set_num_threads).

--cpu-time adds, per case, the process CPU time per step of each library on ONE thread (time.process_time, best of
the samples): on a loaded machine that figure barely moves while wall times swing by 2-5x, so it is the one to
compare kernels by there; it says nothing about how a library scales to two threads.
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
    sys.path.insert(0, os.path.join(HERE, "..", "python"))

import axonal as ax  # noqa: E402
import axonal.nn.functional as F  # noqa: E402
from axonal import nn, optim  # noqa: E402

SETTLE_S = 0.15
BATCH, FEATURES, CLASSES = 64, 28, 10
CASES = [(2, 128, 28), (1, 256, 100)]


class AxModel(nn.Module):
    def __init__(self, cls, layers, hidden):
        super().__init__()
        self.rnn = cls(FEATURES, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, CLASSES)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def make_pair(kind, layers, hidden, torch):
    ax.manual_seed(0)
    model = AxModel({"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[kind], layers, hidden)

    class TorchModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[kind]
            self.rnn = cls(FEATURES, hidden, num_layers=layers, batch_first=True)
            self.head = torch.nn.Linear(hidden, CLASSES)

        def forward(self, x):
            out, _ = self.rnn(x)
            return self.head(out[:, -1])

    tmodel = TorchModel()
    with torch.no_grad():
        for name, p in tmodel.named_parameters():
            p.copy_(torch.from_numpy(dict(model.named_parameters())[name].numpy()))
    return (model, optim.Adam(model.parameters(), lr=1e-3)), (tmodel, torch.optim.Adam(tmodel.parameters(), lr=1e-3))


def axonal_step(model, opt, x, y):
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss


def torch_step(torch, model, opt, x, y):
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss


def check(pair_a, pair_t, x, y, torch):
    (model, _), (tmodel, _) = pair_a, pair_t
    model.zero_grad()
    loss = F.cross_entropy(model(ax.tensor(x)), ax.tensor(y))
    loss.backward()
    tmodel.zero_grad()
    tloss = torch.nn.functional.cross_entropy(tmodel(torch.from_numpy(x)), torch.from_numpy(y))
    tloss.backward()
    if not np.allclose(loss.item(), tloss.item(), rtol=1e-4, atol=1e-6):
        raise SystemExit(f"loss mismatch: axonal {loss.item()} torch {tloss.item()}")
    grads = dict(model.named_parameters())
    for name, p in tmodel.named_parameters():
        if not np.allclose(grads[name].grad.numpy(), p.grad.numpy(), rtol=1e-3, atol=1e-5):
            raise SystemExit(f"gradient mismatch for {name}")
    model.zero_grad()
    tmodel.zero_grad()


def time_interleaved(fns, samples, target_s=0.25, clock=time.perf_counter):
    """Per function: every sample's seconds per call, the functions sampled in turn after a settle pause."""
    reps = []
    for f in fns:
        for _ in range(2):
            f()
        t0 = clock()
        f()
        reps.append(max(1, int(target_s / max(clock() - t0, 1e-6))))
    times = [[] for _ in fns]
    for _ in range(samples):
        for i, f in enumerate(fns):
            time.sleep(SETTLE_S)
            f()
            t0 = clock()
            for _ in range(reps[i]):
                f()
            times[i].append((clock() - t0) / reps[i])
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--samples", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="2 samples of ~0.05 s (a smoke run)")
    parser.add_argument("--only", nargs="+", default=["lstm", "gru"], choices=["lstm", "gru", "rnn"])
    parser.add_argument("--cpu-time", action="store_true", help="also CPU time per step on one thread")
    args = parser.parse_args()
    import torch

    ax.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    samples, target = (2, 0.05) if args.quick else (args.samples, 0.25)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; {args.threads} threads; "
          f"axonal {ax.__version__}, torch {torch.__version__}")
    cpu_head = f" {'1-thread CPU ms axonal/torch':>29}" if args.cpu_time else ""
    print(f"{'case':34} {'axonal best/median':>20} {'torch best/median':>20} {'torch/axonal':>13}{cpu_head}")
    rng = np.random.default_rng(0)
    for kind in args.only:
        for layers, hidden, steps in CASES:
            x = rng.standard_normal((BATCH, steps, FEATURES)).astype(np.float32)
            y = rng.integers(0, CLASSES, BATCH).astype(np.int64)
            pair_a, pair_t = make_pair(kind, layers, hidden, torch)
            check(pair_a, pair_t, x, y, torch)
            xa, ya, xt, yt = ax.tensor(x), ax.tensor(y), torch.from_numpy(x), torch.from_numpy(y)
            fa = lambda: axonal_step(*pair_a, xa, ya)  # noqa: E731
            ft = lambda: torch_step(torch, *pair_t, xt, yt)  # noqa: E731
            ta, tt = time_interleaved([fa, ft], samples, target)
            best_a, med_a, best_t, med_t = min(ta), statistics.median(ta), min(tt), statistics.median(tt)
            label = f"{kind.upper()} {layers}x{hidden}, {steps} steps, batch {BATCH}"
            cpu = ""
            if args.cpu_time:
                ax.set_num_threads(1)
                torch.set_num_threads(1)
                ca, ct = time_interleaved([fa, ft], samples, target, clock=time.process_time)
                ax.set_num_threads(args.threads)
                torch.set_num_threads(args.threads)
                cpu = f" {min(ca) * 1e3:9.1f} / {min(ct) * 1e3:6.1f} ms {min(ct) / min(ca):5.2f}x"
            print(f"{label:34} {best_a * 1e3:8.2f} / {med_a * 1e3:6.2f} ms {best_t * 1e3:8.2f} / {med_t * 1e3:6.2f} ms"
                  f" {best_t / best_a:6.2f}x/{med_t / med_a:5.2f}x{cpu}", flush=True)


if __name__ == "__main__":
    main()
