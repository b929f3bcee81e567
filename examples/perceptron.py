"""Rosenblatt's perceptron: a step activation and the perceptron learning rule, on linearly separable points.

    python examples/perceptron.py [--points 200] [--margin 0.1] [--epochs 100] [--out perceptron-out]

A perceptron computes y_hat = step(w . x + b): 1 on one side of a line (a hyperplane), 0 on the other. It is
not trained by backpropagation -- the step's derivative is 0 everywhere (see the end of this script) -- but by
the perceptron rule: for each example it gets wrong, move the line towards it,

    w <- w + lr * (y - y_hat) * x        b <- b + lr * (y - y_hat)

(y - y_hat is +1 for a missed positive, -1 for a false positive, 0 for a correct answer: no change). When the
data are linearly separable the rule stops making mistakes after finitely many updates, at most (R / gamma)^2
(Novikoff, 1962), R being the largest input norm and gamma the margin of the best separating line. When they
are not -- XOR -- it never stops; that is what the hidden layer in examples/xor_mlp.py is for.

Writes perceptron.png (the points, the learned and the true line, mistakes per epoch) and perceptron.safetensors.
"""
import argparse
import os

import numpy as np

import axonal as ax
import axonal.nn.functional as F
from axonal import nn
from axonal.data import DataLoader, TensorDataset


