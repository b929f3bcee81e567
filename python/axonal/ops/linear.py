"""linear(x, W, b) = x @ W.T + b as one Function: one GEMM each way, no transposed copies.

linear_relu(x, W, b) = relu(linear(x, W, b)) fused: the bias add and the ReLU run in one pass over the
GEMM's fresh output (in place, no second array), and backward masks the incoming gradient once before
the two GEMMs. The values and gradients are those of the two ops in sequence, bit for bit.
nn.Sequential uses it for a Linear followed by a ReLU.
"""
from .. import _C
from ..autograd.function import Function
from ..tensor import Tensor
from .activation import kernel_ready, relu_backward, relu_forward
from .linalg import _FLOATS, mm


def _linear_forward(x, w, b):
    out = mm(x, w.T)  # w.T is a column-major view: the GEMM reads it in place
    if b is not None:
        out += b
    return out


def _linear_backward(ctx, x, w, g):
    gx = gw = gb = None
    needs = ctx.needs_input_grad
    if needs[0]:
        gx = mm(g, w)
    g2 = g.reshape(-1, g.shape[-1])
    if needs[1]:
        gw = mm(g2.T, x.reshape(-1, x.shape[-1]))
    if len(needs) > 2 and needs[2]:
        gb = g2.sum(axis=0)
    return gx, gw, gb


class Linear(Function):
    fresh_grads = True  # every gradient is a new GEMM result or a new sum

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        return _linear_forward(x, w, b)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved
        return _linear_backward(ctx, x, w, g)


class LinearReLU(Function):
    fresh_grads = True

    @staticmethod
    def forward(ctx, x, w, b):
        out = mm(x, w.T)  # a new C-contiguous array: safe to finish in place
        if b is not None and b.dtype is out.dtype and kernel_ready(out) and kernel_ready(b):
            _C.bias_relu_forward(out, b)
        else:
            if b is not None:
                out += b
            out = relu_forward(out, inplace=True)
        ctx.save_for_backward(x, w, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, w, out = ctx.saved
        return _linear_backward(ctx, x, w, relu_backward(g, out))


def _check_linear(op, x, weight, bias):
    if isinstance(x, Tensor) and isinstance(weight, Tensor):
        # Everything fine, checked with the fewest attribute lookups (this runs once per layer per step).
        xd, wd = x.data, weight.data
        if (xd.dtype.char in "fd" and wd.dtype.char in "fd" and wd.ndim == 2 and xd.ndim >= 1
                and xd.shape[-1] == wd.shape[1]
                and (bias is None or (bias.data.dtype.char in "fd" and bias.data.shape == (wd.shape[0],)))):
            return
    if not isinstance(x, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"[{op}] input and weight must be Tensors, got {type(x).__name__} and {type(weight).__name__}")
    for name, t in (("input", x), ("weight", weight), ("bias", bias)):
        if t is not None and t.dtype not in _FLOATS:
            raise TypeError(f"[{op}] {name} must be float32 or float64, got {t.dtype} with shape {t.shape}")
    if weight.ndim != 2 or x.ndim < 1 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"[{op}] input's last dim must equal weight's in_features: input {x.shape}, weight {weight.shape}"
        )
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"[{op}] bias must have shape ({weight.shape[0]},), got {bias.shape} (weight {weight.shape})")


def _apply(fn, x, weight, bias):
    if x.ndim == 1:
        return fn.apply(x.unsqueeze(0), weight, bias).squeeze(0)
    if not x.data.flags.c_contiguous:
        x = x.clone()
    return fn.apply(x, weight, bias)


def linear(x, weight, bias=None):
    _check_linear("linear", x, weight, bias)
    return _apply(Linear, x, weight, bias)


def linear_relu(x, weight, bias=None):
    """relu(linear(x, weight, bias)) as one op (same values and gradients, one graph node)."""
    _check_linear("linear", x, weight, bias)
    return _apply(LinearReLU, x, weight, bias)
