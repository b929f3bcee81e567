"""conv2d as a Function over the C++ kernels (NCHW; stride, padding, dilation per axis)."""
import numpy as np

from .. import _C
from ..autograd.function import Function
from ..tensor import Tensor
from .activation import relu_backward


class Conv2d(Function):
    fresh_grads = True  # the backward kernels return new arrays

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation):
        ctx.save_for_backward(x, w)
        ctx.conf = (stride, padding, dilation)
        ctx.has_bias = b is not None
        return _C.conv2d_forward(x, w, b, stride, padding, dilation)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved
        return _conv_backward(ctx, x, w, np.ascontiguousarray(g))


def _conv_backward(ctx, x, w, g):
    stride, padding, dilation = ctx.conf
    gx = gw = gb = None
    if ctx.needs_input_grad[0]:
        gx = _C.conv2d_backward_input(g, w, x.shape, stride, padding, dilation)
    if ctx.needs_input_grad[1] or (ctx.has_bias and ctx.needs_input_grad[2]):
        gw, gb = _C.conv2d_backward_weight(g, x, w.shape, ctx.has_bias, stride, padding, dilation)
    return gx, gw, gb, None, None, None


class Conv2dReLU(Function):
    """relu(conv2d(...)) as one node: the convolution kernel applies the ReLU to each block of output while
    it is still in cache (no second pass over an activation-sized array), and backward masks the incoming
    gradient once before the conv kernels. Values and gradients are those of the two ops in sequence."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation):
        out = _C.conv2d_forward(x, w, b, stride, padding, dilation, relu=True)
        ctx.save_for_backward(x, w, out)
        ctx.conf = (stride, padding, dilation)
        ctx.has_bias = b is not None
        return out

    @staticmethod
    def backward(ctx, g):
        x, w, out = ctx.saved
        return _conv_backward(ctx, x, w, np.ascontiguousarray(relu_backward(g, out)))


def pair(v, name, op):
    """torch accepts an int or a 2-sequence for per-axis arguments."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return (int(v), int(v))
    if isinstance(v, (tuple, list)) and len(v) == 2:
        return (int(v[0]), int(v[1]))
    raise ValueError(f"[{op}] {name} must be an int or a pair of ints, got {v!r}")


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    return _conv(Conv2d, x, weight, bias, stride, padding, dilation)


def conv2d_relu(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """relu(conv2d(...)) as one op (same values and gradients, one graph node)."""
    return _conv(Conv2dReLU, x, weight, bias, stride, padding, dilation)


def _conv(fn, x, weight, bias, stride, padding, dilation):
    if not isinstance(x, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"[conv2d] input and weight must be Tensors, got {type(x).__name__} and {type(weight).__name__}")
    if isinstance(padding, str):
        padding = _string_padding(padding, weight.shape, pair(dilation, "dilation", "conv2d"), pair(stride, "stride", "conv2d"))
    return fn.apply(
        _ensure_c(x), _ensure_c(weight), None if bias is None else _ensure_c(bias),
        pair(stride, "stride", "conv2d"), pair(padding, "padding", "conv2d"), pair(dilation, "dilation", "conv2d"),
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