class Perceptron(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.linear = nn.Linear(in_features, 1)
        self.step = nn.Step()  # 1 where w . x + b > 0, else 0
        with ax.no_grad():     # the classic start: w = 0, b = 0 (the rule does not need random weights)
            self.linear.weight.zero_()
            self.linear.bias.zero_()

    def forward(self, x):
        return self.step(self.linear(x))


def separable_points(n, margin, rng):
    """n points in [-1, 1]^2 labelled by the side of a fixed line, none closer to it than ``margin``."""
    normal, offset = np.array([0.8, -0.6]), 0.1          # the true line: 0.8 x1 - 0.6 x2 + 0.1 = 0 (unit normal)
    points = np.empty((0, 2))
    while len(points) < n:
        candidates = rng.uniform(-1, 1, (4 * n, 2))
        keep = np.abs(candidates @ normal + offset) >= margin
        points = np.concatenate([points, candidates[keep]])[:n]
    labels = (points @ normal + offset > 0).astype(np.float32)[:, None]
    return points.astype(np.float32), labels, (normal, offset)


def train_perceptron(model, loader, lr, max_epochs):
    """The perceptron rule, one example at a time. Returns the number of mistakes in each epoch."""
    mistakes_per_epoch = []
    with ax.no_grad():  # no autograd here: the rule is the whole training algorithm
        for _ in range(max_epochs):
            mistakes = 0
            for x, y in loader:                        # x: (1, 2), y: (1, 1)
                error = y - model(x)                   # +1, -1 or 0
                if error.item() != 0:
                    model.linear.weight += lr * error.T @ x   # (1, 1)^T @ (1, 2) -> the weight's (1, 2)
                    model.linear.bias += lr * error.reshape(1)
                    mistakes += 1
            mistakes_per_epoch.append(mistakes)
            if mistakes == 0:                          # a full pass without a mistake: converged
                break
    return mistakes_per_epoch


def accuracy(model, x, y):
    with ax.no_grad():
        return (model(x) == y).float().mean().item()


def novikoff_bound(points, labels, true_line):
    """(R / gamma)^2 for the points with a constant 1 appended (the bias is the weight of that input)."""
    normal, offset = true_line
    augmented = np.hstack([points, np.ones((len(points), 1))])
    w_star = np.append(normal, offset) / np.linalg.norm(np.append(normal, offset))
    signs = 2 * labels[:, 0] - 1                                   # labels 0/1 as -1/+1
    gamma = np.min(signs * (augmented @ w_star))
    radius = np.max(np.linalg.norm(augmented, axis=1))
    return (radius / gamma) ** 2


def plot(path, model, points, labels, true_line, mistakes):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.5))
    left.scatter(points[:, 0], points[:, 1], c=labels[:, 0], cmap="coolwarm", s=12)
    xs = np.linspace(-1, 1, 2)
    (w1, w2), b = model.linear.weight.numpy()[0], model.linear.bias.numpy()[0]
    normal, offset = true_line
    left.plot(xs, -(normal[0] * xs + offset) / normal[1], "k--", label="true line")
    left.plot(xs, -(w1 * xs + b) / w2, "g-", label="perceptron")
    left.set(xlim=(-1, 1), ylim=(-1, 1), title="separable points and the learned line")
    left.legend(loc="lower right")
    right.bar(range(1, len(mistakes) + 1), mistakes)
    right.set(xlabel="epoch", ylabel="mistakes (= updates)", title="perceptron rule: mistakes per epoch")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200, help="training points (as many again for testing)")
    parser.add_argument("--margin", type=float, default=0.1, help="no point lies closer than this to the true line")
    parser.add_argument("--epochs", type=int, default=100, help="at most this many passes")
    parser.add_argument("--lr", type=float, default=1.0, help="from w = 0 the lr only scales w: any lr > 0 works")
    parser.add_argument("--out", default="perceptron-out", help="folder for the plot and the checkpoint")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    ax.manual_seed(0)
    rng = np.random.default_rng(0)
    points, labels, true_line = separable_points(2 * args.points, args.margin, rng)
    x_train, y_train = ax.from_numpy(points[:args.points]), ax.from_numpy(labels[:args.points])
    x_test, y_test = ax.from_numpy(points[args.points:]), ax.from_numpy(labels[args.points:])
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=1, shuffle=True, seed=0)

    model = Perceptron(2)
    mistakes = train_perceptron(model, loader, args.lr, args.epochs)
    converged = mistakes[-1] == 0
    bound = novikoff_bound(points[:args.points], labels[:args.points], true_line)
    print(f"separable data: {'converged' if converged else 'did NOT converge'} after {len(mistakes)} epochs, "
          f"{sum(mistakes)} mistakes in all (Novikoff bound {bound:.0f})")
    print(f"mistakes per epoch: {mistakes}")
    print(f"train accuracy: {accuracy(model, x_train, y_train):.4f}")
    print(f"test accuracy: {accuracy(model, x_test, y_test):.4f}")

    # The same rule on XOR: no line puts (0,1), (1,0) on one side and (0,0), (1,1) on the other, so some
    # example is always wrong and the updates cycle for ever.
    xor_x = ax.tensor([[0., 0.], [0., 1.], [1., 0.], [1., 1.]])
    xor_y = ax.tensor([[0.], [1.], [1.], [0.]])
    xor_model = Perceptron(2)
    xor_mistakes = train_perceptron(xor_model, DataLoader(TensorDataset(xor_x, xor_y), batch_size=1), 1.0, 100)
    print(f"XOR: {'converged' if xor_mistakes[-1] == 0 else 'did NOT converge'} in {len(xor_mistakes)} epochs "
          f"(fewest mistakes in an epoch: {min(xor_mistakes)}); accuracy {accuracy(xor_model, xor_x, xor_y):.2f}")

    # Why not backpropagation? The step is flat everywhere (its derivative is 0, undefined at the jump), so
    # every gradient through it is zero and gradient descent would never move. Smooth activations fix that.
    loss = F.mse_loss(model(x_train), y_train)
    loss.backward()
    print(f"gradient through the step: |dL/dw| = {model.linear.weight.grad.abs().sum().item():.1f}")

    plot(os.path.join(args.out, "perceptron.png"), model, points[:args.points], labels[:args.points], true_line,
         mistakes)
    ax.save(model.state_dict(), os.path.join(args.out, "perceptron.safetensors"))
    print(f"wrote {args.out}/perceptron.png and {args.out}/perceptron.safetensors")


if __name__ == "__main__":
    main()
