"""Batch, stochastic and mini-batch gradient descent: the same model, data, learning rate and epochs.

    python examples/gradient_descent.py [--epochs 5] [--lr 0.01] [--sample] [--out gd-out]

The model is softmax regression on Fashion-MNIST (one nn.Linear(784, 10) and the cross-entropy): its loss is
convex, so the three runs differ only in how they estimate the gradient, never in where they can end up.
The one thing that changes is the DataLoader's batch_size:

- batch GD (batch_size = len(dataset)): the exact gradient of the whole training loss, one update per epoch.
  Smooth and deterministic, but each update costs a full pass over the data, so it makes little progress per
  epoch (and needs the whole dataset in memory at once);
- stochastic GD (batch_size = 1): the gradient of one example, len(dataset) updates per epoch. Very noisy
  steps that are cheap in arithmetic but pay the per-step overhead (Python, autograd, kernel launch) every
  time, so an epoch is slow in wall-clock terms; the noise also keeps it bouncing around the minimum unless
  the learning rate decays;
- mini-batch GD (batch_size = 32): a gradient averaged over 32 examples, so 32x less noisy than one example
  (variance / 32), still many updates per epoch, and vectorized -- the usual compromise.

Writes gradient_descent.png (training loss against epochs, updates and seconds) and one checkpoint per run.
"""
import argparse
import copy
import os
import time

import axonal as ax
from axonal import nn, optim
from axonal.data import DataLoader, datasets


def full_loss(model, dataset, loss_fn):
    """The loss over the whole dataset (what gradient descent actually minimizes)."""
    x, y = dataset.tensors
    with ax.no_grad():
        return loss_fn(model(x), y).item()


def accuracy(model, dataset):
    x, y = dataset.tensors
    with ax.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def train(model, train_set, batch_size, lr, epochs, evals_per_epoch):
    """Plain SGD (no momentum) with the given batch size. Returns the training-loss curve as a list of
    (epochs done, updates done, seconds, loss) -- the seconds count training only, not the loss measurements."""
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=lr)
    loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, seed=0)
    updates_per_epoch = len(loader)
    # Measure the loss evenly over each epoch and also after updates 1, 2, 3, 4, 6, 9, ... (for the log axis).
    every = max(1, updates_per_epoch // evals_per_epoch)
    checkpoints = {int(1.5 ** k) for k in range(60)}
    curve = [(0.0, 0, 0.0, full_loss(model, train_set, loss_fn))]
    seconds, updates = 0.0, 0
    for epoch in range(epochs):
        start = time.perf_counter()
        for i, (x, y) in enumerate(loader):
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()   # the gradient of this batch's mean loss
            optimizer.step()                  # w <- w - lr * gradient
            updates += 1
            if (i + 1) % every == 0 or i + 1 == updates_per_epoch or updates in checkpoints:
                seconds += time.perf_counter() - start
                loss = full_loss(model, train_set, loss_fn)
                curve.append((epoch + (i + 1) / updates_per_epoch, updates, seconds, loss))
                start = time.perf_counter()
    return curve


def plot(path, runs):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, panels = plt.subplots(1, 3, figsize=(15, 4.2), sharey=True)
    for name, curve in runs.items():
        epochs, updates, seconds, losses = zip(*curve)
        marker = "o" if len(epochs) < 30 else None
        for panel, x in zip(panels, (epochs, updates, seconds)):
            panel.plot(x, losses, marker=marker, label=f"{name} ({updates[-1]} updates)")
    panels[0].set(xlabel="epochs (passes over the training set)", ylabel="training loss (cross-entropy)",
                  title="against data seen")
    panels[1].set(xlabel="updates (log scale)", xscale="log", title="against updates")
    panels[2].set(xlabel="training seconds (log scale)", xscale="log", title="against wall-clock time")
    panels[0].legend()
    for panel in panels:
        panel.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lr", type=float, default=0.01, help="the same for the three runs")
    parser.add_argument("--minibatch", type=int, default=32, help="the mini-batch size")
    parser.add_argument("--evals-per-epoch", type=int, default=20, help="training-loss measurements per epoch")
    parser.add_argument("--sample", action="store_true", help="the small sample shipped with axonal (a quick run)")
    parser.add_argument("--out", default="gd-out", help="folder for the plot and the checkpoints")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    ax.manual_seed(0)
    load = datasets.fashion_mnist_sample if args.sample else datasets.fashion_mnist
    train_set, test_set = load("train", flatten=True), load("test", flatten=True)
    initial = nn.Linear(784, 10)  # every run starts from these same weights

    flavours = {"batch GD": len(train_set), "stochastic GD": 1, "mini-batch GD": args.minibatch}
    runs = {}
    print(f"softmax regression, {len(train_set)} training images, lr {args.lr}, {args.epochs} epochs")
    for name, batch_size in flavours.items():
        model = copy.deepcopy(initial)
        runs[name] = curve = train(model, train_set, batch_size, args.lr, args.epochs, args.evals_per_epoch)
        _, updates, seconds, loss = curve[-1]
        last_epoch = [point[3] for point in curve if point[0] > args.epochs - 1]  # how much the loss still jumps
        print(f"{name:22s} batch_size {batch_size:5d}  {updates:6d} updates  {seconds:6.2f} s "
              f"({args.epochs * len(train_set) / seconds:8.0f} examples/s)  "
              f"train loss {curve[0][3]:.4f} -> {loss:.4f} (last epoch {min(last_epoch):.4f}-{max(last_epoch):.4f})  "
              f"test accuracy {accuracy(model, test_set):.4f}")
        ax.save(model.state_dict(), os.path.join(args.out, f"softmax_regression_batch{batch_size}.safetensors"))

    plot(os.path.join(args.out, "gradient_descent.png"), runs)
    print(f"wrote {args.out}/gradient_descent.png")


if __name__ == "__main__":
    main()
