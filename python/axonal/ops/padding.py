"""F.pad: constant, reflect, replicate and circular padding of the last dims (negative widths crop), with torch's
argument order (pairs for the last dim first)."""
import numpy as np

from ..autograd.function import Function
from ..errors import ShapeError
from ..tensor import Tensor
from . import shape as _sh
from .rearrange import _on


class ConstantPad(Function):
    @staticmethod
    def forward(ctx, x, widths, value):
        ctx.key = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape))
        return ctx.xp.pad(x, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, g):
        return g[ctx.key], None, None

    @staticmethod
    def backward_tensors(ctx, g):
        return g[ctx.key], None, None


def _source_index(n, lo, hi, mode):
    """For each output position along one axis, the input position it copies (reflect, replicate, circular)."""
    pos = np.arange(-lo, n + hi)
    if mode == "replicate":
        return np.clip(pos, 0, n - 1)
    if mode == "circular":
        return pos % n
    period = 2 * (n - 1)  # reflect: the edge is not repeated
    r = np.abs(pos) % period if period else np.zeros_like(pos)
    return np.where(r >= n, period - r, r)


def pad(x, pad, mode="constant", value=None):  # noqa: A002 - torch's argument name
    if not isinstance(x, Tensor):
        raise TypeError(f"[pad] input must be a Tensor, got {type(x).__name__}")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ShapeError(f"[pad] the padding must be pairs for at most {x.ndim} dims, got {pad}")
    pairs = [(pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]  # last dim first
    if mode == "constant":
        crop = [slice(None)] * x.ndim
        widths = [(0, 0)] * x.ndim
        for i, (lo, hi) in enumerate(pairs):
            d = x.ndim - 1 - i
            crop[d] = slice(-lo if lo < 0 else None, hi if hi < 0 else None)
            widths[d] = (max(lo, 0), max(hi, 0))
        if any(p < 0 for p in pad):
            x = _sh.index(x, tuple(crop))
        return ConstantPad.apply(x, tuple(widths), 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(f"[pad] mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}")
    if value not in (None, 0):
        raise ValueError(f"[pad] a value is only used by mode 'constant' (got {value!r} with {mode!r})")

    out = x
    for i, (lo, hi) in enumerate(pairs):
        d = x.ndim - 1 - i
        n = out.shape[d]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise ShapeError(f"[pad] reflect padding ({lo}, {hi}) must be smaller than the dim's size {n} "
                             f"(input {x.shape})")
        if mode == "circular" and (lo > n or hi > n):
            raise ShapeError(f"[pad] circular padding ({lo}, {hi}) can wrap at most once around size {n}")
        index = Tensor._make(_on(out, _source_index(n, lo, hi, mode)))
        out = _sh.index(out, (slice(None),) * d + (index,))
    return out
