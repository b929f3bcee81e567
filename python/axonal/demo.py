"""The main job: train the default CNN on Fashion-MNIST and report test accuracy.

    python -m axonal.demo            # full Fashion-MNIST when it is on disk, else the embedded sample
    axonal-demo --epochs 1 --sample  # the console-script form

Writes the checkpoint (safetensors) and the training curves (PNG) into --out.
"""
import argparse
import os
import sys
import time

import axonal as ax
from axonal import nn, optim
from axonal.data import DataLoader, datasets
from axonal.models import fashion_cnn


def load_data(use_sample):
    """(train, test, description): the full data set when it can be found locally, else the shipped sample."""
    if not use_sample:
        try:
            train = datasets.fashion_mnist("train", download=False)
            test = datasets.fashion_mnist("test", download=False)
            return train, test, "Fashion-MNIST (60000 train / 10000 test)"
        except FileNotFoundError:
            print("Full Fashion-MNIST not found locally; using the embedded sample "
                  "(install Debian's dataset-fashion-mnist or set AXONAL_DATA for the full set).")
    train = datasets.fashion_mnist_sample("train")
    test = datasets.fashion_mnist_sample("test")
    return train, test, f"the embedded Fashion-MNIST sample ({len(train)} train / {len(test)} test)"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="axonal-demo", description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--sample", action="store_true", help="use the embedded sample even if the full set exists")
    parser.add_argument("--out", default="axonal-demo-out", help="folder for the checkpoint and the plot")
    parser.add_argument("--threads", type=int, default=None, help="kernel threads (default: all cores)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)

    if args.threads:
        ax.set_num_threads(args.threads)
    ax.manual_seed(args.seed)
    train, test, description = load_data(args.sample)
    print(f"axonal {ax.__version__}: training the CNN on {description}, {args.epochs} epochs, "
          f"batch {args.batch_size}, Adam lr {args.lr}, {ax.get_num_threads()} threads")
    train_loader = DataLoader(train, batch_size=args.batch_size, shuffle=True, seed=args.seed)
    test_loader = DataLoader(test, batch_size=1000)

    model = fashion_cnn()
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    history = ax.train.fit(model, loss_fn, optimizer, train_loader, args.epochs, val_loader=test_loader,
                           progress=not args.no_progress)
    wall = time.perf_counter() - start
    result = ax.train.evaluate(model, loss_fn, test_loader)

    os.makedirs(args.out, exist_ok=True)
    ckpt = os.path.join(args.out, "fashion_cnn.safetensors")
    ax.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": args.epochs}, ckpt)
    plot = os.path.join(args.out, "fashion_cnn_curves.png")
    try:
        history.plot(plot)
    except ImportError as e:
        plot = f"(not written: {e})"
    print(f"test accuracy {result['accuracy']:.4f}, test loss {result['loss']:.4f}, "
          f"{wall:.1f} s for {args.epochs} epochs")
    print(f"checkpoint: {ckpt}\nplot: {plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
