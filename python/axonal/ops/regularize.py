"""Dropout and batch normalisation (training and evaluation behaviour as in torch)."""
from ..autograd.function import Function


class Dropout(Function):
    """Inverted dropout: survivors are scaled by 1/(1-p) so evaluation needs no rescaling. ``mask_shape``
    (the input's shape, or (N, C, 1, 1) for channel dropout) is where the coin is tossed."""

    @staticmethod
    def forward(ctx, x, p, mask_shape):
        mask = (ctx.backend.uniform(mask_shape, "float32") >= p).astype(x.dtype) / x.dtype.type(1 - p)
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx, g):
        return g * ctx.saved[0], None, None

    @staticmethod
    def backward_tensors(ctx, g):
        from ..tensor import Tensor

        return g * Tensor._make(ctx.saved[0]), None, None


def _dropout(op, x, p, training, mask_shape):
    if not 0 <= p <= 1:
        raise ValueError(f"[{op}] p must be in [0, 1], got {p}")
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0
    return Dropout.apply(x, p, mask_shape)


def dropout(x, p=0.5, training=True, inplace=False):
    return _dropout("dropout", x, p, training, x.shape)


def dropout2d(x, p=0.5, training=True, inplace=False):
    """Zeroes whole channels: one coin per (sample, channel) of an (N, C, H, W) or (C, H, W) input."""
    if x.ndim not in (3, 4):
        raise RuntimeError(f"[dropout2d] expects a 3-D or 4-D input, got {x.shape}")
    return _dropout("dropout2d", x, p, training, x.shape[:-2] + (1, 1))


def dropout1d(x, p=0.5, training=True, inplace=False):
    if x.ndim not in (2, 3):
        raise RuntimeError(f"[dropout1d] expects a 2-D or 3-D input, got {x.shape}")
    return _dropout("dropout1d", x, p, training, x.shape[:-1] + (1,))


class BatchNorm(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias over every axis but the channel axis 1.
    In training mean/var are the batch's (biased var); in evaluation the given running statistics."""

    @staticmethod
    def forward(ctx, x, mean, var, weight, bias, eps, use_batch_stats):
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        if use_batch_stats:
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)
        invstd = (1.0 / ctx.xp.sqrt(var + eps)).astype(x.dtype)
        xhat = (x - mean.reshape(shape)) * invstd.reshape(shape)
        out = xhat if weight is None else xhat * weight.reshape(shape)
        if bias is not None:
            out = out + bias.reshape(shape)
        ctx.save_for_backward(xhat, invstd, weight)
        ctx.axes, ctx.shape, ctx.batch_stats = axes, shape, use_batch_stats
        return out

    @staticmethod
    def backward(ctx, g):
        xhat, invstd, weight = ctx.saved
        axes, shape = ctx.axes, ctx.shape
        gw = (g * xhat).sum(axis=axes) if ctx.needs_input_grad[3] else None
        gb = g.sum(axis=axes) if ctx.needs_input_grad[4] else None
        gx = None
        if ctx.needs_input_grad[0]:
            dxhat = g if weight is None else g * weight.reshape(shape)
            if ctx.batch_stats:
                mean_dxhat = dxhat.mean(axis=axes, keepdims=True)
                mean_dxhat_xhat = (dxhat * xhat).mean(axis=axes, keepdims=True)
                gx = (dxhat - mean_dxhat - xhat * mean_dxhat_xhat) * invstd.reshape(shape)
            else:
                gx = dxhat * invstd.reshape(shape)
        return gx, None, None, gw, gb, None, None


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Functional batch norm. In training it also updates running_mean/var in place (unbiased var), as torch."""
    if x.ndim < 2:
        raise ValueError(f"[batch_norm] expects input of at least 2 dims (N, C, ...), got {x.shape}")
    c = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (c,):
            raise ValueError(f"[batch_norm] {name} must have shape ({c},), got {t.shape} (input {x.shape})")
    use_batch = training or running_mean is None
    if use_batch and x.numel() // c <= 1:
        raise ValueError(f"[batch_norm] expected more than 1 value per channel when training, got input {x.shape}")
    mean = None if use_batch else running_mean.data
    var = None if use_batch else running_var.data
    out = BatchNorm.apply(x, mean, var, weight, bias, eps, use_batch)
    if training and running_mean is not None:
        axes = (0,) + tuple(range(2, x.ndim))
        n = x.numel() // c
        bmean = x.data.mean(axis=axes)
        bvar = x.data.var(axis=axes) * (n / (n - 1))
        running_mean.data *= 1 - momentum
        running_mean.data += momentum * bmean.astype(running_mean.dtype)
        running_var.data *= 1 - momentum
        running_var.data += momentum * bvar.astype(running_var.dtype)
    return out
