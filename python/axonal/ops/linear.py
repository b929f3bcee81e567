"""linear(x, W, b) = x @ W.T + b as one Function: one GEMM each way, no transposed copies.

linear_relu(x, W, b) = relu(linear(x, W, b)) fused: the bias add and the ReLU run in one pass over the
GEMM's fresh output (in place, no second array), and backward masks the incoming gradient once before
the two GEMMs. The values and gradients are those of the two ops in sequence, bit for bit.
nn.Sequential uses it for a Linear followed by a ReLU.
"""
from ..autograd.function import Function
from ..tensor import Tensor
from . import _checks
from .elementwise import cast


def _linear_backward(ctx, x, w, g):
    gx = gw = gb = None
    needs = ctx.needs_input_grad
    mm = ctx.backend.matmul
    if needs[0]:
        gx = mm(g, w)
    g2 = g.reshape(-1, g.shape[-1])
    if needs[1]:
        gw = mm(g2.T, x.reshape(-1, x.shape[-1]))
    if len(needs) > 2 and needs[2]:
        gb = g2.sum(axis=0)
    return gx, gw, gb


def _linear_backward_tensors(ctx, g):
    """_linear_backward with differentiable ops (create_graph=True)."""
    x, w = ctx.inputs[0], ctx.inputs[1]
    g2 = g.reshape(-1, g.shape[-1])
    gb = g2.sum(0) if len(ctx.inputs) > 2 and ctx.inputs[2] is not None else None
    return g @ w, g2.T @ x.reshape(-1, x.shape[-1]), gb


class Linear(Function):
    fresh_grads = True  # every gradient is a new GEMM result or a new sum

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        out = ctx.backend.matmul(x, w.T)  # w.T is a column-major view: the GEMM reads it in place
        if b is not None:
            out += b
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved
        return _linear_backward(ctx, x, w, g)

    @staticmethod
    def backward_tensors(ctx, g):
        return _linear_backward_tensors(ctx, g)


class LinearReLU(Function):
    fresh_grads = True

    @staticmethod
    def forward(ctx, x, w, b):
        bk = ctx.backend
        out = bk.bias_relu_(bk.matmul(x, w.T), b)  # a new C-contiguous array: safe to finish in place
        ctx.save_for_backward(x, w, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, w, out = ctx.saved
        return _linear_backward(ctx, x, w, ctx.backend.relu_backward(g, out))

    @staticmethod
    def backward_tensors(ctx, g):
        return _linear_backward_tensors(ctx, g * Tensor._make(ctx.saved[2] > 0))


def _apply(fn, x, weight, bias):
    xd = x.data
    dt = xd.dtype
    if weight.data.dtype is not dt or (bias is not None and bias.data.dtype is not dt):  # mixed: float64
        x, weight = cast(x, _checks.FLOATS[1]), cast(weight, _checks.FLOATS[1])
        bias = None if bias is None else cast(bias, _checks.FLOATS[1])
        xd = x.data
    if xd.ndim == 1:
        return fn.apply(x.unsqueeze(0), weight, bias).squeeze(0)
    if not xd.flags.c_contiguous:
        x = x.clone()
    return fn.apply(x, weight, bias)


def linear(x, weight, bias=None):
    _checks.linear("linear", x, weight, bias)
    return _apply(Linear, x, weight, bias)


def linear_relu(x, weight, bias=None):
    """relu(linear(x, weight, bias)) as one op (same values and gradients, one graph node)."""
    _checks.linear("linear", x, weight, bias)
    return _apply(LinearReLU, x, weight, bias)
