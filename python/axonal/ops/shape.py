"""Ops that move elements around without arithmetic: reshape, transpose, indexing, cat, stack."""
import math

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..errors import ShapeError
from ..tensor import Tensor, index_key


def _check_dim(dim, ndim, op, extra=0):
    n = ndim + extra
    if not -max(n, 1) <= dim < max(n, 1):
        raise IndexError(f"[{op}] dim {dim} is out of range for a tensor with {ndim} dims")
    return dim % max(n, 1)


class Reshape(Function):
    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        try:
            return a.reshape(shape)  # the method: no __array_function__ dispatch
        except ValueError:
            raise ShapeError(f"[reshape] cannot reshape a tensor of shape {a.shape} ({a.size} elements) "
                             f"into {shape}") from None

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None

    @staticmethod
    def backward_tensors(ctx, g):
        return g.reshape(ctx.shape), None


class Permute(Function):
    @staticmethod
    def forward(ctx, a, dims):
        ctx.inverse = tuple(int(i) for i in np.argsort(dims))
        return a.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        return g.transpose(ctx.inverse), None

    @staticmethod
    def backward_tensors(ctx, g):
        return g.permute(ctx.inverse), None


class Expand(Function):
    @staticmethod
    def forward(ctx, a, shape):
        try:
            return ctx.xp.broadcast_to(a, shape)
        except ValueError:
            raise ShapeError(f"[expand] cannot expand shape {a.shape} to {shape}") from None

    @staticmethod
    def backward(ctx, g):
        return g, None  # the engine sums over the broadcast axes

    @staticmethod
    def backward_tensors(ctx, g):
        return g, None


class Index(Function):
    @staticmethod
    def forward(ctx, a, key):
        ctx.shape, ctx.key = a.shape, key
        try:
            return a[key]
        except IndexError as e:
            raise IndexError(f"[index] {e} (tensor shape {a.shape})") from None

    @staticmethod
    def backward(ctx, g):
        return scatter_into_zeros(ctx.xp, g, ctx.shape, ctx.key), None

    @staticmethod
    def backward_tensors(ctx, g):
        return IndexGrad.apply(g, ctx.shape, ctx.key), None


def scatter_into_zeros(xp, g, shape, key):
    """Zeros of ``shape`` with g put at ``key`` (Index's gradient); integer-array indices may repeat, and
    add.at sums the repeats instead of keeping the last."""
    grad = xp.zeros(shape, dtype=g.dtype)
    if _is_basic(key):
        grad[key] = g
    else:
        xp.add.at(grad, key, g)
    return grad


class IndexGrad(Function):
    """Index's backward as an op of its own, so that create_graph can differentiate it again: its own
    gradient is g indexed the same way."""

    @staticmethod
    def forward(ctx, g, shape, key):
        ctx.key = key
        return scatter_into_zeros(ctx.xp, g, shape, key)

    @staticmethod
    def backward(ctx, gg):
        return gg[ctx.key], None, None

    @staticmethod
    def backward_tensors(ctx, gg):
        return gg[ctx.key], None, None


def _is_basic(key):
    parts = key if isinstance(key, tuple) else (key,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts)


class Cat(Function):
    @staticmethod
    def forward(ctx, axis, *arrays):
        ctx.axis = axis
        ctx.splits = [int(i) for i in np.cumsum([a.shape[axis] for a in arrays])[:-1]]
        return ctx.xp.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, g):
        return (None, *ctx.xp.split(g, ctx.splits, axis=ctx.axis))

    @staticmethod
    def backward_tensors(ctx, g):
        bounds = [0, *ctx.splits, g.shape[ctx.axis]]
        lead = (slice(None),) * ctx.axis
        return (None, *(g[lead + (slice(lo, hi),)] for lo, hi in zip(bounds, bounds[1:])))


class Stack(Function):
    @staticmethod
    def forward(ctx, axis, *arrays):
        ctx.axis = axis
        return ctx.xp.stack(arrays, axis=axis)

    @staticmethod
    def backward(ctx, g):
        n = g.shape[ctx.axis]
        return (None, *(ctx.xp.take(g, i, axis=ctx.axis) for i in range(n)))

    @staticmethod
    def backward_tensors(ctx, g):
        lead = (slice(None),) * ctx.axis
        return (None, *(g[lead + (i,)] for i in range(g.shape[ctx.axis])))


def reshape(a, shape):
    return Reshape.apply(a, tuple(map(int, shape)))


def flatten(a, start_dim=0, end_dim=-1):
    if a.ndim == 0:
        return reshape(a, (1,))
    start = _check_dim(start_dim, a.ndim, "flatten")
    end = _check_dim(end_dim, a.ndim, "flatten")
    if start > end:
        raise ValueError(f"[flatten] start_dim {start_dim} comes after end_dim {end_dim} (shape {a.shape})")
    shape = a.shape[:start] + (math.prod(a.shape[start:end + 1]),) + a.shape[end + 1:]
    return reshape(a, shape)


