"""Functional forms of the layers, activations and losses (``import axonal.nn.functional as F``)."""
from ..ops.activation import leaky_relu, log_softmax, relu, sigmoid, softmax, step, tanh
from ..ops.conv import conv2d, conv2d_relu
from ..ops.linear import linear
from ..ops.loss import (
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, l1_loss, mse_loss, nll_loss,
)
from ..ops.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from ..ops.regularize import batch_norm, dropout

__all__ = [
    "adaptive_avg_pool2d", "avg_pool2d", "batch_norm", "binary_cross_entropy", "binary_cross_entropy_with_logits", "conv2d", "conv2d_relu",
    "cross_entropy", "dropout", "l1_loss", "leaky_relu", "linear", "log_softmax", "max_pool2d", "mse_loss",
    "nll_loss", "relu", "sigmoid", "softmax", "step", "tanh",
]

# Embeddings, transposed convolution and resizing (issue 15).
from ..ops.conv_transpose import conv_transpose2d  # noqa: E402
from ..ops.embedding import embedding  # noqa: E402
from ..ops.interpolate import interpolate, upsample  # noqa: E402

__all__ += ["conv_transpose2d", "embedding", "interpolate", "upsample"]
