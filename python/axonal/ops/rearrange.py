"""Shape ops with torch's names, built on the differentiable primitives (reshape, permute, index, cat, expand)
where that is exact, so their gradients need no code of their own; repeat/tile have a Function (the
gradient sums the copies)."""
import math

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..errors import ShapeError
from ..tensor import Tensor
from . import shape as _sh
from .elementwise import where
from .shape import IndexGrad, _check_dim


def _dims(dims):
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        return tuple(dims[0])
    return tuple(dims)


def squeeze(a, dim=None):
    """Drops size-1 dims: all of them, one, or a tuple of them (a listed dim that is not 1 stays)."""
    if dim is None or isinstance(dim, (int, np.integer)):
        return _sh.squeeze(a, dim)
    axes = {_check_dim(d, a.ndim, "squeeze") for d in dim}
    return _sh.reshape(a, tuple(s for i, s in enumerate(a.shape) if not (i in axes and s == 1)))


def unflatten(a, dim, sizes):
    d = _check_dim(dim, a.ndim, "unflatten")
    sizes = tuple(int(s) for s in sizes)
    if sizes.count(-1) > 1:
        raise ShapeError(f"[unflatten] only one size may be -1, got {sizes}")
    known = math.prod(s for s in sizes if s != -1)
    if -1 in sizes:
        if known == 0 or a.shape[d] % known:
            raise ShapeError(f"[unflatten] sizes {sizes} do not fit dim {dim} of size {a.shape[d]}")
        sizes = tuple(a.shape[d] // known if s == -1 else s for s in sizes)
    if math.prod(sizes) != a.shape[d]:
        raise ShapeError(f"[unflatten] sizes {sizes} do not multiply to dim {dim} of size {a.shape[d]} "
                         f"(shape {a.shape})")
    return _sh.reshape(a, a.shape[:d] + sizes + a.shape[d + 1:])


def expand_as(a, other):
    return _sh.expand(a, other.shape)


def movedim(a, source, destination):
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise ShapeError(f"[movedim] source {source} and destination {destination} differ in length")
    src = [_check_dim(d, a.ndim, "movedim") for d in src]
    dst = [_check_dim(d, a.ndim, "movedim") for d in dst]
    order = [d for d in range(a.ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return _sh.permute(a, tuple(order))


def swapaxes(a, axis0, axis1):
    return _sh.transpose(a, axis0, axis1)


def narrow(a, dim, start, length):
    d = _check_dim(dim, a.ndim, "narrow")
    start = int(start) + (a.shape[d] if int(start) < 0 else 0)
    if not 0 <= start <= start + length <= a.shape[d] or length < 0:
        raise ShapeError(f"[narrow] start {start} + length {length} exceeds dim {dim} of size {a.shape[d]}")
    return _sh.index(a, (slice(None),) * d + (slice(start, start + length),))


def split(a, split_size_or_sections, dim=0):
    d = _check_dim(dim, a.ndim, "split")
    n = a.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size <= 0 and n > 0:
            raise ShapeError(f"[split] split_size must be positive, got {size}")
        sizes = [min(size, n - i) for i in range(0, n, size)] if n else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise ShapeError(f"[split] sections {sizes} do not add up to dim {dim} of size {n}")
    out, start = [], 0
    for s in sizes:
        out.append(narrow(a, d, start, s))
        start += s
    return tuple(out)


def chunk(a, chunks, dim=0):
    d = _check_dim(dim, a.ndim, "chunk")
    if chunks <= 0:
        raise ShapeError(f"[chunk] chunks must be positive, got {chunks}")
    size = -(-a.shape[d] // chunks) if a.shape[d] else 1
    return split(a, max(size, 1), d)


def unbind(a, dim=0):
    d = _check_dim(dim, a.ndim, "unbind")
    return tuple(_sh.index(a, (slice(None),) * d + (i,)) for i in range(a.shape[d]))


def select(a, dim, index):
    d = _check_dim(dim, a.ndim, "select")
    return _sh.index(a, (slice(None),) * d + (int(index),))


def _atleast(a, n):
    while a.ndim < n:
        a = a.unsqueeze(0)
    return a


def hstack(tensors):
    tensors = [_atleast(t, 1) for t in tensors]
    return _sh.cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    return _sh.cat([_atleast(t, 2) for t in tensors], 0)


def flip(a, dims):
    axes = {_check_dim(d, a.ndim, "flip") for d in (_dims(dims) if not isinstance(dims, int) else (dims,))}
    return _sh.index(a, tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(a.ndim)))


def fliplr(a):
    return flip(a, 1)


def flipud(a):
    return flip(a, 0)


def roll(a, shifts, dims=None):
    if dims is None:
        return roll(_sh.reshape(a, (-1,)), shifts, 0).reshape(a.shape)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise ShapeError(f"[roll] shifts {shifts} and dims {dims} differ in length")
    for s, d in zip(shifts, dims):
        d = _check_dim(d, a.ndim, "roll")
        n = a.shape[d]
        if n == 0:
            continue
        order = (np.arange(n) - s) % n
        a = _sh.index(a, (slice(None),) * d + (Tensor._make(_on(a, order)),))
    return a


def _on(like, host_array):
    """A host index array placed on the device of tensor ``like``."""

    return backend.of(like.data).from_host(host_array)


def rot90(a, k=1, dims=(0, 1)):
    d0, d1 = (_check_dim(d, a.ndim, "rot90") for d in dims)
    if d0 == d1:
        raise ShapeError(f"[rot90] the two dims must differ, got {dims}")
    k %= 4
    if k == 1:
        return _sh.transpose(flip(a, d1), d0, d1)
    if k == 2:
        return flip(a, (d0, d1))
    if k == 3:
        return flip(_sh.transpose(a, d0, d1), d1)
    return a.clone()


def _tri_mask(a, diagonal, lower):
    rows, cols = a.shape[-2], a.shape[-1]
    mask = np.tril(np.ones((rows, cols), dtype=bool), diagonal) if lower else np.triu(
        np.ones((rows, cols), dtype=bool), diagonal)
    return Tensor._make(_on(a, mask))


def tril(a, diagonal=0):
    if a.ndim < 2:
        raise ShapeError(f"[tril] expects at least 2 dims, got shape {a.shape}")

    return where(_tri_mask(a, diagonal, True), a, 0 if a.dtype.kind != "f" else 0.0)


def triu(a, diagonal=0):
    if a.ndim < 2:
        raise ShapeError(f"[triu] expects at least 2 dims, got shape {a.shape}")

    return where(_tri_mask(a, diagonal, False), a, 0 if a.dtype.kind != "f" else 0.0)


def _diagonal_index(n_rows, n_cols, offset):
    if offset >= 0:
        length = max(0, min(n_rows, n_cols - offset))
        rows = np.arange(length)
        return rows, rows + offset
    length = max(0, min(n_rows + offset, n_cols))
    cols = np.arange(length)
    return cols - offset, cols


def diagonal(a, offset=0, dim1=0, dim2=1):
    d1, d2 = _check_dim(dim1, a.ndim, "diagonal"), _check_dim(dim2, a.ndim, "diagonal")
    if d1 == d2:
        raise ShapeError(f"[diagonal] dim1 and dim2 must differ, got {dim1} and {dim2}")
    moved = movedim(a, (d1, d2), (-2, -1))
    rows, cols = _diagonal_index(moved.shape[-2], moved.shape[-1], offset)
    key = (Ellipsis, Tensor._make(_on(a, rows)), Tensor._make(_on(a, cols)))
    return _sh.index(moved, key)


_diagonal = diagonal  # diag's argument is named like the function, as in torch


def diag(a, diagonal=0):
    """A 1-D tensor -> the square matrix with it on the diagonal; a 2-D tensor -> its diagonal."""
    if a.ndim == 1:
        n = a.shape[0] + abs(diagonal)
        rows, cols = _diagonal_index(n, n, diagonal)
        return IndexGrad.apply(a, (n, n), (_on(a, rows), _on(a, cols)))
    if a.ndim == 2:
        return _diagonal(a, diagonal)
    raise ShapeError(f"[diag] expects a 1-D or 2-D tensor, got shape {a.shape}")


def trace(a):
    if a.ndim != 2:
        raise ShapeError(f"[trace] expects a 2-D tensor, got shape {a.shape}")
    return diagonal(a).sum()


class Tile(Function):
    """numpy.tile / torch's repeat; backward sums the gradient over the copies."""

    @staticmethod
    def forward(ctx, a, reps):
        ctx.shape, ctx.reps = a.shape, reps
        return ctx.xp.tile(a, reps)

    @staticmethod
    def backward(ctx, g):
        shape = (1,) * (len(ctx.reps) - len(ctx.shape)) + tuple(ctx.shape)
        split = []
        for r, s in zip(ctx.reps, shape):
            split += [r, s]
        summed = g.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return summed.reshape(ctx.shape), None

    @staticmethod
    def backward_tensors(ctx, g):
        shape = (1,) * (len(ctx.reps) - len(ctx.shape)) + tuple(ctx.shape)
        split = []
        for r, s in zip(ctx.reps, shape):
            split += [r, s]
        return g.reshape(split).sum(tuple(range(0, len(split), 2))).reshape(ctx.shape), None


def repeat(a, *sizes):
    sizes = _dims(sizes)
    if len(sizes) < a.ndim:
        raise ShapeError(f"[repeat] number of repeat dims {len(sizes)} can not be smaller than the tensor's dims "
                         f"{a.ndim} (shape {a.shape})")
    if any(s < 0 for s in sizes):
        raise ShapeError(f"[repeat] repeats must be >= 0, got {sizes}")
    return Tile.apply(a, tuple(int(s) for s in sizes))


def tile(a, dims):
    dims = tuple(int(d) for d in (dims if isinstance(dims, (tuple, list)) else (dims,)))
    dims = (1,) * (a.ndim - len(dims)) + dims
    return Tile.apply(a, dims)


def repeat_interleave(a, repeats, dim=None):
    if dim is None:
        a, dim = _sh.reshape(a, (-1,)), 0
    d = _check_dim(dim, a.ndim, "repeat_interleave")
    counts = repeats.data if isinstance(repeats, Tensor) else repeats

    counts = backend.of(counts).to_host(counts) if type(counts) in backend._by_type else counts
    order = np.repeat(np.arange(a.shape[d]), counts)
    return _sh.index(a, (slice(None),) * d + (Tensor._make(_on(a, order)),))
