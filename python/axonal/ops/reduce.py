"""Reductions over all elements or over dims, torch-style (``dim`` may be an int or a tuple)."""
import builtins
from collections import namedtuple

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..errors import ShapeError
from ..tensor import Tensor
from .binary import maximum, minimum

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
    elements, ties share it evenly (torch's rule for a full max/min). ``indices_out`` (a list) receives the
    selected indices of a reduction over one dim, from the same pass."""

    @staticmethod
    def forward(ctx, a, axis, keepdim, is_max, indices_out):
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
        indices_out.append(idx_k if keepdim else idx)
        return out if keepdim else out.squeeze(axis)

    @staticmethod
    def backward(ctx, g):
        if not hasattr(ctx, "axis"):
            return g * ctx.saved[0], None, None, None, None
        (idx_k,) = ctx.saved
        xp = ctx.xp
        grad = xp.zeros(ctx.shape, dtype=g.dtype)
        gk = g if ctx.keepdim else xp.expand_dims(g, ctx.axis)
        xp.put_along_axis(grad, idx_k, gk, axis=ctx.axis)
        return grad, None, None, None, None


def _dim(dim, axis):
    """torch accepts ``axis=`` as another spelling of ``dim``."""
    return axis if dim is None else dim


def _with_dtype(a, dtype):
    return a if dtype is None or a.dtype == np.dtype(dtype) else a.to(np.dtype(dtype))


def sum(a, dim=None, keepdim=False, *, dtype=None, axis=None):  # noqa: A001
    """Sum over ``dim`` (an int, a tuple or None for all); integer and bool tensors sum to int64, as in torch."""
    a = _with_dtype(a, dtype)
    if dtype is None and a.dtype.kind in "biu" and a.dtype != np.int64:
        a = a.to(np.int64)
    return Sum.apply(a, _axes(_dim(dim, axis), a.ndim, "sum"), keepdim)


def mean(a, dim=None, keepdim=False, *, dtype=None, axis=None):
    a = _with_dtype(a, dtype)
    if a.dtype.kind != "f":
        raise TypeError(f"[mean] needs a floating point tensor, got {a.dtype} with shape {a.shape}; "
                        "pass dtype= or convert it first")
    return Mean.apply(a, _axes(_dim(dim, axis), a.ndim, "mean"), keepdim)


def _correction(op, unbiased, correction):
    if correction is not None and unbiased is not None:
        raise ValueError(f"[{op}] pass either unbiased or correction, not both")
    if correction is not None:
        return correction
    return 0 if unbiased is False else 1


def var(a, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None):
    """Variance with torch's ``correction`` (1, Bessel's, by default; ``unbiased=False`` means 0)."""
    if a.dtype.kind != "f":
        raise TypeError(f"[var] needs a floating point tensor, got {a.dtype} with shape {a.shape}")
    dim = _dim(dim, axis)
    if isinstance(unbiased, bool) or unbiased is None:
        c = _correction("var", unbiased, correction)
    else:  # var(dim, keepdim) called positionally the old way would land here: torch's order is (dim, unbiased)
        raise TypeError(f"[var] unbiased must be a bool, got {unbiased!r}")
    return Var.apply(a, _axes(dim, a.ndim, "var"), keepdim, c)


def std(a, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None):
    return var(a, dim, unbiased, keepdim, correction=correction, axis=axis).sqrt()


def var_mean(a, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(a, dim, unbiased, keepdim, correction=correction), mean(a, dim, keepdim)


def std_mean(a, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std(a, dim, unbiased, keepdim, correction=correction), mean(a, dim, keepdim)


class Prod(Function):
    """Product over one axis (or all elements). Gradient: for each element, the product of all the others,
    computed as exclusive products from the left and from the right, so zeros need no division."""

    @staticmethod
    def forward(ctx, a, axis, keepdim):
        ctx.save_for_backward(a)
        ctx.axis, ctx.keepdim = axis, keepdim
        return a.prod(axis=axis, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved
        xp = ctx.xp
        flat = ctx.axis is None
        x = a.reshape(-1) if flat else a
        axis = 0 if flat else ctx.axis
        ones = xp.ones_like(xp.take(x, [0], axis=axis))
        left = xp.concatenate([ones, xp.cumprod(x, axis=axis)], axis=axis)
        right = xp.flip(xp.cumprod(xp.flip(x, axis=axis), axis=axis), axis=axis)
        right = xp.concatenate([right, ones], axis=axis)
        n = x.shape[axis]
        others = xp.take(left, range(n), axis=axis) * xp.take(right, range(1, n + 1), axis=axis)
        if flat:
            return (g * others).reshape(a.shape), None, None
        return (others * (g if ctx.keepdim else xp.expand_dims(g, axis))), None, None


def prod(a, dim=None, keepdim=False, *, dtype=None):
    a = _with_dtype(a, dtype)
    if dtype is None and a.dtype.kind in "biu" and a.dtype != np.int64:
        a = a.to(np.int64)
    if dim is None:
        return Prod.apply(a, None, False)
    (axis,) = _axes(dim, a.ndim, "prod") or (None,)
    if axis is None:  # a 0-d tensor
        return Prod.apply(a, None, False)
    return Prod.apply(a, axis, keepdim)


class Amax(Function):
    """Largest (or smallest) value over dims; the gradient is shared evenly by the elements that tie."""

    @staticmethod
    def forward(ctx, a, axes, keepdim, is_max):
        out = a.max(axis=axes, keepdims=True) if is_max else a.min(axis=axes, keepdims=True)
        mask = a == out
        ctx.save_for_backward(mask / mask.sum(axis=axes, keepdims=True))
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        return out if keepdim else out.reshape(_reduced_shape(a.shape, axes))

    @staticmethod
    def backward(ctx, g):
        (share,) = ctx.saved
        return _expand_back(ctx.xp, g, ctx.shape, ctx.axes, ctx.keepdim) * share, None, None, None


def _reduced_shape(shape, axes):
    if axes is None:
        return ()
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def amax(a, dim=(), keepdim=False):
    return _amax(a, dim, keepdim, True, "amax")


def amin(a, dim=(), keepdim=False):
    return _amax(a, dim, keepdim, False, "amin")


def _amax(a, dim, keepdim, is_max, op):
    if a.numel() == 0:
        raise ShapeError(f"[{op}] cannot reduce an empty tensor of shape {a.shape}")
    axes = None if dim == () or dim is None else _axes(dim, a.ndim, op)
    return Amax.apply(a, axes, keepdim, is_max)


def _bool_reduce(a, dim, keepdim, fn, op):
    axes = _axes(dim, a.ndim, op)
    data = a.data if a.dtype == np.bool_ else a.data != 0
    return Tensor._make(backend.of(data).xp.asarray(fn(data, axis=axes, keepdims=keepdim)))


def all(a, dim=None, keepdim=False):  # noqa: A001
    return _bool_reduce(a, dim, keepdim, lambda d, axis, keepdims: d.all(axis=axis, keepdims=keepdims), "all")


def any(a, dim=None, keepdim=False):  # noqa: A001
    return _bool_reduce(a, dim, keepdim, lambda d, axis, keepdims: d.any(axis=axis, keepdims=keepdims), "any")


def count_nonzero(a, dim=None):
    axes = _axes(dim, a.ndim, "count_nonzero")
    counts = (a.data != 0).sum(axis=axes)
    return Tensor._make(backend.of(a.data).xp.asarray(counts).astype(np.int64))


def _extremum(a, dim, keepdim, is_max):
    op = "max" if is_max else "min"
    if isinstance(dim, Tensor):  # torch.max(a, b): the elementwise maximum
        return (maximum if is_max else minimum)(a, dim)
    if a.numel() == 0:
        raise ShapeError(f"[{op}] cannot reduce an empty tensor of shape {a.shape}")
    if dim is None:
        return Extremum.apply(a, None, False, is_max, None)
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"[{op}] dim must be an int, got {dim!r} (tensor shape {a.shape})")
    if a.ndim == 0:
        _axes(dim, 0, op)  # range check only
        values, indices = _extremum(a.reshape((1,)), 0, False, is_max)
        return MaxMin(values, indices)
    (axis,) = _axes(dim, a.ndim, op)
    indices = []
    values = Extremum.apply(a, axis, keepdim, is_max, indices)
    return MaxMin(values, Tensor._make(indices[0].astype(np.int64)))


def max(a, dim=None, keepdim=False, *, axis=None):  # noqa: A001
    return _extremum(a, _dim(dim, axis), keepdim, True)


def min(a, dim=None, keepdim=False, *, axis=None):  # noqa: A001
    return _extremum(a, _dim(dim, axis), keepdim, False)


def _arg(a, dim, keepdim, is_max, op):
    if a.numel() == 0:
        raise ShapeError(f"[{op}] cannot reduce an empty tensor of shape {a.shape}")
    data = a.data
    if dim is None:
        return Tensor._make((data.argmax() if is_max else data.argmin()).astype(np.int64))
    if a.ndim == 0:
        _axes(dim, 0, op)  # range check only
        return Tensor._make(backend.of(data).xp.zeros((), dtype=np.int64))
    (axis,) = _axes(dim, a.ndim, op)
    raw = data.argmax(axis=axis, keepdims=keepdim) if is_max else data.argmin(axis=axis, keepdims=keepdim)
    return Tensor._make(raw.astype(np.int64))


def argmax(a, dim=None, keepdim=False, *, axis=None):
    return _arg(a, _dim(dim, axis), keepdim, True, "argmax")


def argmin(a, dim=None, keepdim=False, *, axis=None):
    return _arg(a, _dim(dim, axis), keepdim, False, "argmin")
