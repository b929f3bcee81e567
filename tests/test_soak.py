"""Soak: a long training run keeps a flat memory footprint.

A small CNN with BatchNorm, Dropout and Adam trains on a shuffled DataLoader in a fresh subprocess (no pytest
state in the measurement) and reports its resident set size every few hundred steps. After a warm-up (the
allocator's pools, the kernels' per-thread workspaces, the optimizer's state all reach their steady size) the
RSS may not grow by more than 1% over the rest of 10 000 steps (slow lane). The default lane runs 1 500 steps
with a looser RSS bound (a few hundred steps move the RSS by less than its noise) and, tighter, counts CPython's
allocated blocks (sys.getallocatedblocks): a Python object kept alive per step shows there at once.
"""
import json
import os
import subprocess
import sys
import textwrap

import pytest

import axonal as ax

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(ax.__file__)))  # the session's axonal (installed or python/)

SOAK = textwrap.dedent("""
    import gc, json, os, sys
    import numpy as np
    import axonal as ax
    from axonal import nn, optim
    import axonal.nn.functional as F

    steps, warmup, every = (int(a) for a in sys.argv[1:4])
    page = os.sysconf("SC_PAGE_SIZE")

    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * page

    ax.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 3 * 3, 16),
                          nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 3))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    g = np.random.default_rng(0)
    x_all = ax.tensor(g.standard_normal((256, 1, 8, 8)).astype(np.float32))
    y_all = ax.tensor(g.integers(0, 3, 256))
    loader = ax.data.DataLoader(ax.data.TensorDataset(x_all, y_all), batch_size=16, shuffle=True, seed=0)
    samples, step = [], 0
    while step < steps:
        for x, y in loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            step += 1
            if step >= warmup and (step - warmup) % every == 0:
                gc.collect()
                samples.append({"step": step, "rss": rss(), "blocks": sys.getallocatedblocks(),
                                "loss": float(loss.item())})
            if step >= steps:
                break
    print(json.dumps(samples))
""")


def soak(steps, warmup, every):
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", SOAK, str(steps), str(warmup), str(every)], env=env,
                         capture_output=True, text=True, timeout=1800)
    assert out.returncode == 0, out.stderr[-3000:]
    samples = json.loads(out.stdout.strip().splitlines()[-1])
    base, mid, last = samples[0], samples[len(samples) // 2], samples[-1]
    growth = max(s["rss"] for s in samples) / base["rss"] - 1
    # Blocks per step over the second half: caches that fill up slow down, a leak keeps its pace.
    block_rate = (last["blocks"] - mid["blocks"]) / (last["step"] - mid["step"])
    print(f"soak: {steps} steps, RSS {base['rss'] / 2**20:.1f} MiB after {warmup} steps of warm-up, "
          f"growth {100 * growth:.3f}% after; Python blocks {last['blocks'] - base['blocks']:+d} "
          f"({block_rate:.3f} per step in the second half); loss {last['loss']:.3f}")
    return growth, block_rate, samples


def test_short_training_run_keeps_memory_flat():
    growth, block_rate, _ = soak(steps=1500, warmup=500, every=100)
    assert growth < 0.03
    # One leaked object per step is one block per step or more (a Tensor is several); warm caches add ~0.1-0.32
    # in this short run (0.316 measured in CI on the merged tree), so the bound sits halfway to a real leak.
    assert block_rate < 0.5


@pytest.mark.slow
def test_ten_thousand_training_steps_keep_rss_flat():
    growth, block_rate, samples = soak(steps=10_000, warmup=1000, every=250)
    assert growth < 0.01, samples
    assert block_rate < 0.05, samples
