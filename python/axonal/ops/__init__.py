"""One Function per differentiable op, written against the tensors' backend (never against NumPy directly).
Heavy ones (matmul, conv2d, pooling, fused activations and losses) call the backend's kernels."""
from . import (  # noqa: F401
    activation,
    conv,
    device,
    elementwise,
    linalg,
    linear,
    loss,
    pool,
    reduce,
    regularize,
    shape,
)
