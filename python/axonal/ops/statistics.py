"""Reductions built on the basic ones: logsumexp, vector norms, median."""
import math
from collections import namedtuple

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..errors import ShapeError
from ..tensor import Tensor
from . import reduce as _rd

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def logsumexp(a, dim, keepdim=False):
    """log(sum(exp(a))) over dim, shifted by the max so that large values do not overflow. The shift is a
    constant: the gradient of log(sum(exp(a - c))) + c is softmax(a) whatever c is."""
    axes = _rd._axes(dim, a.ndim, "logsumexp")
    if a.dtype.kind != "f":
        a = a.float()
    xp = backend.of(a.data).xp
    m = a.data.max(axis=axes, keepdims=True)
    shift = Tensor._make(xp.where(xp.isfinite(m), m, 0))  # a row of -inf must not be shifted by -inf
    out = (a - shift).exp().sum(axes, keepdim=True).log() + shift
    return out if keepdim else out.reshape(_rd._reduced_shape(a.shape, axes))


class VectorNorm(Function):
    """(sum |x|^p)^(1/p) over dims; p = inf / -inf the largest / smallest |x|, p = 0 the count of nonzeros.
    The gradient at a zero norm is 0 (torch's subgradient), not NaN."""

    @staticmethod
    def forward(ctx, x, p, axes, keepdim):
        xp = ctx.xp
        ax = xp.abs(x)
        if p == math.inf:
            out = ax.max(axis=axes, keepdims=True)
        elif p == -math.inf:
            out = ax.min(axis=axes, keepdims=True)
        elif p == 0:
            out = (ax != 0).sum(axis=axes, keepdims=True).astype(x.dtype)
        elif p == 1:
            out = ax.sum(axis=axes, keepdims=True)
        elif p == 2:
            out = xp.sqrt((x * x).sum(axis=axes, keepdims=True))
        else:
            out = (ax ** p).sum(axis=axes, keepdims=True) ** (1.0 / p)
        ctx.save_for_backward(x, out)
        ctx.p, ctx.axes, ctx.keepdim = p, axes, keepdim
        return out if keepdim else out.reshape(_rd._reduced_shape(x.shape, axes))

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved
        xp, p = ctx.xp, ctx.p
        g = g if ctx.keepdim else g.reshape(out.shape)
        if p == 0:
            return xp.zeros_like(x), None, None, None
        if p in (math.inf, -math.inf):
            mask = xp.abs(x) == out
            return g * xp.sign(x) * mask / mask.sum(axis=ctx.axes, keepdims=True), None, None, None
        if p == 1:
            return g * xp.sign(x), None, None, None
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 2:
                scale = xp.where(out == 0, 0, g / out)
                return x * scale, None, None, None
            scale = xp.where(out == 0, 0, g / out ** (p - 1))
            return xp.sign(x) * xp.abs(x) ** (p - 1) * scale, None, None, None


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):  # noqa: A002 - torch's name
    if dtype is not None:
        x = x.to(np.dtype(dtype))
    if x.dtype.kind != "f":
        raise RuntimeError(f"[vector_norm] expects a floating point tensor, got {x.dtype} with shape {x.shape}")
    axes = _rd._axes(dim, x.ndim, "vector_norm")
    return VectorNorm.apply(x, float(ord), axes, keepdim)


def norm(x, p="fro", dim=None, keepdim=False, dtype=None):
    """torch.norm: the 2-norm ('fro' or 2 over all elements or dims), or the p-norm."""
    if p in ("fro", None):
        p = 2
    if p == "nuc":
        raise NotImplementedError("[norm] the nuclear norm needs a singular value decomposition, which axonal lacks")
    return vector_norm(x, p, dim, keepdim, dtype=dtype)


class Median(Function):
    """The lower median (torch's: for an even count, the smaller of the two middle values), over all
    elements or one axis; the gradient goes to that element."""

    @staticmethod
    def forward(ctx, a, axis, keepdim, indices_out):
        xp = ctx.xp
        flat = axis is None
        x = a.reshape(-1) if flat else a
        ax = 0 if flat else axis
        k = (x.shape[ax] - 1) // 2
        order = xp.argsort(x, axis=ax, kind="stable")
        idx = xp.take(order, [k], axis=ax)  # keepdims
        values = xp.take_along_axis(x, idx, axis=ax)
        ctx.save_for_backward(idx)
        ctx.shape, ctx.axis, ctx.keepdim, ctx.flat = a.shape, ax, keepdim, flat
        if flat:
            indices_out.append(idx.reshape(()))
            return values.reshape(())
        indices_out.append(idx if keepdim else idx.squeeze(ax))
        return values if keepdim else values.squeeze(ax)

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved
        xp = ctx.xp
        if ctx.flat:
            grad = xp.zeros(int(np.prod(ctx.shape)), dtype=g.dtype)
            grad[idx.reshape(-1)] = g.reshape(-1)
            return grad.reshape(ctx.shape), None, None, None
        grad = xp.zeros(ctx.shape, dtype=g.dtype)
        xp.put_along_axis(grad, idx, g if ctx.keepdim else xp.expand_dims(g, ctx.axis), axis=ctx.axis)
        return grad, None, None, None


def median(a, dim=None, keepdim=False):
    """median(a): the lower median of all elements; median(a, dim): (values, indices) along dim."""
    if a.numel() == 0:
        raise ShapeError(f"[median] cannot reduce an empty tensor of shape {a.shape}")
    indices = []
    if dim is None:
        return Median.apply(a, None, False, indices)
    axis = _rd._axes(dim, a.ndim, "median")
    if not axis:
        return ValuesIndices(a.clone(), Tensor._make(a.data.astype(np.int64) * 0))
    values = Median.apply(a, axis[0], keepdim, indices)
    return ValuesIndices(values, Tensor._make(indices[0].astype(np.int64)))
