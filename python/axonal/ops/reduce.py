"""Reductions over all elements or over dims, torch-style (``dim`` may be an int or a tuple)."""
import builtins
from collections import namedtuple

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..tensor import Tensor

MaxMin = namedtuple("MaxMin", ["values", "indices"])


def _axes(dim, ndim, op):
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    n = builtins.max(ndim, 1)
    for d in dims:
        if not -n <= d < n:
            raise IndexError(f"[{op}] dim {d} is out of range for a tensor with {ndim} dims")
        if d % n in out:
            raise ValueError(f"[{op}] dim {d} appears more than once in {dim}")
        out.append(d % n)
    # A 0-d tensor accepts dim 0 / -1 as in torch, but NumPy has no axis to reduce: reduce over none.
    return tuple(out) if ndim > 0 else ()


def _expand_back(xp, g, shape, axes, keepdim):
    """Re-insert reduced axes into g so that it broadcasts against the input of ``shape``."""
    if axes is None:
        return xp.broadcast_to(g.reshape((1,) * len(shape)), shape)
    if not keepdim:
        g = xp.expand_dims(g, axes)
    return xp.broadcast_to(g, shape)


def _expand_back_tensor(g, shape, axes, keepdim):
    """_expand_back with differentiable ops (create_graph=True)."""
    if axes is None:
        return g.reshape((1,) * len(shape)).expand(shape)
    if not keepdim:
        for axis in sorted(axes):
            g = g.unsqueeze(axis)
    return g.expand(shape)


class Sum(Function):
    @staticmethod
    def forward(ctx, a, axes, keepdim):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        return a.sum(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        return _expand_back(ctx.xp, g, ctx.shape, ctx.axes, ctx.keepdim), None, None

    @staticmethod
    def backward_tensors(ctx, g):
        return _expand_back_tensor(g, ctx.shape, ctx.axes, ctx.keepdim), None, None


class Mean(Function):
    @staticmethod
    def forward(ctx, a, axes, keepdim):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        ctx.count = a.size if axes is None else int(np.prod([a.shape[d] for d in axes]))
        return a.mean(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        return _expand_back(ctx.xp, g / ctx.count, ctx.shape, ctx.axes, ctx.keepdim), None, None

    @staticmethod
    def backward_tensors(ctx, g):
        return _expand_back_tensor(g / ctx.count, ctx.shape, ctx.axes, ctx.keepdim), None, None


class Var(Function):
    @staticmethod
    def forward(ctx, a, axes, keepdim, correction):
        mean = a.mean(axis=axes, keepdims=True)
        centered = a - mean
        count = a.size if axes is None else int(np.prod([a.shape[d] for d in axes]))
        ctx.save_for_backward(centered)
        ctx.shape, ctx.axes, ctx.keepdim, ctx.denom = a.shape, axes, keepdim, builtins.max(count - correction, 0)
        return (centered * centered).sum(axis=axes, keepdims=keepdim) / ctx.denom

    @staticmethod
    def backward(ctx, g):
        (centered,) = ctx.saved
        g = _expand_back(ctx.xp, g, ctx.shape, ctx.axes, ctx.keepdim)
        return g * (2.0 / ctx.denom) * centered, None, None, None

    @staticmethod
    def backward_tensors(ctx, g):
        a = ctx.inputs[0]
        axes = ctx.axes if ctx.axes is not None else tuple(range(a.ndim))
        centered = a - a.mean(axes, keepdim=True)
        return _expand_back_tensor(g, ctx.shape, ctx.axes, ctx.keepdim) * (2.0 / ctx.denom) * centered, None, None, None


class Extremum(Function):
    """max/min over all elements or one dim. The gradient goes to the selected element; over all
    elements, ties share it evenly (torch's rule for a full max/min)."""

    @staticmethod
    def forward(ctx, a, axis, keepdim, is_max):
        xp = ctx.xp
        if axis is None:
            out = a.max() if is_max else a.min()
            mask = a == out
            ctx.save_for_backward(mask / mask.sum())
            return out
        idx = a.argmax(axis=axis) if is_max else a.argmin(axis=axis)
        idx_k = xp.expand_dims(idx, axis)
        out = xp.take_along_axis(a, idx_k, axis=axis)
        ctx.save_for_backward(idx_k)
        ctx.shape, ctx.axis, ctx.keepdim = a.shape, axis, keepdim
        ctx.indices = idx_k if keepdim else idx
        return out if keepdim else out.squeeze(axis)

    @staticmethod
    def backward(ctx, g):
        if not hasattr(ctx, "axis"):
            return g * ctx.saved[0], None, None, None
        (idx_k,) = ctx.saved
        xp = ctx.xp
        grad = xp.zeros(ctx.shape, dtype=g.dtype)
        gk = g if ctx.keepdim else xp.expand_dims(g, ctx.axis)
        xp.put_along_axis(grad, idx_k, gk, axis=ctx.axis)
        return grad, None, None, None


def sum(a, dim=None, keepdim=False):  # noqa: A001
    return Sum.apply(a, _axes(dim, a.ndim, "sum"), keepdim)


def mean(a, dim=None, keepdim=False):
    if a.dtype.kind != "f":
        raise TypeError(f"[mean] needs a floating point tensor, got {a.dtype} with shape {a.shape}")
    return Mean.apply(a, _axes(dim, a.ndim, "mean"), keepdim)


def var(a, dim=None, keepdim=False, unbiased=True):
    return Var.apply(a, _axes(dim, a.ndim, "var"), keepdim, 1 if unbiased else 0)


def _extremum(a, dim, keepdim, is_max):
    op = "max" if is_max else "min"
    if a.numel() == 0:
        raise ValueError(f"[{op}] cannot reduce an empty tensor of shape {a.shape}")
    if dim is None:
        return Extremum.apply(a, None, False, is_max)
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"[{op}] dim must be an int, got {dim!r} (tensor shape {a.shape})")
    if a.ndim == 0:
        _axes(dim, 0, op)  # range check only
        values, indices = _extremum(a.reshape((1,)), 0, False, is_max)
        return MaxMin(values, indices)
    (axis,) = _axes(dim, a.ndim, op)
    values = Extremum.apply(a, axis, keepdim, is_max)
    raw = a.data.argmax(axis=axis, keepdims=keepdim) if is_max else a.data.argmin(axis=axis, keepdims=keepdim)
    indices = Tensor._make(raw.astype(np.int64))
    return MaxMin(values, indices)


def max(a, dim=None, keepdim=False):  # noqa: A001
    return _extremum(a, dim, keepdim, True)


def min(a, dim=None, keepdim=False):  # noqa: A001
    return _extremum(a, dim, keepdim, False)


def _arg(a, dim, keepdim, is_max, op):
    if a.numel() == 0:
        raise ValueError(f"[{op}] cannot reduce an empty tensor of shape {a.shape}")
    data = a.data
    if dim is None:
        return Tensor._make((data.argmax() if is_max else data.argmin()).astype(np.int64))
    if a.ndim == 0:
        _axes(dim, 0, op)  # range check only
        return Tensor._make(backend.of(data).xp.zeros((), dtype=np.int64))
    (axis,) = _axes(dim, a.ndim, op)
    raw = data.argmax(axis=axis, keepdims=keepdim) if is_max else data.argmin(axis=axis, keepdims=keepdim)
    return Tensor._make(raw.astype(np.int64))


def argmax(a, dim=None, keepdim=False):
    return _arg(a, dim, keepdim, True, "argmax")


def argmin(a, dim=None, keepdim=False):
    return _arg(a, dim, keepdim, False, "argmin")
