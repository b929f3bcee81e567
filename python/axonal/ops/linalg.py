"""matmul with NumPy's rules (1-D promotion, broadcast batches) on top of the C++ GEMM."""
import numpy as np

from .. import _C
from ..autograd.function import Function

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _gemm_ready(x):
    """x itself when the GEMM can read it in place (rows or columns contiguous), else a contiguous copy."""
    item = x.itemsize
    if x.ndim >= 2 and all(s >= 0 for s in x.strides) and (x.strides[-1] == item or x.strides[-2] == item):
        return x
    return np.ascontiguousarray(x)


def mm(a, b):
    """a (..., M, K) @ b (..., K, N) for float arrays with ndim >= 2, batches broadcast."""
    if a.dtype != b.dtype:
        dtype = np.result_type(a, b)
        a, b = a.astype(dtype, copy=False), b.astype(dtype, copy=False)
    if a.dtype not in _FLOATS:
        # The GEMM is float32/float64 only (like the conv and pool kernels); no silent slow NumPy path.
        raise TypeError(f"[matmul] expects float32 or float64 arrays, got {a.dtype} with shapes {a.shape} @ {b.shape}")
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(f"[matmul] inner dimensions differ: {a.shape} @ {b.shape} ({a.shape[-1]} != {b.shape[-2]})")
    if a.ndim == 2 and b.ndim == 2 and a.size and b.size:
        return _C.matmul(_gemm_ready(a), _gemm_ready(b))
    try:
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(f"[matmul] batch dimensions do not broadcast: {a.shape} @ {b.shape}") from None
    M, K, N = a.shape[-2], a.shape[-1], b.shape[-1]
    if a.size == 0 or b.size == 0:
        # Empty operands (M, N, K or a batch of 0) give zeros, as in torch; _C.matmul refuses empty arrays.
        return np.zeros(batch + (M, N), dtype=a.dtype)
    if b.ndim == 2 and a.flags.c_contiguous:
        # Stacked rows against one matrix: a single big GEMM (the Linear-layer case).
        return _C.matmul(a.reshape(-1, K), _gemm_ready(b)).reshape(*batch, M, N)
    a3 = _gemm_ready(np.broadcast_to(a, batch + (M, K)).reshape(-1, M, K))
    b3 = _gemm_ready(np.broadcast_to(b, batch + (K, N)).reshape(-1, K, N))
    return _C.matmul(a3, b3).reshape(*batch, M, N)


class MatMul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return mm(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        ga = mm(g, np.swapaxes(b, -1, -2)) if ctx.needs_input_grad[0] else None
        gb = mm(np.swapaxes(a, -1, -2), g) if ctx.needs_input_grad[1] else None
        return ga, gb


def matmul(a, b):
    from ..tensor import Tensor

    a = a if isinstance(a, Tensor) else Tensor(a)
    b = b if isinstance(b, Tensor) else Tensor(b)
    for t in (a, b):
        if t.dtype not in _FLOATS:
            raise TypeError(
                f"[matmul] expects float32 or float64 tensors, got {a.dtype} {a.shape} @ {b.dtype} {b.shape}"
            )
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"[matmul] both arguments need at least 1 dimension, got {a.shape} @ {b.shape}")
    # NumPy's 1-D rules as reshapes around the 2-D product, so they need no backward of their own.
    if a.ndim == 1 and b.ndim == 1:
        if a.shape != b.shape:
            raise ValueError(f"[matmul] 1-D vectors must have the same length: {a.shape} @ {b.shape}")
        return MatMul.apply(a.reshape(1, -1), b.reshape(-1, 1)).reshape(())
    if a.ndim == 1:
        return MatMul.apply(a.unsqueeze(0), b).squeeze(-2)
    if b.ndim == 1:
        return MatMul.apply(a, b.unsqueeze(-1)).squeeze(-1)
    return MatMul.apply(a, b)
