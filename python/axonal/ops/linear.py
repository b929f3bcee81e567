"""linear(x, W, b) = x @ W.T + b as one Function: one GEMM each way, no transposed copies."""
import numpy as np

from ..autograd.function import Function
from .linalg import _FLOATS, mm


class Linear(Function):
    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        out = mm(x, w.T)  # w.T is a column-major view: the GEMM reads it in place
        if b is not None:
            out += b
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = mm(g, w)
        g2 = g.reshape(-1, g.shape[-1])
        if ctx.needs_input_grad[1]:
            gw = mm(g2.T, x.reshape(-1, x.shape[-1]))
        if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]:
            gb = g2.sum(axis=0)
        return gx, gw, gb


def linear(x, weight, bias=None):
    from ..tensor import Tensor

    if not isinstance(x, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"[linear] input and weight must be Tensors, got {type(x).__name__} and {type(weight).__name__}")
    for name, t in (("input", x), ("weight", weight), ("bias", bias)):
        if t is not None and t.dtype not in _FLOATS:
            raise TypeError(f"[linear] {name} must be float32 or float64, got {t.dtype} with shape {t.shape}")
    if weight.ndim != 2 or x.ndim < 1 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"[linear] input's last dim must equal weight's in_features: input {x.shape}, weight {weight.shape}"
        )
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"[linear] bias must have shape ({weight.shape[0]},), got {bias.shape} (weight {weight.shape})")
    if x.ndim == 1:
        return Linear.apply(x.unsqueeze(0), weight, bias).squeeze(0)
    if not x.data.flags.c_contiguous:
        x = x.clone()
    return Linear.apply(x, weight, bias)
