"""Cumulative ops along one dim: cumsum, cumprod, cummax, cummin (values and indices), with torch's gradients."""
from collections import namedtuple

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..tensor import Tensor
from .reduce import _axes

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _axis(a, dim, op):
    if a.ndim == 0:
        _axes(dim, 0, op)
        return None
    (axis,) = _axes(dim, a.ndim, op)
    return axis


class CumSum(Function):
    fresh_grads = True

    @staticmethod
    def forward(ctx, a, axis):
        ctx.axis = axis
        return ctx.xp.cumsum(a, axis=axis)

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        return xp.flip(xp.cumsum(xp.flip(g, axis=ctx.axis), axis=ctx.axis), axis=ctx.axis), None

    @staticmethod
    def backward_tensors(ctx, g):
        return cumsum(g.flip(ctx.axis), ctx.axis).flip(ctx.axis), None


class CumProd(Function):
    """y_j = prod_{k<=j} x_k. dy_j/dx_i (i <= j) is the product of x_k for k <= j, k != i, so
    grad_i = L_i * S_i with L_i = prod_{k<i} x_k and S_i = g_i + x_{i+1} S_{i+1} (a reverse recurrence):
    exact with zeros, no division."""

    @staticmethod
    def forward(ctx, a, axis):
        y = ctx.xp.cumprod(a, axis=axis)
        ctx.save_for_backward(a, y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx, g):
        a, y = ctx.saved
        xp, axis = ctx.xp, ctx.axis
        x = xp.moveaxis(a, axis, 0)
        gm = xp.moveaxis(g, axis, 0)
        ym = xp.moveaxis(y, axis, 0)
        n = x.shape[0]
        s = xp.empty_like(gm)
        s[n - 1] = gm[n - 1]
        for i in range(n - 2, -1, -1):
            s[i] = gm[i] + x[i + 1] * s[i + 1]
        left = xp.concatenate([xp.ones_like(ym[:1]), ym[:-1]], axis=0)
        return xp.moveaxis(left * s, 0, axis), None


def cumsum(a, dim, *, dtype=None):
    if dtype is not None:
        a = a.to(np.dtype(dtype))
    elif a.dtype.kind in "biu":
        a = a.to(np.int64)
    axis = _axis(a, dim, "cumsum")
    return a.clone() if axis is None else CumSum.apply(a, axis)


def cumprod(a, dim, *, dtype=None):
    if dtype is not None:
        a = a.to(np.dtype(dtype))
    elif a.dtype.kind in "biu":
        a = a.to(np.int64)
    axis = _axis(a, dim, "cumprod")
    return a.clone() if axis is None else CumProd.apply(a, axis)


class CumExtremum(Function):
    """Running max/min along an axis; the gradient of each output goes to the element it came from (the last
    of equal values, as torch picks)."""

    @staticmethod
    def forward(ctx, a, axis, is_max, indices_out):
        xp = ctx.xp
        x = xp.moveaxis(a, axis, 0)
        n = x.shape[0]
        values = xp.empty_like(x)
        indices = xp.empty(x.shape, dtype=np.int64)
        values[0], indices[0] = x[0], 0
        for i in range(1, n):
            better = (x[i] >= values[i - 1]) if is_max else (x[i] <= values[i - 1])
            better = better | xp.isnan(x[i]) if x.dtype.kind == "f" else better
            values[i] = xp.where(better, x[i], values[i - 1])
            indices[i] = xp.where(better, i, indices[i - 1])
        indices = xp.moveaxis(indices, 0, axis)
        ctx.save_for_backward(indices)
        ctx.shape, ctx.axis = a.shape, axis
        indices_out.append(indices)
        return xp.moveaxis(values, 0, axis)

    @staticmethod
    def backward(ctx, g):
        (indices,) = ctx.saved
        xp = ctx.xp
        grad = xp.zeros(ctx.shape, dtype=g.dtype)
        # Scatter-add along the axis: several outputs may come from one input.
        xm, gm, im = xp.moveaxis(grad, ctx.axis, -1), xp.moveaxis(g, ctx.axis, -1), xp.moveaxis(indices, ctx.axis, -1)
        rows = xm.reshape(-1, xm.shape[-1])
        flat_rows = xp.arange(rows.shape[0])[:, None]
        xp.add.at(rows, (flat_rows, im.reshape(rows.shape)), gm.reshape(rows.shape))
        return xp.moveaxis(rows.reshape(xm.shape), -1, ctx.axis), None, None, None


def _cum_extremum(a, dim, is_max, op):
    if a.ndim == 0:
        _axes(dim, 0, op)
        return ValuesIndices(a.clone(), Tensor._make(backend.of(a.data).xp.zeros((), dtype=np.int64)))
    (axis,) = _axes(dim, a.ndim, op)
    if a.shape[axis] == 0:
        return ValuesIndices(a.clone(), Tensor._make(backend.of(a.data).xp.zeros(a.shape, dtype=np.int64)))
    indices = []
    values = CumExtremum.apply(a, axis, is_max, indices)
    return ValuesIndices(values, Tensor._make(indices[0]))


def cummax(a, dim):
    return _cum_extremum(a, dim, True, "cummax")


def cummin(a, dim):
    return _cum_extremum(a, dim, False, "cummin")
