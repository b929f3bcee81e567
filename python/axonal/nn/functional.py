"""Functional forms of the layers, activations and losses (``import axonal.nn.functional as F``)."""
from ..ops.activation import leaky_relu, log_softmax, relu, sigmoid, softmax, step, tanh
from ..ops.activation_zoo import (
    celu,
    elu,
    gelu,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    logsigmoid,
    mish,
    prelu,
    relu6,
    selu,
    silu,
    softmin,
    softplus,
    softshrink,
    softsign,
    tanhshrink,
    threshold,
)
from ..ops.batchnorm import batch_norm
from ..ops.conv import conv1d, conv2d, conv2d_relu
from ..ops.linear import linear
from ..ops.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    one_hot,
    smooth_l1_loss,
)
from ..ops.normalization import (
    cosine_similarity,
    group_norm,
    layer_norm,
    normalize,
    pairwise_distance,
)
from ..ops.padding import pad
from ..ops.pool import (
    adaptive_avg_pool2d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)
from ..ops.regularize import dropout, dropout1d, dropout2d

__all__ = [
    "adaptive_avg_pool2d", "adaptive_max_pool2d", "avg_pool1d", "avg_pool2d", "batch_norm", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "celu", "conv1d", "conv2d", "conv2d_relu", "cosine_similarity",
    "cross_entropy", "dropout", "dropout1d", "dropout2d", "elu", "gelu", "glu", "group_norm", "hardshrink",
    "hardsigmoid", "hardswish", "hardtanh", "huber_loss", "kl_div", "l1_loss", "layer_norm", "leaky_relu", "linear",
    "log_softmax", "logsigmoid", "max_pool1d", "max_pool2d", "mish", "mse_loss", "nll_loss", "normalize", "one_hot",
    "pad", "pairwise_distance", "prelu", "relu", "relu6", "selu", "sigmoid", "silu", "smooth_l1_loss", "softmax",
    "softmin", "softplus", "softshrink", "softsign", "step", "tanh", "tanhshrink", "threshold",
]

# Embeddings, transposed convolution and resizing (issue 15).
from ..ops.conv_transpose import conv_transpose2d  # noqa: E402
from ..ops.embedding import embedding  # noqa: E402
from ..ops.interpolate import interpolate, upsample  # noqa: E402

__all__ += ["conv_transpose2d", "embedding", "interpolate", "upsample"]
