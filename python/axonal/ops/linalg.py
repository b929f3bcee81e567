"""matmul with NumPy's rules (1-D promotion, broadcast batches) on the backend's GEMM."""
from ..autograd.function import Function
from ..tensor import Tensor
from . import _checks
from .elementwise import cast


class MatMul(Function):
    fresh_grads = True  # new GEMM results (or views of them, which the engine copies)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.backend.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        mm = ctx.backend.matmul
        ga = mm(g, b.swapaxes(-1, -2)) if ctx.needs_input_grad[0] else None
        gb = mm(a.swapaxes(-1, -2), g) if ctx.needs_input_grad[1] else None
        return ga, gb

    @staticmethod
    def backward_tensors(ctx, g):
        a, b = ctx.inputs
        return g @ b.transpose(-1, -2), a.transpose(-1, -2) @ g


def matmul(a, b):
    a = a if isinstance(a, Tensor) else Tensor(a)
    b = b if isinstance(b, Tensor) else Tensor(b)
    ad, bd = a.data, b.data
    if ad.ndim == 2 and bd.ndim == 2 and ad.dtype is bd.dtype and ad.dtype.char in "fd" and ad.shape[1] == bd.shape[0]:
        return MatMul.apply(a, b)
    _checks.matmul(a, b)
    if a.dtype != b.dtype:  # float32 @ float64 computes in float64 (NumPy's promotion)
        a, b = cast(a, _checks.FLOATS[1]), cast(b, _checks.FLOATS[1])
    # NumPy's 1-D rules as reshapes around the 2-D product, so they need no backward of their own.
    if a.ndim == 1 and b.ndim == 1:
        return MatMul.apply(a.reshape(1, -1), b.reshape(-1, 1)).reshape(())
    if a.ndim == 1:
        return MatMul.apply(a.unsqueeze(0), b).squeeze(-2)
    if b.ndim == 1:
        return MatMul.apply(a, b.unsqueeze(-1)).squeeze(-1)
    return MatMul.apply(a, b)
