"""Dropout (training only, inverted: survivors scaled by 1/(1-p)), elementwise or per channel."""
from ..autograd.function import Function
from ..tensor import Tensor


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
