"""max_pool2d / avg_pool2d as Functions over the backend's kernels (NCHW, PyTorch's floor output size)."""
import numpy as np

from .. import backend
from ..autograd.function import Function
from ..backend.base import adaptive_bins as _bins
from ..tensor import Tensor
from . import _checks
from ._checks import pair
from .conv import _ensure_c
from .padding import pad
from .rearrange import _on
from .shape import index, stack


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


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    dilation = pair(dilation, "dilation", "max_pool2d")
    if dilation != (1, 1) or ceil_mode:
        kernel, stride, padding = _generic_args("max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode)
        return max_pool2d_generic(x, kernel, stride, padding, dilation, ceil_mode, return_indices)
    kernel, stride, padding = _args("max_pool2d", x, kernel_size, stride, padding)
    indices = [] if return_indices else None
    out = MaxPool2d.apply(_ensure_c(x), kernel, stride, padding, indices)
    if return_indices:
        return out, Tensor._make(indices[0].astype("int64"))
    return out


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    if ceil_mode or divisor_override is not None:
        if divisor_override is not None and divisor_override <= 0:
            raise ValueError(f"[avg_pool2d] divisor_override must be positive, got {divisor_override}")
        kernel, stride, padding = _generic_args("avg_pool2d", x, kernel_size, stride, padding, (1, 1), ceil_mode)
        return avg_pool2d_generic(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    kernel, stride, padding = _args("avg_pool2d", x, kernel_size, stride, padding)
    return AvgPool2d.apply(_ensure_c(x), kernel, stride, padding, bool(count_include_pad))


def _generic_args(op, x, kernel_size, stride, padding, dilation, ceil_mode):
    _checks.tensors(op, input=x)
    kernel = pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None else pair(stride, "stride", op)
    padding = pair(padding, "padding", op)
    _checks.float_tensors(op, input=x)
    if x.ndim != 4 or min(x.shape) < 1:
        raise _checks.ShapeError(f"[{op}] expects a non-empty 4-D input (N, C, H, W), got {x.shape}")
    if min(kernel) < 1 or min(stride) < 1 or min(padding) < 0 or min(dilation) < 1:
        raise ValueError(f"[{op}] kernel_size, stride and dilation must be >= 1 and padding >= 0, got kernel "
                         f"{kernel}, stride {stride}, padding {padding}, dilation {dilation} (input {x.shape})")
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"[{op}] padding should be at most half of the kernel size, got padding {padding}, "
                         f"kernel {kernel} (input {x.shape})")
    for size, k, s, p, d in zip(x.shape[2:], kernel, stride, padding, dilation):
        if _out_size(size, k, s, p, d, ceil_mode) < 1:
            raise _checks.ShapeError(f"[{op}] the window {kernel} (dilation {dilation}) does not fit the padded "
                                     f"input {x.shape} (padding {padding})")
    return kernel, stride, padding


def _as_2d(x, op):
    if x.ndim not in (2, 3):
        raise _checks.ShapeError(f"[{op}] expects a 2-D (C, L) or 3-D (N, C, L) input, got {x.shape}")
    return x.unsqueeze(-2)


def max_pool1d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    one = lambda v: (1, v[0] if isinstance(v, (tuple, list)) else v)  # noqa: E731
    out = max_pool2d(_as_2d(x, "max_pool1d"), one(kernel_size), None if stride is None else one(stride),
                     (0, padding if isinstance(padding, int) else padding[0]), one(dilation), ceil_mode, return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def avg_pool1d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    one = lambda v: (1, v[0] if isinstance(v, (tuple, list)) else v)  # noqa: E731
    out = avg_pool2d(_as_2d(x, "avg_pool1d"), one(kernel_size), None if stride is None else one(stride),
                     (0, padding if isinstance(padding, int) else padding[0]), ceil_mode, count_include_pad)
    return out.squeeze(-2)


class AdaptiveAvgPool2d(Function):
    """Average over torch's adaptive windows (the backend's kernel; the windows overlap when the size is not a
    multiple of the output)."""

    @staticmethod
    def forward(ctx, x, out_size):
        ctx.in_shape = x.shape
        return ctx.backend.adaptive_avg_pool2d_forward(x, out_size)

    @staticmethod
    def backward(ctx, g):
        return ctx.backend.adaptive_avg_pool2d_backward(g, ctx.in_shape), None


def _adaptive_size(op, x, output_size):
    _checks.tensors(op, input=x)
    if x.ndim != 4:
        raise _checks.ShapeError(f"[{op}] expects a 4-D input (N, C, H, W), got {x.shape}")
    size = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    if len(size) != 2:
        raise ValueError(f"[{op}] output_size must be an int or a pair, got {output_size!r}")
    size = tuple(x.shape[2 + i] if s is None else int(s) for i, s in enumerate(size))
    if min(size) < 1:
        raise ValueError(f"[{op}] output_size must be >= 1, got {size} (input {x.shape})")
    return size


def adaptive_max_pool2d(x, output_size, return_indices=False):
    """Max over torch's adaptive windows; with return_indices, the flat h * W + w of each winner."""

    oh, ow = _adaptive_size("adaptive_max_pool2d", x, output_size)
    N, C, H, W = x.shape
    values, indices = [], []
    for h0, h1 in _bins(H, oh):
        for w0, w1 in _bins(W, ow):
            v, i = x[:, :, h0:h1, w0:w1].reshape(N, C, -1).max(-1)
            values.append(v)
            width = w1 - w0
            indices.append((i.data // width + h0) * W + i.data % width + w0)
    out = stack(values, -1).reshape(N, C, oh, ow)
    if not return_indices:
        return out
    xp = _xp(x)
    return out, Tensor._make(xp.stack(indices, axis=-1).reshape(N, C, oh, ow).astype(np.int64))


def adaptive_avg_pool2d(x, output_size):
    """Average pooling to ``output_size`` (an int, a pair, with None keeping that input size)."""
    return AdaptiveAvgPool2d.apply(x, _adaptive_size("adaptive_avg_pool2d", x, output_size))



# ---- the options the kernels do not take: ceil_mode, dilation, divisor_override ------------------------------
def _out_size(size, k, s, p, d, ceil_mode):
    span = d * (k - 1) + 1
    if ceil_mode:
        out = -(-(size + 2 * p - span) // s) + 1
        if (out - 1) * s >= size + p:  # the last window must start inside the input or the left padding
            out -= 1
        return out
    return (size + 2 * p - span) // s + 1


def _windows(x, kernel, stride, padding, dilation, ceil_mode, fill):
    """(windows (N, C, P, Q, kh*kw) as a differentiable index of the padded input, rows, cols, P, Q): rows/cols
    are the padded-input coordinates of each window cell."""

    N, C, H, W = x.shape
    P = _out_size(H, kernel[0], stride[0], padding[0], dilation[0], ceil_mode)
    Q = _out_size(W, kernel[1], stride[1], padding[1], dilation[1], ceil_mode)
    rows = np.arange(P)[:, None] * stride[0] + np.arange(kernel[0])[None, :] * dilation[0]  # (P, kh)
    cols = np.arange(Q)[:, None] * stride[1] + np.arange(kernel[1])[None, :] * dilation[1]  # (Q, kw)
    extra_h = max(0, int(rows.max()) + 1 - (H + 2 * padding[0]))
    extra_w = max(0, int(cols.max()) + 1 - (W + 2 * padding[1]))
    padded = pad(x, (padding[1], padding[1] + extra_w, padding[0], padding[0] + extra_h), value=fill)
    key = (slice(None), slice(None), Tensor._make(_on(x, rows[:, None, :, None])),
           Tensor._make(_on(x, cols[None, :, None, :])))
    win = _sh_index(padded, key)  # (N, C, P, Q, kh, kw)
    return win.reshape(N, C, P, Q, kernel[0] * kernel[1]), rows, cols, P, Q


def _sh_index(t, key):

    return index(t, key)


def max_pool2d_generic(x, kernel, stride, padding, dilation, ceil_mode, return_indices):
    win, rows, cols, P, Q = _windows(x, kernel, stride, padding, dilation, ceil_mode, -np.inf)
    values, which = win.max(-1)
    if not return_indices:
        return values
    # The winner's input coordinates: its window cell -> padded coordinates -> input coordinates.
    xp, kw = _xp(x), kernel[1]
    cell = which.data
    row = _on_dev(x, rows)[xp.arange(P)[:, None], cell // kw] - padding[0]
    col = _on_dev(x, cols)[xp.arange(Q)[None, :], cell % kw] - padding[1]
    return values, Tensor._make((row * x.shape[3] + col).astype(np.int64))


def _xp(x):

    return backend.of(x.data).xp


def _on_dev(x, host):

    return _on(x, host)


def avg_pool2d_generic(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """torch's averages: the window's cells inside the padded input (or only the real ones without
    count_include_pad) divide the sum; cells past the padding (ceil_mode's last window) never count."""
    win, rows, cols, P, Q = _windows(x, kernel, stride, padding, (1, 1), ceil_mode, 0.0)
    total = win.sum(-1)
    if divisor_override:
        return total / divisor_override
    H, W = x.shape[2], x.shape[3]
    if count_include_pad:
        limit_h, limit_w = H + 2 * padding[0], W + 2 * padding[1]
    else:
        limit_h, limit_w = H + padding[0], W + padding[1]
    low_h, low_w = (0, 0) if count_include_pad else (padding[0], padding[1])
    n_rows = ((rows >= low_h) & (rows < limit_h)).sum(axis=1)  # (P,)
    n_cols = ((cols >= low_w) & (cols < limit_w)).sum(axis=1)  # (Q,)
    divisor = (n_rows[:, None] * n_cols[None, :]).astype(x.dtype)
    return total / Tensor._make(_on_dev(x, divisor))
