"""matmul with NumPy's rules (1-D promotion, broadcast batches) on top of the C++ GEMM."""
import numpy as np

from .. import _C
from ..autograd.function import Function

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _gemm_ready(x):
    """x itself when the GEMM can read it in place, else a contiguous copy. In place means what the binding
    accepts: rows contiguous with a row stride of at least a row, or the same for columns (a broadcast
    matrix with a row stride of 0, e.g. a gradient expanded from a sum over rows, needs the copy)."""
    if x.ndim >= 2:
        item, strides = x.itemsize, x.strides
        s0, s1 = strides[-2], strides[-1]
        rows, cols = x.shape[-2], x.shape[-1]
        if min(strides) >= 0 and (
            ((s1 == item or cols <= 1) and s0 >= max(cols, 1) * item)
            or ((s0 == item or rows <= 1) and s1 >= max(rows, 1) * item)
        ):
            return x
    return np.ascontiguousarray(x)


def mm(a, b):
    """a (..., M, K) @ b (..., K, N) for float arrays with ndim >= 2, batches broadcast."""
    # The Linear-layer case first: two 2-D matrices straight to the binding, which checks dtypes, shapes and
    # layouts itself (in C++, ~0.1 us). Anything it refuses (mixed dtypes, views that need a copy, ...) takes
    # the general path below, which casts, copies or raises with the full message.
    if a.ndim == 2 and b.ndim == 2:
        try:
            return _C.matmul(a, b)
        except (TypeError, ValueError):
            pass
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
    fresh_grads = True  # new GEMM results (or views of them, which the engine copies)

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
    a = a if isinstance(a, _Tensor) else _Tensor(a)
    b = b if isinstance(b, _Tensor) else _Tensor(b)
    if a.data.ndim == 2 and b.data.ndim == 2 and a.data.dtype.char in "fd" and b.data.dtype.char in "fd":
        return MatMul.apply(a, b)
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


from ..tensor import Tensor as _Tensor  # noqa: E402  (tensor.py imports this module first)
