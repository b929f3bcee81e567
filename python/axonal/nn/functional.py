"""Functional forms of the layers and activations (``import axonal.nn.functional as F``)."""
from ..ops.activation import leaky_relu, log_softmax, relu, sigmoid, softmax, step, tanh
from ..ops.conv import conv2d
from ..ops.linear import linear
from ..ops.pool import avg_pool2d, max_pool2d

__all__ = [
    "avg_pool2d", "conv2d", "leaky_relu", "linear", "log_softmax", "max_pool2d", "relu", "sigmoid",
    "softmax", "step", "tanh",
]
