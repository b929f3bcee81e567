"""Reference models used by the demo, the examples and the benchmarks."""
from . import nn
from .ops.activation import add_relu


def fashion_cnn():
    """conv 32 - pool - conv 64 - pool - fc 128 - fc 10, for 1 x 28 x 28 images."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )


def fashion_cnn_bn():
    """The demo's network: fashion_cnn with batch normalization after each layer but the last (convolutions
    without bias, BatchNorm2d + ReLU fused by the Sequential), for 1 x 28 x 28 images."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 128), nn.BatchNorm1d(128), nn.ReLU(),
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


def mlp_bn(dropout=0.2):
    """784 - 512 - 256 - 10 with BatchNorm1d, ReLU and Dropout after each hidden layer."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 512), nn.BatchNorm1d(512), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(512, 256), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(256, 10),
    )


def lenet5():
    """LeNet-5 for 1 x 28 x 28 images: conv 6 (5x5, pad 2) - tanh - avg-pool - conv 16 (5x5) - tanh - avg-pool -
    fc 120 - tanh - fc 84 - tanh - fc 10."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Tanh(),
        nn.Linear(120, 84), nn.Tanh(),
        nn.Linear(84, 10),
    )


class BasicBlock(nn.Module):
    """ResNet's basic block: conv3x3-BN-ReLU-conv3x3-BN, plus the input (through a 1x1 conv + BN where the shape
    changes), then ReLU."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                                          nn.BatchNorm2d(out_channels))
        else:
            self.shortcut = nn.Identity()

    def forward(self, x):
        out = self.bn1.normalize(self.conv1(x), relu=True)  # BN + ReLU in one pass
        out = self.bn2(self.conv2(out))
        return add_relu(out, self.shortcut(x))


def resnet8(num_classes=10, in_channels=3):
    """ResNet-8 for 32 x 32 images: stem conv3x3 16 + BN + ReLU, three stages of one basic block each (16,
    32 stride 2, 64 stride 2), global average pool, Linear 64 -> num_classes."""
    return nn.Sequential(
        nn.Conv2d(in_channels, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        BasicBlock(16, 16), BasicBlock(16, 32, 2), BasicBlock(32, 64, 2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(64, num_classes),
    )
