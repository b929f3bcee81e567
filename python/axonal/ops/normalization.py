"""layer_norm, group_norm, normalize: normalisation over other axes than batch norm's, as torch defines them."""
from ..autograd.function import Function
from ..errors import ShapeError
from . import _checks
from .statistics import vector_norm


def _normalize_forward(xp, x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=axes, keepdims=True)
    invstd = 1.0 / xp.sqrt(var + eps)
    return centered * invstd, invstd.astype(x.dtype, copy=False)


def _normalize_backward(dxhat, xhat, invstd, axes):
    """d/dx of xhat = (x - mean(x)) / sqrt(var(x) + eps) (biased var) over ``axes``, given dL/dxhat."""
    mean_d = dxhat.mean(axis=axes, keepdims=True)
    mean_dx = (dxhat * xhat).mean(axis=axes, keepdims=True)
    return (dxhat - mean_d - xhat * mean_dx) * invstd


class LayerNorm(Function):
    """(x - mean) / sqrt(var + eps) over the last ``ndims`` axes, then * weight + bias (of those axes' shape)."""

    @staticmethod
    def forward(ctx, x, ndims, weight, bias, eps):
        axes = tuple(range(x.ndim - ndims, x.ndim))
        xhat, invstd = _normalize_forward(ctx.xp, x, axes, eps)
        ctx.save_for_backward(xhat, invstd, weight)
        ctx.axes = axes
        out = xhat if weight is None else xhat * weight
        return out if bias is None else out + bias

    @staticmethod
    def backward(ctx, g):
        xhat, invstd, weight = ctx.saved
        lead = tuple(range(g.ndim - len(ctx.axes)))
        gw = (g * xhat).sum(axis=lead) if ctx.needs_input_grad[2] else None
        gb = g.sum(axis=lead) if ctx.needs_input_grad[3] else None
        gx = None
        if ctx.needs_input_grad[0]:
            gx = _normalize_backward(g if weight is None else g * weight, xhat, invstd, ctx.axes)
        return gx, None, gw, gb, None


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    _checks.float_tensors("layer_norm", input=x, weight=weight, bias=bias)
    if tuple(x.shape[x.ndim - len(shape):]) != shape or len(shape) > x.ndim:
        raise ShapeError(f"[layer_norm] the last dims of the input {x.shape} must be normalized_shape {shape}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise ShapeError(f"[layer_norm] {name} must have shape {shape}, got {t.shape}")
    return LayerNorm.apply(x, len(shape), weight, bias, float(eps))


class GroupNorm(Function):
    """Normalises each of ``groups`` channel groups over (its channels, H, W, ...), then a per-channel affine."""

    @staticmethod
    def forward(ctx, x, groups, weight, bias, eps):
        N, C = x.shape[0], x.shape[1]
        xg = x.reshape(N, groups, -1)
        xhat, invstd = _normalize_forward(ctx.xp, xg, (2,), eps)
        ctx.save_for_backward(xhat, invstd, weight)
        ctx.shape, ctx.groups = x.shape, groups
        out = xhat.reshape(x.shape)
        affine = (1, C) + (1,) * (x.ndim - 2)
        if weight is not None:
            out = out * weight.reshape(affine)
        return out if bias is None else out + bias.reshape(affine)

    @staticmethod
    def backward(ctx, g):
        xhat, invstd, weight = ctx.saved
        shape, groups = ctx.shape, ctx.groups
        C = shape[1]
        other = (0,) + tuple(range(2, len(shape)))
        xhat_full = xhat.reshape(shape)
        gw = (g * xhat_full).sum(axis=other) if ctx.needs_input_grad[2] else None
        gb = g.sum(axis=other) if ctx.needs_input_grad[3] else None
        gx = None
        if ctx.needs_input_grad[0]:
            dxhat = g if weight is None else g * weight.reshape((1, C) + (1,) * (len(shape) - 2))
            gx = _normalize_backward(dxhat.reshape(shape[0], groups, -1), xhat, invstd, (2,)).reshape(shape)
        return gx, None, gw, gb, None


def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    _checks.float_tensors("group_norm", input=x, weight=weight, bias=bias)
    if x.ndim < 2 or x.shape[1] % num_groups:
        raise ShapeError(f"[group_norm] expected the channels of the input {x.shape} to be divisible by "
                         f"num_groups={num_groups}")
    return GroupNorm.apply(x, int(num_groups), weight, bias, float(eps))


def normalize(x, p=2.0, dim=1, eps=1e-12):
    """x / max(||x||_p over dim, eps)."""

    return x / vector_norm(x, p, dim, keepdim=True).clamp(min=eps)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) over dim, broadcasting x1 and x2."""

    n1 = vector_norm(x1, 2, dim).clamp(min=eps)
    n2 = vector_norm(x2, 2, dim).clamp(min=eps)
    return (x1 * x2).sum(dim) / (n1 * n2)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):

    return vector_norm(x1 - x2 + eps, p, -1, keepdim=keepdim)

