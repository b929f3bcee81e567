"""conv2d as a Function over the C++ kernels (NCHW; stride, padding, dilation per axis)."""
import numpy as np

from .. import _C
from ..autograd.function import Function


class Conv2d(Function):
    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation):
        ctx.save_for_backward(x, w)
        ctx.conf = (stride, padding, dilation)
        ctx.has_bias = b is not None
        return _C.conv2d_forward(x, w, b, stride, padding, dilation)

    @staticmethod
    def backward(ctx, g):
        return _conv_backward(ctx, np.ascontiguousarray(g))


class Conv2dReLU(Function):
    """relu(conv2d(x, w, b)) in one kernel pass; the ReLU mask comes from the saved output."""

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation):
        y = _C.conv2d_forward(x, w, b, stride, padding, dilation, relu=True)
        ctx.save_for_backward(x, w)
        ctx.y = y
        ctx.conf = (stride, padding, dilation)
        ctx.has_bias = b is not None
        return y

    @staticmethod
    def backward(ctx, g):
        # d relu: pass g where the output is positive (y > 0 exactly where the pre-activation was).
        return _conv_backward(ctx, np.where(ctx.y > 0, g, np.zeros((), dtype=g.dtype)))


def _conv_backward(ctx, g):
    """Gradients of x, w, b (and None for the three configuration arguments) given a C-contiguous g."""
    x, w = ctx.saved
    stride, padding, dilation = ctx.conf
    gx = gw = gb = None
    if ctx.needs_input_grad[0]:
        gx = _C.conv2d_backward_input(g, w, x.shape, stride, padding, dilation)
    if ctx.needs_input_grad[1] or (ctx.has_bias and ctx.needs_input_grad[2]):
        gw, gb = _C.conv2d_backward_weight(g, x, w.shape, ctx.has_bias, stride, padding, dilation)
    return gx, gw, gb, None, None, None


def pair(v, name, op):
    """torch accepts an int or a 2-sequence for per-axis arguments."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return (int(v), int(v))
    if isinstance(v, (tuple, list)) and len(v) == 2:
        return (int(v[0]), int(v[1]))
    raise ValueError(f"[{op}] {name} must be an int or a pair of ints, got {v!r}")


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    return _apply(Conv2d, "conv2d", x, weight, bias, stride, padding, dilation)


def conv2d_relu(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """relu(conv2d(...)) with the ReLU applied by the convolution kernel as it writes the output (one pass
    over the activations instead of two); same values and gradients as the two ops. nn.Sequential uses it
    for a Conv2d directly followed by a ReLU."""
    return _apply(Conv2dReLU, "conv2d", x, weight, bias, stride, padding, dilation)


def _apply(fn, op, x, weight, bias, stride, padding, dilation):
    from ..tensor import Tensor

    if not isinstance(x, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"[{op}] input and weight must be Tensors, got {type(x).__name__} and {type(weight).__name__}")
    if isinstance(padding, str):
        padding = _string_padding(padding, weight.shape, pair(dilation, "dilation", op), pair(stride, "stride", op))
    return fn.apply(
        _ensure_c(x), _ensure_c(weight), None if bias is None else _ensure_c(bias),
        pair(stride, "stride", op), pair(padding, "padding", op), pair(dilation, "dilation", op),
    )


def _string_padding(mode, wshape, dilation, stride):
    if mode == "valid":
        return (0, 0)
    if mode == "same":
        if stride != (1, 1):
            raise ValueError(f"[conv2d] padding='same' needs stride 1, got {stride}")
        pads = []
        for k, d in zip(wshape[2:], dilation):
            total = d * (k - 1)
            if total % 2:
                raise ValueError(f"[conv2d] padding='same' with an even effective kernel ({k}, dilation {d}) is not supported")
            pads.append(total // 2)
        return tuple(pads)
    raise ValueError(f"[conv2d] padding must be an int, a pair, 'valid' or 'same', got {mode!r}")


def _ensure_c(t):
    # The kernels read C-contiguous memory; views from transpose/permute get one copy here.
    if t.data.flags.c_contiguous:
        return t
    return _Contiguous.apply(t)


class _Contiguous(Function):
    @staticmethod
    def forward(ctx, a):
        return np.ascontiguousarray(a)

    @staticmethod
    def backward(ctx, g):
        return g
