"""Indexing ops with torch's names: gather / scatter / scatter_add, index_select / index_add, masked_fill /
masked_select, nonzero, take_along_dim, sort / argsort / topk."""
from collections import namedtuple

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..errors import ShapeError
from ..tensor import Tensor
from . import shape as _sh
from .elementwise import as_operands, where
from .shape import _check_dim

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _index_array(index, op, like):
    if not isinstance(index, Tensor):
        raise TypeError(f"[{op}] index must be a Tensor, got {type(index).__name__}")
    if index.dtype.kind not in "iu":
        raise RuntimeError(f"[{op}] index must be an integer tensor, got {index.dtype} (shape {index.shape})")
    if type(index.data) is not type(like.data):
        raise RuntimeError(f"[{op}] expected all tensors on one device, got {like.device} and {index.device}")
    return index.data


def _scatter_add(xp, target, axis, idx, src):
    """target[..., idx[i], ...] += src[i] along ``axis``, repeats summed (np.add.at on a full index grid)."""
    grid = list(xp.indices(idx.shape, sparse=True))
    grid[axis] = idx
    xp.add.at(target, tuple(grid), src)


class Gather(Function):
    @staticmethod
    def forward(ctx, a, axis, idx):
        ctx.shape, ctx.axis, ctx.idx = a.shape, axis, idx
        return ctx.xp.take_along_axis(a, idx, axis=axis)

    @staticmethod
    def backward(ctx, g):
        grad = ctx.xp.zeros(ctx.shape, dtype=g.dtype)
        _scatter_add(ctx.xp, grad, ctx.axis, ctx.idx, g)
        return grad, None, None

    @staticmethod
    def backward_tensors(ctx, g):
        return ScatterAdd.apply(Tensor._make(ctx.xp.zeros(ctx.shape, dtype=g.dtype)), ctx.axis, ctx.idx, g), None, None


class ScatterAdd(Function):
    @staticmethod
    def forward(ctx, a, axis, idx, src):
        ctx.axis, ctx.idx = axis, idx
        out = a.copy()
        _scatter_add(ctx.xp, out, axis, idx, src[tuple(slice(0, n) for n in idx.shape)])
        return out

    @staticmethod
    def backward(ctx, g):
        gsrc = ctx.xp.take_along_axis(g, ctx.idx, axis=ctx.axis) if ctx.needs_input_grad[3] else None
        return g, None, None, _pad_to(ctx, gsrc)

    @staticmethod
    def backward_tensors(ctx, g):
        return g, None, None, Gather.apply(g, ctx.axis, ctx.idx) if ctx.needs_input_grad[3] else None


def _pad_to(ctx, gsrc):
    """src may be larger than index (torch uses only its leading part): zeros for the rest."""
    src = ctx.inputs[3]
    if gsrc is None or gsrc.shape == src.shape:
        return gsrc
    full = ctx.xp.zeros(src.shape, dtype=gsrc.dtype)
    full[tuple(slice(0, n) for n in gsrc.shape)] = gsrc
    return full


class Scatter(Function):
    """out = a with src (or a value) written at index along axis; the overwritten places get no gradient."""

    @staticmethod
    def forward(ctx, a, axis, idx, src):
        xp = ctx.xp
        ctx.axis, ctx.idx = axis, idx
        out = a.copy()
        values = src[tuple(slice(0, n) for n in idx.shape)] if hasattr(src, "shape") and src.ndim else src
        xp.put_along_axis(out, idx, values, axis=axis)
        return out

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        ga = g.copy()
        xp.put_along_axis(ga, ctx.idx, 0, axis=ctx.axis)
        gsrc = None
        if len(ctx.needs_input_grad) > 3 and ctx.needs_input_grad[3]:
            gsrc = _pad_to(ctx, xp.take_along_axis(g, ctx.idx, axis=ctx.axis))
        return ga, None, None, gsrc


def _check_like(op, a, idx, axis):
    if idx.ndim != a.ndim:
        raise ShapeError(f"[{op}] index {idx.shape} must have as many dims as the input {a.shape}")


def gather(a, dim, index):
    axis = _check_dim(dim, a.ndim, "gather")
    idx = _index_array(index, "gather", a)
    _check_like("gather", a, idx, axis)
    return Gather.apply(a, axis, idx.astype(np.int64, copy=False))


def take_along_dim(a, indices, dim=None):
    if dim is None:
        return gather(_sh.reshape(a, (-1,)), 0, _sh.reshape(indices, (-1,)))
    axis = _check_dim(dim, a.ndim, "take_along_dim")
    idx = _index_array(indices, "take_along_dim", a)
    shape = list(np.broadcast_shapes(tuple(s for i, s in enumerate(a.shape) if i != axis),
                                     tuple(s for i, s in enumerate(idx.shape) if i != axis)))
    a_shape, i_shape = list(shape), list(shape)
    a_shape.insert(axis, a.shape[axis])
    i_shape.insert(axis, idx.shape[axis])
    xp = backend.of(idx).xp
    return Gather.apply(_sh.expand(a, tuple(a_shape)), axis, xp.broadcast_to(idx, i_shape).astype(np.int64))


