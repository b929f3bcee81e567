"""XOR: why neural networks need a hidden layer *and* a nonlinear activation.

    python examples/xor_mlp.py [--steps 1500] [--hidden 8] [--out xor-out]

The points form the XOR pattern: four noisy clusters around (0,0), (1,1) (class 0) and (0,1), (1,0) (class 1).
Three models, trained the same way (full-batch Adam on the binary cross-entropy):

- a linear model (logistic regression): its decision boundary is a line, and no line separates XOR -- the best
  any line can do is 3 of the 4 clusters, and gradient descent settles near "0.5 everywhere" (loss ln 2 = 0.693);
- two linear layers without an activation: W2 (W1 x + b1) + b2 = (W2 W1) x + (W2 b1 + b2) is again one linear
  map, so depth alone adds nothing -- the same line, the same failure;
- the same two layers with tanh in between (an MLP): the hidden layer bends the plane so that the two classes
  become linearly separable for the output layer; it solves XOR.

Writes xor.png (the decision regions of the three models) and xor_mlp.safetensors (the MLP).
"""
import argparse
import os

import numpy as np

import axonal as ax
from axonal import nn, optim


def xor_clusters(n_per_corner, noise, rng):
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    labels = np.array([0, 1, 1, 0], dtype=np.float32)
    x = np.repeat(corners, n_per_corner, axis=0) + noise * rng.standard_normal((4 * n_per_corner, 2))
    y = np.repeat(labels, n_per_corner)[:, None]
    order = rng.permutation(len(x))
    return ax.from_numpy(x[order].astype(np.float32)), ax.from_numpy(y[order])


def make_models(hidden):
    return {
        "linear": nn.Linear(2, 1),
        "2 linear layers, no activation": nn.Sequential(nn.Linear(2, hidden), nn.Linear(hidden, 1)),
        "MLP (tanh hidden layer)": nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 1)),
    }


def train(model, x, y, steps, lr):
    """Full-batch gradient descent (Adam) on the binary cross-entropy; the model outputs logits."""
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    return loss.item()


def accuracy(model, x, y):
    with ax.no_grad():
        return ((model(x) > 0).float() == y).float().mean().item()  # logit > 0  <=>  probability > 0.5


def plot(path, models, x, y):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = np.linspace(-0.5, 1.5, 200, dtype=np.float32)
    gx, gy = np.meshgrid(grid, grid)
    plane = ax.from_numpy(np.stack([gx.ravel(), gy.ravel()], axis=1))
    fig, axes = plt.subplots(1, len(models), figsize=(4.2 * len(models), 4))
    for panel, (name, model) in zip(axes, models.items()):
        with ax.no_grad():
            prob = ax.sigmoid(model(plane)).numpy().reshape(gx.shape)
        panel.contourf(gx, gy, prob, levels=np.linspace(0, 1, 11), cmap="coolwarm", alpha=0.6)
        panel.contour(gx, gy, prob, levels=[0.5], colors="k")
        panel.scatter(x.numpy()[:, 0], x.numpy()[:, 1], c=y.numpy()[:, 0], cmap="coolwarm", s=8, edgecolors="k",
                      linewidths=0.3)
        panel.set(title=f"{name}\naccuracy {accuracy(model, x, y):.2f}", xlim=(-0.5, 1.5), ylim=(-0.5, 1.5))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=50, help="training points per corner (as many for testing)")
    parser.add_argument("--noise", type=float, default=0.15, help="standard deviation of each cluster")
    parser.add_argument("--hidden", type=int, default=8, help="hidden units of the two-layer models")
    parser.add_argument("--steps", type=int, default=1500, help="full-batch gradient steps")
    parser.add_argument("--lr", type=float, default=0.02)
    parser.add_argument("--out", default="xor-out", help="folder for the plot and the checkpoint")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    ax.manual_seed(0)
    rng = np.random.default_rng(0)
    x_train, y_train = xor_clusters(args.points, args.noise, rng)
    x_test, y_test = xor_clusters(args.points, args.noise, rng)

    models = make_models(args.hidden)
    for name, model in models.items():
        loss = train(model, x_train, y_train, args.steps, args.lr)
        print(f"{name:32s} train loss {loss:.4f}  train accuracy {accuracy(model, x_train, y_train):.4f}  "
              f"test accuracy {accuracy(model, x_test, y_test):.4f}")

    # The "deep" linear model is one linear map in disguise: collapse it and compare.
    first, second = models["2 linear layers, no activation"]
    with ax.no_grad():
        w = second.weight @ first.weight                       # (1, hidden) @ (hidden, 2) -> (1, 2)
        b = second.weight @ first.bias + second.bias
        gap = (x_test @ w.T + b - models["2 linear layers, no activation"](x_test)).abs().max().item()
    w1, w2 = w.numpy()[0]
    print(f"the 2 linear layers equal one linear map: {w1:.3f} x1 + {w2:.3f} x2 + {b.numpy()[0]:.3f} "
          f"(largest difference on the test points {gap:.1e})")

    plot(os.path.join(args.out, "xor.png"), models, x_test, y_test)
    ax.save(models["MLP (tanh hidden layer)"].state_dict(), os.path.join(args.out, "xor_mlp.safetensors"))
    print(f"wrote {args.out}/xor.png and {args.out}/xor_mlp.safetensors")


if __name__ == "__main__":
    main()
