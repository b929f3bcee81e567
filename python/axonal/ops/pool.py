"""max_pool2d / avg_pool2d as Functions over the C++ kernels (NCHW, PyTorch's floor output size)."""
import numpy as np

from .. import _C
from ..autograd.function import Function
from ..tensor import Tensor
from .conv import _ensure_c, pair


class MaxPool2d(Function):
    fresh_grads = True  # the backward kernel returns a new array

    @staticmethod
    def forward(ctx, x, kernel, stride, padding):
        out, argmax = _C.max_pool2d_forward(x, kernel, stride, padding)
        ctx.save_for_backward(argmax)
        ctx.in_shape = x.shape
        return out

    @staticmethod
    def backward(ctx, g):
        (argmax,) = ctx.saved
        return _C.max_pool2d_backward(np.ascontiguousarray(g), argmax, ctx.in_shape), None, None, None


class AvgPool2d(Function):
    fresh_grads = True  # the backward kernel returns a new array

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, count_include_pad):
        ctx.conf = (x.shape, kernel, stride, padding, count_include_pad)
        return _C.avg_pool2d_forward(x, kernel, stride, padding, count_include_pad)

    @staticmethod
    def backward(ctx, g):
        shape, kernel, stride, padding, cip = ctx.conf
        return _C.avg_pool2d_backward(np.ascontiguousarray(g), shape, kernel, stride, padding, cip), None, None, None, None


def _args(op, kernel_size, stride, padding):
    kernel = pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None else pair(stride, "stride", op)
    return kernel, stride, pair(padding, "padding", op)


def _check_tensor(x, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"[{op}] input must be a Tensor, got {type(x).__name__}")


def max_pool2d(x, kernel_size, stride=None, padding=0, return_indices=False):
    _check_tensor(x, "max_pool2d")
    kernel, stride, padding = _args("max_pool2d", kernel_size, stride, padding)
    out = MaxPool2d.apply(_ensure_c(x), kernel, stride, padding)
    if return_indices:
        _, argmax = _C.max_pool2d_forward(np.ascontiguousarray(x.data), kernel, stride, padding)
        return out, Tensor._wrap(argmax.astype(np.int64))
    return out


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    _check_tensor(x, "avg_pool2d")
    kernel, stride, padding = _args("avg_pool2d", kernel_size, stride, padding)
    return AvgPool2d.apply(_ensure_c(x), kernel, stride, padding, bool(count_include_pad))
