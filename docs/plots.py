"""Draws the benchmark plots of the docs (docs/img/*.png) from the numbers the README and benchmarks/README.md
report (measured on the 2-core dev machine; see those files for how). Rerun after updating those numbers:

    python docs/plots.py            # needs matplotlib

The numbers are copied here, not re-measured: a plot is a picture of a table, and the table is the source.
"""
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "img")

# README, "Accuracy and speed": axonal's speed over PyTorch 2.13 (CPU), same machine, same run (> 1: axonal faster).
SPEEDUPS = [
    ("CNN epoch (Fashion-MNIST)", 1.99),
    ("CNN + Adam step, batch 64", 1.96),
    ("MLP + SGD step, batch 64", 1.93),
    ("conv 3x3 first layer (C=1)", 4.1),
    ("conv 5x5 first layer (C=1)", 3.0),
    ("conv 3x3 N64 C32->64 14x14", 1.41),
    ("conv 3x3 N32 C64->64 56x56", 1.72),
    ("conv 5x5 N64 C32->64 14x14", 1.29),
    ("conv 5x5 N32 C64->64 56x56", 1.52),
    ("max-pool 2x2 fwd+bwd", 3.8),
    ("GEMM 1024^3 float32", 1.33),
]

# benchmarks/README.md, op_overhead.py: microseconds (ops) before / after the overhead work, and PyTorch.
OVERHEAD = [
    ("add 2x2 fwd+bwd", 44.6, 15.7, 50.7),
    ("matmul 2x2 fwd+bwd", 49.0, 22.7, 69.3),
    ("cross_entropy 4x3 fwd+bwd", 106.2, 27.0, 69.9),
]

# benchmarks/README.md, the data-parallel cost model: demo CNN efficiency (overlapped) by ranks N, per link.
DDP_N = [2, 8, 32, 128]
DDP_EFFICIENCY = {"10 Gb/s": [0.99, 0.97, 0.92, 0.63], "25 Gb/s": [1.00, 0.98, 0.92, 0.67],
                  "100 Gb/s": [1.00, 0.98, 0.92, 0.70]}


def speedups():
    names, values = zip(*SPEEDUPS)
    fig, ax = plt.subplots(figsize=(8, 4.8))
    ax.barh(range(len(values)), values, color="#3f7fbf")
    ax.axvline(1.0, color="black", lw=1)
    ax.set_yticks(range(len(values)), names)
    ax.invert_yaxis()
    ax.set_xlabel("axonal speed / PyTorch speed (> 1: axonal faster)")
    ax.set_title("axonal vs PyTorch 2.13 on the CPU (2 threads)")
    for i, v in enumerate(values):
        ax.text(v + 0.04, i, f"{v:.2f}x", va="center", fontsize=8)
    return fig


def overhead():
    names = [n for n, *_ in OVERHEAD]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    width = 0.27
    for k, (label, color) in enumerate([("axonal before", "#bbbbbb"), ("axonal after", "#3f7fbf"),
                                        ("PyTorch", "#e07b39")]):
        ax.bar([i + (k - 1) * width for i in range(len(names))], [row[k + 1] for row in OVERHEAD], width,
               label=label, color=color)
    ax.set_xticks(range(len(names)), names)
    ax.set_ylabel("microseconds per call")
    ax.set_title("Framework overhead on tiny ops (1 thread)")
    ax.legend()
    return fig


def ddp():
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for link, values in DDP_EFFICIENCY.items():
        ax.plot(DDP_N, values, marker="o", label=link)
    ax.set_xscale("log", base=2)
    ax.set_xticks(DDP_N, [str(n) for n in DDP_N])
    ax.set_xlabel("ranks N")
    ax.set_ylabel("efficiency (compute / step)")
    ax.set_ylim(0.5, 1.02)
    ax.set_title("Data parallel, demo CNN, overlapped (cost model)")
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, draw in (("speedup_vs_pytorch", speedups), ("op_overhead", overhead), ("ddp_efficiency", ddp)):
        fig = draw()
        fig.tight_layout()
        path = os.path.join(OUT, f"{name}.png")
        fig.savefig(path, dpi=90)
        plt.close(fig)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