def scatter(a, dim, index, src=None, value=None, reduce=None):
    if reduce is not None:
        if reduce != "add":
            raise ValueError(f"[scatter] reduce must be None or 'add', got {reduce!r}")
        return scatter_add(a, dim, index, src)
    axis = _check_dim(dim, a.ndim, "scatter")
    idx = _index_array(index, "scatter", a).astype(np.int64, copy=False)
    _check_like("scatter", a, idx, axis)
    if src is None:
        src = value
    if not isinstance(src, Tensor):
        return Scatter.apply(a, axis, idx, src)
    return Scatter.apply(a, axis, idx, src)


def scatter_add(a, dim, index, src):
    axis = _check_dim(dim, a.ndim, "scatter_add")
    idx = _index_array(index, "scatter_add", a).astype(np.int64, copy=False)
    _check_like("scatter_add", a, idx, axis)
    return ScatterAdd.apply(a, axis, idx, src)


def index_select(a, dim, index):
    axis = _check_dim(dim, a.ndim, "index_select")
    idx = _index_array(index, "index_select", a)
    if idx.ndim > 1:
        raise ShapeError(f"[index_select] index must be 1-D, got shape {index.shape}")
    return _sh.index(a, (slice(None),) * axis + (Tensor._make(idx.reshape(-1)),))


class IndexAdd(Function):
    @staticmethod
    def forward(ctx, a, axis, idx, source, alpha):
        xp = ctx.xp
        ctx.axis, ctx.idx, ctx.alpha = axis, idx, alpha
        out = a.copy()
        key = (slice(None),) * axis + (idx,)
        xp.add.at(out, key, source * alpha if alpha != 1 else source)
        return out

    @staticmethod
    def backward(ctx, g):
        gs = None
        if ctx.needs_input_grad[3]:
            gs = ctx.xp.take(g, ctx.idx, axis=ctx.axis)
            gs = gs * ctx.alpha if ctx.alpha != 1 else gs
        return g, None, None, gs, None


def index_add(a, dim, index, source, alpha=1):
    axis = _check_dim(dim, a.ndim, "index_add")
    idx = _index_array(index, "index_add", a)
    return IndexAdd.apply(a, axis, idx, source, alpha)


def masked_fill(a, mask, value):
    mask, value = as_operands("masked_fill", mask, value)[0], value
    if isinstance(value, Tensor) and value.ndim:
        raise ShapeError(f"[masked_fill] value must be a number or a 0-d tensor, got shape {value.shape}")
    if not isinstance(mask, Tensor) or mask.dtype != np.bool_:
        raise RuntimeError(f"[masked_fill] mask must be a bool tensor, got {getattr(mask, 'dtype', type(mask))}")
    out = where(mask, value if isinstance(value, Tensor) else a.dtype.type(value), a)
    return out if out.dtype == a.dtype else out.to(a.dtype)


def masked_select(a, mask):
    if not isinstance(mask, Tensor) or mask.dtype != np.bool_:
        raise RuntimeError(f"[masked_select] mask must be a bool tensor, got {getattr(mask, 'dtype', type(mask))}")
    shape = np.broadcast_shapes(a.shape, mask.shape)
    xp = backend.of(mask.data).xp
    return _sh.index(_sh.expand(a, shape), Tensor._make(xp.broadcast_to(mask.data, shape)))


def nonzero(a, as_tuple=False):
    xp = backend.of(a.data).xp
    where_nonzero = xp.nonzero(a.data)
    if as_tuple:
        return tuple(Tensor._make(i.astype(np.int64)) for i in where_nonzero)
    if a.ndim == 0:
        return Tensor._make(xp.zeros((int(a.data != 0), 0), dtype=np.int64))
    return Tensor._make(xp.stack(where_nonzero, axis=1).astype(np.int64))


def argsort(a, dim=-1, descending=False, stable=False):
    if a.ndim == 0:
        return Tensor._make(backend.of(a.data).xp.zeros((), dtype=np.int64))
    axis = _check_dim(dim, a.ndim, "argsort")
    xp = backend.of(a.data).xp
    data = a.data
    if descending:
        # Stable descending order: sort the reversed axis ascending by negated keys would break ties the
        # wrong way; sort ascending on the flipped data and map the indices back.
        flipped = xp.flip(data, axis=axis)
        order = xp.argsort(flipped, axis=axis, kind="stable")
        order = data.shape[axis] - 1 - order
        order = xp.flip(order, axis=axis)
    else:
        order = xp.argsort(data, axis=axis, kind="stable")
    return Tensor._make(order.astype(np.int64))


def sort(a, dim=-1, descending=False, stable=False):
    indices = argsort(a, dim, descending, stable)
    if a.ndim == 0:
        return ValuesIndices(a.clone(), indices)
    return ValuesIndices(gather(a, dim, indices), indices)


def topk(a, k, dim=-1, largest=True, sorted=True):  # noqa: A002 - torch's name
    axis = _check_dim(dim, a.ndim, "topk") if a.ndim else 0
    n = a.shape[axis] if a.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"[topk] k ({k}) is out of range for dim {dim} of size {n} (shape {a.shape})")
    indices = argsort(a, dim, descending=largest)
    if a.ndim:
        indices = Tensor._make(indices.data[(slice(None),) * axis + (slice(0, k),)])
    return ValuesIndices(gather(a, dim, indices) if a.ndim else a.clone(), indices)
