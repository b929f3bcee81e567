"""max_pool2d / avg_pool2d as Functions over the backend's kernels (NCHW, PyTorch's floor output size)."""
from ..autograd.function import Function
from ..tensor import Tensor
from . import _checks
from ._checks import pair
from .conv import _ensure_c


class MaxPool2d(Function):
    fresh_grads = True  # the backward kernel returns a new array

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, indices_out):
        out, argmax = ctx.backend.max_pool2d_forward(x, kernel, stride, padding)
        ctx.save_for_backward(argmax)
        ctx.in_shape = x.shape
        if indices_out is not None:  # return_indices: the winners of this one kernel call
            indices_out.append(argmax)
        return out

    @staticmethod
    def backward(ctx, g):
        (argmax,) = ctx.saved
        grad = ctx.backend.max_pool2d_backward(ctx.xp.ascontiguousarray(g), argmax, ctx.in_shape)
        return grad, None, None, None, None


class AvgPool2d(Function):
    fresh_grads = True  # the backward kernel returns a new array

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, count_include_pad):
        ctx.conf = (x.shape, kernel, stride, padding, count_include_pad)
        return ctx.backend.avg_pool2d_forward(x, kernel, stride, padding, count_include_pad)

    @staticmethod
    def backward(ctx, g):
        shape, kernel, stride, padding, cip = ctx.conf
        g = ctx.xp.ascontiguousarray(g)
        return ctx.backend.avg_pool2d_backward(g, shape, kernel, stride, padding, cip), None, None, None, None


def _args(op, x, kernel_size, stride, padding):
    _checks.tensors(op, input=x)
    kernel = pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None else pair(stride, "stride", op)
    padding = pair(padding, "padding", op)
    _checks.pool2d(op, x, kernel, stride, padding)
    return kernel, stride, padding


def max_pool2d(x, kernel_size, stride=None, padding=0, return_indices=False):
    kernel, stride, padding = _args("max_pool2d", x, kernel_size, stride, padding)
    indices = [] if return_indices else None
    out = MaxPool2d.apply(_ensure_c(x), kernel, stride, padding, indices)
    if return_indices:
        return out, Tensor._make(indices[0].astype("int64"))
    return out


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    kernel, stride, padding = _args("avg_pool2d", x, kernel_size, stride, padding)
    return AvgPool2d.apply(_ensure_c(x), kernel, stride, padding, bool(count_include_pad))
