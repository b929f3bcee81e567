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


def _bins(size, out):
    """torch's adaptive pooling windows along one axis: [floor(i * size / out), ceil((i + 1) * size / out))."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


class AdaptiveAvgPool2d(Function):
    """Average over torch's adaptive windows. The global case (1 x 1) is one mean; otherwise one mean per
    window (the windows overlap when the size is not a multiple of the output)."""

    @staticmethod
    def forward(ctx, x, out_size):
        N, C, H, W = x.shape
        oh, ow = out_size
        ctx.in_shape, ctx.out_size = x.shape, out_size
        if (oh, ow) == (1, 1):
            return x.mean(axis=(2, 3), keepdims=True)
        if H % oh == 0 and W % ow == 0:  # equal windows: one reshape and one mean
            return x.reshape(N, C, oh, H // oh, ow, W // ow).mean(axis=(3, 5))
        out = ctx.xp.empty((N, C, oh, ow), dtype=x.dtype)
        for i, (h0, h1) in enumerate(_bins(H, oh)):
            for j, (w0, w1) in enumerate(_bins(W, ow)):
                out[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
        return out

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        N, C, H, W = ctx.in_shape
        oh, ow = ctx.out_size
        if (oh, ow) == (1, 1):
            return xp.broadcast_to(g / (H * W), ctx.in_shape), None
        if H % oh == 0 and W % ow == 0:
            kh, kw = H // oh, W // ow
            grad = xp.broadcast_to((g / (kh * kw))[:, :, :, None, :, None], (N, C, oh, kh, ow, kw))
            return grad.reshape(ctx.in_shape), None
        grad = xp.zeros(ctx.in_shape, dtype=g.dtype)
        for i, (h0, h1) in enumerate(_bins(H, oh)):
            for j, (w0, w1) in enumerate(_bins(W, ow)):
                grad[:, :, h0:h1, w0:w1] += (g[:, :, i, j] / ((h1 - h0) * (w1 - w0)))[:, :, None, None]
        return grad, None


def adaptive_avg_pool2d(x, output_size):
    """Average pooling to ``output_size`` (an int, a pair, with None keeping that input size)."""
    _checks.tensors("adaptive_avg_pool2d", input=x)
    if x.ndim != 4:
        raise ValueError(f"[adaptive_avg_pool2d] expects a 4-D input (N, C, H, W), got {x.shape}")
    size = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    if len(size) != 2:
        raise ValueError(f"[adaptive_avg_pool2d] output_size must be an int or a pair, got {output_size!r}")
    size = tuple(x.shape[2 + i] if s is None else int(s) for i, s in enumerate(size))
    if min(size) < 1:
        raise ValueError(f"[adaptive_avg_pool2d] output_size must be >= 1, got {size} (input {x.shape})")
    return AdaptiveAvgPool2d.apply(x, size)