def permute(a, dims):
    dims = tuple(_check_dim(d, a.ndim, "permute") for d in dims)
    if sorted(dims) != list(range(a.ndim)):
        raise ShapeError(f"[permute] dims {dims} are not a permutation of the {a.ndim} dims of shape {a.shape}")
    return Permute.apply(a, dims)


def transpose(a, dim0, dim1):
    d0, d1 = _check_dim(dim0, a.ndim, "transpose"), _check_dim(dim1, a.ndim, "transpose")
    if a.ndim == 0:  # torch accepts dims 0 / -1 on a 0-d tensor; nothing to swap
        return reshape(a, ())
    dims = list(range(a.ndim))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(a, tuple(dims))


def squeeze(a, dim=None):
    if dim is None:
        shape = tuple(s for s in a.shape if s != 1)
    else:
        d = _check_dim(dim, a.ndim, "squeeze")
        if a.ndim == 0:  # dims 0 / -1 are valid on a 0-d tensor, as in torch
            return reshape(a, ())
        shape = a.shape if a.shape[d] != 1 else a.shape[:d] + a.shape[d + 1:]
    return reshape(a, shape)


def unsqueeze(a, dim):
    d = _check_dim(dim, a.ndim, "unsqueeze", extra=1)
    return reshape(a, a.shape[:d] + (1,) + a.shape[d:])


def expand(a, shape):
    # -1 keeps the existing size, as in torch.
    lead = len(shape) - a.ndim
    shape = tuple(a.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
    return Expand.apply(a, shape)


def index(a, key):
    key = _on_device_of(a, index_key(key))
    first, rest = _ints_first(key)
    if first is not None:  # torch applies integer indices before advanced ones (NumPy mixes them)
        return Index.apply(Index.apply(a, first), rest)
    return Index.apply(a, key)


def _on_device_of(a, key):
    """Index arrays moved to a's device (torch accepts CPU index tensors for a GPU tensor)."""
    kind = type(a.data)
    if kind is np.ndarray:
        return key

    def move(p):
        if type(p) in backend._by_type and type(p) is not kind:
            return backend.transfer(p, backend.of(a.data))
        if isinstance(p, list):
            return backend.of(a.data).from_host(np.asarray(p))
        return p

    return tuple(move(p) for p in key) if isinstance(key, tuple) else move(key)


def _is_int(p):
    return isinstance(p, (int, np.integer)) and not isinstance(p, (bool, np.bool_))


def _is_advanced(p):
    return hasattr(p, "shape") and getattr(p, "ndim", 0) > 0 or isinstance(p, (list, tuple))


def _ints_first(key):
    """(key of the integers alone, key of the rest) when the key mixes integers and advanced (array) indices,
    which torch and NumPy order differently; (None, key) otherwise."""
    parts = key if isinstance(key, tuple) else (key,)
    if not (any(_is_int(p) for p in parts) and any(_is_advanced(p) for p in parts)):
        return None, key
    first, rest = [], []
    for p in parts:
        if _is_int(p):
            first.append(p)
        elif p is None:
            rest.append(p)
        elif p is Ellipsis:
            first.append(p)
            rest.append(p)
        else:
            consumed = p.ndim if getattr(p, "dtype", None) is not None and p.dtype == np.bool_ else 1
            first.extend([slice(None)] * consumed)
            rest.append(p)
    return tuple(first), tuple(rest)


def _as_tensors(tensors, op):
    if isinstance(tensors, Tensor):  # iterating it would split it into rows, one Python object each (torch refuses too)
        raise TypeError(f"[{op}] expects a sequence of tensors, got one Tensor of shape {tuple(tensors.shape)}")
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ShapeError(f"[{op}] expects a non-empty sequence of tensors")
    return tensors


def cat(tensors, dim=0):
    tensors = _as_tensors(tensors, "cat")
    if any(t.ndim == 0 for t in tensors):
        shapes = ", ".join(str(t.shape) for t in tensors)
        raise ShapeError(f"[cat] zero-dimensional tensors cannot be concatenated (shapes {shapes}); use stack")
    axis = _check_dim(dim, tensors[0].ndim, "cat")
    for t in tensors[1:]:
        if t.ndim != tensors[0].ndim or any(
            s != s0 for i, (s, s0) in enumerate(zip(t.shape, tensors[0].shape)) if i != axis
        ):
            shapes = ", ".join(str(x.shape) for x in tensors)
            raise ShapeError(f"[cat] shapes must match except in dim {dim}: {shapes}")
    return Cat.apply(axis, *tensors)


def stack(tensors, dim=0):
    tensors = _as_tensors(tensors, "stack")
    if any(t.shape != tensors[0].shape for t in tensors):
        shapes = ", ".join(str(x.shape) for x in tensors)
        raise ShapeError(f"[stack] all tensors must have the same shape: {shapes}")
    axis = _check_dim(dim, tensors[0].ndim, "stack", extra=1)
    return Stack.apply(axis, *tensors)

