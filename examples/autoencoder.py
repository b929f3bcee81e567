"""Two autoencoders on Fashion-MNIST: a dense one (784-256-32-256-784) and a convolutional one whose decoder is
made of transposed convolutions (ConvTranspose2d), each squeezing an image through a 32-number code and
rebuilding it.

    python examples/autoencoder.py [--epochs 10] [--sample] [--models dense conv] [--out out/autoencoder]

An autoencoder learns without labels: the target is the input itself, the loss the mean squared error between
image and reconstruction. The encoder has to keep what matters in the small code; the decoder learns to draw an
image from it. The convolutional encoder halves the image twice (28 -> 14 -> 7) with stride-2 convolutions;
the decoder doubles it back with stride-2 transposed convolutions (7 -> 14 -> 28).

Prints each model's test reconstruction error (mean squared error per pixel, pixels in [0, 1]) and writes, under
--out, a figure with test images and their reconstructions by each model, and each model's checkpoint.
"""
import argparse
import os
import time

import numpy as np

import axonal as ax
import axonal.nn.functional as F
from axonal import nn, optim
from axonal.data import DataLoader, datasets

CODE = 32


def dense_autoencoder():
    encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, CODE))
    decoder = nn.Sequential(nn.Linear(CODE, 256), nn.ReLU(), nn.Linear(256, 784), nn.Sigmoid())
    return encoder, decoder


def conv_autoencoder():
    encoder = nn.Sequential(
        nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),  # 28 -> 14
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),  # 14 -> 7
        nn.Flatten(), nn.Linear(32 * 7 * 7, CODE))
    decoder = nn.Sequential(
        nn.Linear(CODE, 32 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (32, 7, 7)),
        nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),  # 7 -> 14
        nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid())  # 14 -> 28
    return encoder, decoder


class AutoEncoder(nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.encoder, self.decoder = dense_autoencoder() if kind == "dense" else conv_autoencoder()

    def forward(self, images):
        return self.decoder(self.encoder(images)).reshape(images.shape)


def reconstruction_error(model, loader):
    model.eval()
    total, seen = 0.0, 0
    with ax.no_grad():
        for images, _ in loader:
            total += F.mse_loss(model(images), images, reduction="sum").item()
            seen += images.numel()
    model.train()
    return total / seen


def train(kind, train_loader, test_loader, epochs, lr, progress):
    ax.manual_seed(0)
    model = AutoEncoder(kind)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        total, seen = 0.0, 0
        for images, _ in train_loader:
            optimizer.zero_grad()
            loss = F.mse_loss(model(images), images)
            loss.backward()
            optimizer.step()
            total += loss.item() * images.shape[0]
            seen += images.shape[0]
        if progress:
            print(f"{kind} epoch {epoch}/{epochs}: train mse {total / seen:.5f}, test mse "
                  f"{reconstruction_error(model, test_loader):.5f}", flush=True)
    return model, time.perf_counter() - start


def save_figure(images, reconstructions, path, count=10):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no figure (pip install 'axonal[plot]')")
        return False
    rows = [("test image", images)] + list(reconstructions.items())
    fig, axes = plt.subplots(len(rows), count, figsize=(count * 1.1, len(rows) * 1.25), squeeze=False)
    for r, (label, batch) in enumerate(rows):
        for c in range(count):
            cell = axes[r][c]
            cell.imshow(batch[c].reshape(28, 28), cmap="gray", vmin=0, vmax=1)
            cell.set_xticks([])
            cell.set_yticks([])
        axes[r][0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description="dense and convolutional autoencoders on Fashion-MNIST")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--sample", action="store_true", help="use the small sample shipped with axonal")
    parser.add_argument("--models", nargs="+", default=["dense", "conv"], choices=["dense", "conv"])
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--out", default=os.path.join("out", "autoencoder"))
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    load = datasets.fashion_mnist_sample if args.sample else datasets.fashion_mnist
    train_set, test_set = load("train"), load("test")  # pixels in [0, 1]: the decoder ends in a sigmoid
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True, seed=0)
    test_loader = DataLoader(test_set, batch_size=500)
    images = next(iter(DataLoader(test_set, batch_size=10)))[0]

    errors, reconstructions = {}, {}
    for kind in args.models:
        model, seconds = train(kind, train_loader, test_loader, args.epochs, args.lr, not args.no_progress)
        errors[kind] = reconstruction_error(model, test_loader)
        model.eval()
        with ax.no_grad():
            reconstructions[f"{kind} AE"] = model(images).numpy()
        ax.save(model.state_dict(), os.path.join(args.out, f"autoencoder_{kind}.safetensors"))
        params = sum(p.numel() for p in model.parameters())
        print(f"{kind} autoencoder: test reconstruction error (MSE per pixel) {errors[kind]:.5f}; {params} "
              f"parameters, {args.epochs} epochs in {seconds:.0f} s")
    figure = os.path.join(args.out, "reconstructions.png")
    if save_figure(images.numpy(), reconstructions, figure):
        print(f"wrote {figure}")
    baseline = float(np.mean((test_set.arrays[0] - test_set.arrays[0].mean(axis=0)) ** 2))
    print(f"(predicting the mean test image gives {baseline:.5f})")
    return errors


if __name__ == "__main__":
    main()
