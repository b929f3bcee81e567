"""Reference models used by the demo, the examples and the benchmarks."""
from . import nn


def fashion_cnn():
    """conv 32 - pool - conv 64 - pool - fc 128 - fc 10, for 1 x 28 x 28 images."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )


def fashion_mlp():
    """784 - 256 - 128 - 10 with ReLU, for flattened 28 x 28 images."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 256), nn.ReLU(),
        nn.Linear(256, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )
