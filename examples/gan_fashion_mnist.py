"""A generative adversarial network (Goodfellow et al., 2014) of two MLPs, trained on Fashion-MNIST.

    python examples/gan_fashion_mnist.py [--epochs 20] [--sample] [--out gan-out]

Two networks play a game. The generator G maps random noise z to an image; the discriminator D maps an image to
the logit of "this one is real". Each step:

1. D learns to tell real from fake: minimize BCE(D(x), 1) + BCE(D(G(z)), 0), with G's output detached so that
   only D's weights move;
2. G learns to fool D: minimize BCE(D(G(z)), 1) -- the "non-saturating" loss; the original min-max form,
   minimizing log(1 - D(G(z))), has almost no gradient early on, when D rejects every fake with confidence.

At the balance D cannot tell the two apart: D(x) and D(G(z)) both near 0.5, the D loss near 2 ln 2 = 1.39 and
the G loss near ln 2 = 0.69. The losses do not fall steadily as in supervised training; they measure the
game, not the quality of the samples. As a rough check that G moves towards the data this script also reports
the distance between the mean generated image and the mean real image (a first-moment sanity check, not a
quality score).

Writes samples.png (an 8 x 8 grid from fixed noise), losses.png and gan.safetensors (both networks).
"""
import argparse
import os
import time

import numpy as np

import axonal as ax
from axonal import nn, optim
from axonal.data import DataLoader, TensorDataset, datasets

LATENT = 64  # size of the noise vector z


def generator():
    return nn.Sequential(
        nn.Linear(LATENT, 128), nn.LeakyReLU(0.2),
        nn.Linear(128, 256), nn.LeakyReLU(0.2),
        nn.Linear(256, 784), nn.Tanh(),          # pixels in [-1, 1], like the real images below
    )


def discriminator():
    return nn.Sequential(
        nn.Linear(784, 256), nn.LeakyReLU(0.2), nn.Dropout(0.3),
        nn.Linear(256, 128), nn.LeakyReLU(0.2), nn.Dropout(0.3),
        nn.Linear(128, 1),                         # a logit: BCEWithLogitsLoss applies the sigmoid
    )


def mean_image_distance(G, real_mean, n=1000):
    """Root-mean-square difference between the average of n generated images and the average real image."""
    G.eval()
    with ax.no_grad():
        fake_mean = G(ax.randn(n, LATENT)).mean(0).numpy()
    G.train()
    return float(np.sqrt(np.mean((fake_mean - real_mean) ** 2)))


def train_epoch(G, D, loader, opt_G, opt_D, bce):
    """One pass over the data; returns the epoch's mean D loss, G loss, D(x) and D(G(z))."""
    sums = np.zeros(4)
    for x, _ in loader:
        n = len(x)
        real, fake = ax.ones(n, 1), ax.zeros(n, 1)

        # 1. the discriminator: real images towards 1, generated ones towards 0
        z = ax.randn(n, LATENT)
        generated = G(z)
        d_real, d_fake = D(x), D(generated.detach())      # detach: this loss must not reach G's weights
        loss_D = bce(d_real, real) + bce(d_fake, fake)
        opt_D.zero_grad()
        loss_D.backward()
        opt_D.step()

        # 2. the generator: make D say "real" about its images (D's weights get gradients, but only G steps)
        loss_G = bce(D(generated), real)
        opt_G.zero_grad()
        loss_G.backward()
        opt_G.step()

        with ax.no_grad():
            sums += [loss_D.item(), loss_G.item(), ax.sigmoid(d_real).mean().item(),
                     ax.sigmoid(d_fake).mean().item()]
    return sums / len(loader)


def save_grid(path, images, rows=8, scale=3):
    """Writes images (n, 784) in [-1, 1] as a rows x (n / rows) grid, 2-pixel gray borders, each pixel scale x scale."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tiles = np.pad((images.reshape(-1, 28, 28) + 1) / 2, ((0, 0), (1, 1), (1, 1)), constant_values=0.5)
    cols, side = len(tiles) // rows, tiles.shape[1]
    grid = tiles[:rows * cols].reshape(rows, cols, side, side).transpose(0, 2, 1, 3).reshape(rows * side, cols * side)
    plt.imsave(path, np.kron(grid, np.ones((scale, scale))), cmap="gray", vmin=0, vmax=1)


def plot_losses(path, history):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = range(1, len(history) + 1)
    loss_D, loss_G, d_x, d_gz = np.array(history).T
    fig, (losses, probs) = plt.subplots(1, 2, figsize=(10, 4))
    losses.plot(epochs, loss_D, "o-", label="D loss")
    losses.plot(epochs, loss_G, "o-", label="G loss")
    losses.axhline(2 * np.log(2), color="C0", ls=":", label="D at the balance (2 ln 2)")
    losses.axhline(np.log(2), color="C1", ls=":", label="G at the balance (ln 2)")
    losses.set(xlabel="epoch", title="losses (epoch means)")
    losses.legend()
    probs.plot(epochs, d_x, "o-", label="D(x), real images")
    probs.plot(epochs, d_gz, "o-", label="D(G(z)), generated")
    probs.set(xlabel="epoch", ylim=(0, 1), title="discriminator's mean 'real' probability")
    probs.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-4, help="Adam, betas (0.5, 0.999): the DCGAN paper's choice")
    parser.add_argument("--sample", action="store_true", help="the small sample shipped with axonal (a quick run)")
    parser.add_argument("--out", default="gan-out", help="folder for the sample grid, the plot and the checkpoint")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    ax.manual_seed(0)
    load = datasets.fashion_mnist_sample if args.sample else datasets.fashion_mnist
    images, labels = load("train", flatten=True).tensors
    images = images * 2 - 1                                    # [0, 1] -> [-1, 1], the range of G's tanh
    train_set = TensorDataset(images, labels)                  # (the labels go unused: a GAN is unsupervised)
    real_mean = images.numpy().mean(0)
    loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, drop_last=True, seed=0)

    G, D = generator(), discriminator()
    opt_G = optim.Adam(G.parameters(), lr=args.lr, betas=(0.5, 0.999))
    opt_D = optim.Adam(D.parameters(), lr=args.lr, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    fixed_noise = ax.randn(64, LATENT)                         # the same z for every grid: progress is comparable

    print(f"GAN on {len(train_set)} images, batch {args.batch_size}, {args.epochs} epochs")
    print(f"epoch 0: mean-image distance {mean_image_distance(G, real_mean):.4f} (untrained generator)")
    history, start = [], time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        loss_D, loss_G, d_x, d_gz = train_epoch(G, D, loader, opt_G, opt_D, bce)
        history.append((loss_D, loss_G, d_x, d_gz))
        print(f"epoch {epoch}: D loss {loss_D:.4f}  G loss {loss_G:.4f}  D(x) {d_x:.3f}  D(G(z)) {d_gz:.3f}  "
              f"mean-image distance {mean_image_distance(G, real_mean):.4f}  ({time.perf_counter() - start:.0f} s)")

    G.eval()
    with ax.no_grad():
        save_grid(os.path.join(args.out, "samples.png"), G(fixed_noise).numpy())
    plot_losses(os.path.join(args.out, "losses.png"), history)
    ax.save({"generator": G.state_dict(), "discriminator": D.state_dict()}, os.path.join(args.out, "gan.safetensors"))
    print(f"wrote {args.out}/samples.png, {args.out}/losses.png and {args.out}/gan.safetensors")


if __name__ == "__main__":
    main()
