"""The teaching examples (perceptron, XOR, the three flavours of gradient descent, the GAN) run as scripts, on
the embedded Fashion-MNIST sample where they use Fashion-MNIST, and learn what they are meant to show."""
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import axonal as ax

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

pytestmark = [
    pytest.mark.skipif(not (EXAMPLES / "perceptron.py").exists(), reason="examples/ not present (installed package)"),
]


def run_example(name, out, *args):
    pytest.importorskip("matplotlib")
    # The same axonal as this test session (the source tree or the installed package). One thread: these models
    # are too small to gain from two, and on a shared machine an OpenMP team waiting for a descheduled thread
    # can make a 16 us matmul take 16 ms.
    package_parent = str(Path(ax.__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")])),
               AXONAL_CUDA_EMULATE="0", OMP_NUM_THREADS="1")
    result = subprocess.run([sys.executable, str(EXAMPLES / name), "--out", str(out), *args],
                            env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def number(pattern, text):
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in:\n{text}"
    return float(match.group(1))


def test_perceptron_rule_converges_on_separable_points_and_not_on_xor(tmp_path):
    out = run_example("perceptron.py", tmp_path)
    assert "separable data: converged" in out, out
    mistakes = number(r"(\d+) mistakes in all", out)
    assert 0 < mistakes <= number(r"Novikoff bound (\d+)", out), out
    assert number(r"train accuracy: ([\d.]+)", out) == 1.0
    assert number(r"test accuracy: ([\d.]+)", out) >= 0.95
    assert "XOR: did NOT converge" in out and number(r"fewest mistakes in an epoch: (\d+)", out) >= 1
    assert number(r"gradient through the step: \|dL/dw\| = ([\d.]+)", out) == 0.0
    assert (tmp_path / "perceptron.png").stat().st_size > 0
    assert (tmp_path / "perceptron.safetensors").stat().st_size > 0


def test_xor_needs_a_hidden_layer_with_an_activation(tmp_path):
    out = run_example("xor_mlp.py", tmp_path)

    def row(name):
        line = next(line for line in out.splitlines() if line.startswith(name))
        return [float(v) for v in re.findall(r"(?:loss|accuracy) ([\d.]+)", line)]  # loss, train acc, test acc

    for linear_model in ("linear", "2 linear layers, no activation"):
        loss, train_acc, test_acc = row(linear_model)
        assert loss > 0.6 and train_acc <= 0.8 and test_acc <= 0.8, (linear_model, out)  # no line does better than 3/4
    loss, train_acc, test_acc = row("MLP (tanh hidden layer)")
    assert loss < 0.05 and train_acc == 1.0 and test_acc >= 0.98, out
    assert number(r"largest difference on the test points ([\d.e+-]+)", out) < 1e-4
    assert (tmp_path / "xor.png").stat().st_size > 0
    assert (tmp_path / "xor_mlp.safetensors").stat().st_size > 0


def test_batch_stochastic_and_minibatch_gradient_descent(tmp_path):
    out = run_example("gradient_descent.py", tmp_path, "--sample", "--epochs", "1", "--evals-per-epoch", "5")
    runs = {}
    for line in out.splitlines():
        match = re.match(r"(batch|stochastic|mini-batch) GD +batch_size +(\d+) +(\d+) updates .*"
                         r"train loss ([\d.]+) -> ([\d.]+) ", line)
        if match:
            runs[match.group(1)] = [float(g) for g in match.groups()[1:]]
    assert set(runs) == {"batch", "stochastic", "mini-batch"}, out
    assert [runs[k][:2] for k in ("batch", "stochastic", "mini-batch")] == [[5000, 1], [1, 5000], [32, 157]]
    start = runs["batch"][2]
    assert 2.0 < start < 2.6 and all(run[2] == start for run in runs.values())  # one initial model for all
    # One exact step barely moves; 157 and 5000 noisy ones go a long way in the same epoch.
    assert runs["batch"][3] < start
    assert runs["mini-batch"][3] < 1.3 and runs["stochastic"][3] < 1.3
    assert runs["batch"][3] > runs["mini-batch"][3] + 0.5
    assert (tmp_path / "gradient_descent.png").stat().st_size > 0
    for batch_size in (5000, 1, 32):
        assert (tmp_path / f"softmax_regression_batch{batch_size}.safetensors").stat().st_size > 0


def test_gan_moves_the_generator_towards_the_data(tmp_path):
    epochs = 3
    out = run_example("gan_fashion_mnist.py", tmp_path, "--sample", "--epochs", str(epochs))
    start = number(r"epoch 0: mean-image distance ([\d.]+)", out)
    rows = re.findall(r"epoch \d+: D loss ([\d.]+) +G loss ([\d.]+) +D\(x\) ([\d.]+) +D\(G\(z\)\) ([\d.]+) +"
                      r"mean-image distance ([\d.]+)", out)
    assert len(rows) == epochs, out
    for loss_d, loss_g, d_x, d_gz, _ in (map(float, row) for row in rows):
        assert math.isfinite(loss_d) and math.isfinite(loss_g) and loss_d > 0 and loss_g > 0, out
        assert 0.05 < d_gz < d_x < 0.99, out  # D tells them apart, but has not won outright
    # The untrained generator's images are a uniform gray; within a few epochs their mean approaches the data's.
    assert min(float(row[4]) for row in rows) < 0.8 * start, out
    import matplotlib.image

    grid = matplotlib.image.imread(tmp_path / "samples.png")
    assert grid.shape[:2] == (8 * 30 * 3, 8 * 30 * 3)
    assert (tmp_path / "losses.png").stat().st_size > 0
    assert (tmp_path / "gan.safetensors").stat().st_size > 0
