"""interpolate / upsample: 'nearest', 'nearest-exact', 'linear' (3-D) and 'bilinear' (4-D) resizing with torch's
index and weight formulas (computed in the input's precision, as torch's CPU kernels do), align_corners both ways.

Each spatial axis is resized on its own, the last axis first: out = x[.., i0] * l0 + x[.., i1] * l1 (nearest:
x[.., i]), the order of operations of torch's bilinear kernel. Backward multiplies the incoming gradient by the
transposed (output x input) interpolation matrix of each axis: one GEMM per axis, no scatter.
"""
import math
import numbers

import numpy as np

from ..autograd.function import Function
from . import _checks

MODES = ("nearest", "nearest-exact", "linear", "bilinear")


def _source_scale(in_size, out_size, align_corners, scale, dtype):
    """torch's area_pixel_compute_scale (align_corners) / compute_scales_value, in ``dtype``."""
    if align_corners:
        return dtype.type((in_size - 1) / (out_size - 1)) if out_size > 1 else dtype.type(0)
    if scale is not None and scale > 0:
        return dtype.type(1.0 / scale)
    return dtype.type(in_size) / dtype.type(out_size)


def axis_plan(mode, in_size, out_size, align_corners, scale, dtype):
    """(i0, i1, l0, l1) for one axis: output j reads in[i0[j]] * l0[j] + in[i1[j]] * l1[j] (nearest: l1 = 0)."""
    dtype = np.dtype(dtype)
    j = np.arange(out_size)
    if mode in ("nearest", "nearest-exact"):
        if out_size == in_size:
            i0 = j
        elif mode == "nearest" and out_size == 2 * in_size:
            i0 = j >> 1
        else:
            # torch's nearest_idx: a float scale; (j + 0.5) is a double in C++, so nearest-exact multiplies in
            # double and rounds to float before the floor.
            given = scale is not None and scale > 0
            s = np.float32(1.0 / scale) if given else np.float32(in_size) / np.float32(out_size)
            if mode == "nearest":
                pos = j.astype(np.float32) * s
            else:
                pos = ((j + 0.5) * np.float64(s)).astype(np.float32)
            i0 = np.minimum(np.floor(pos).astype(np.int64), in_size - 1)
        return i0, i0, np.ones(out_size, dtype), np.zeros(out_size, dtype)
    s = _source_scale(in_size, out_size, align_corners, scale, dtype)
    jj = j.astype(dtype)
    if align_corners:
        src = s * jj
    else:
        src = np.maximum(s * (jj + dtype.type(0.5)) - dtype.type(0.5), dtype.type(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    l1 = np.clip(src - i0.astype(dtype), 0, 1).astype(dtype)
    i1 = np.minimum(i0 + 1, in_size - 1)
    return i0, i1, (dtype.type(1) - l1).astype(dtype), l1


def _matrix(plan, in_size, dtype):
    """The (out, in) matrix of one axis's interpolation."""
    i0, i1, l0, l1 = plan
    m = np.zeros((i0.size, in_size), dtype=dtype)
    rows = np.arange(i0.size)
    np.add.at(m, (rows, i0), l0)
    np.add.at(m, (rows, i1), l1)
    return m


class Resize(Function):
    """Resizes the spatial axes (2.. of x) by the per-axis plans."""

    @staticmethod
    def forward(ctx, x, plans, nearest):
        xp = ctx.xp
        bk = ctx.backend
        ctx.meta = (x.shape, plans, nearest)
        out = x
        for axis in range(x.ndim - 1, 1, -1):
            i0, i1, l0, l1 = plans[axis - 2]
            shape = [1] * x.ndim
            shape[axis] = -1
            dev = (lambda a: a) if bk.xp is np else bk.from_host
            a = xp.take(out, dev(i0), axis=axis)
            if nearest:
                out = a
            else:
                b = xp.take(out, dev(i1), axis=axis)
                out = a * dev(l0.reshape(shape)) + b * dev(l1.reshape(shape))
        return out

    @staticmethod
    def backward(ctx, g):
        xp, bk = ctx.xp, ctx.backend
        shape, plans, _ = ctx.meta
        dev = (lambda a: a) if bk.xp is np else bk.from_host
        # Forward resized the last axis first, so backward undoes the first spatial axis first.
        for axis in range(2, len(shape)):
            m = dev(_matrix(plans[axis - 2], shape[axis], g.dtype))
            moved = xp.ascontiguousarray(xp.moveaxis(g, axis, -1))
            g = xp.moveaxis(bk.matmul(moved, m), -1, axis)
        return xp.ascontiguousarray(g), None, None


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,  # noqa: A002
                recompute_scale_factor=None, antialias=False):
    """torch.nn.functional.interpolate for 'nearest', 'nearest-exact', 'linear' (N, C, L) and 'bilinear'
    (N, C, H, W)."""
    op = "interpolate"
    _checks.tensors(op, input=input)
    _checks.float_tensors(op, input=input)
    if mode not in MODES:
        raise NotImplementedError(f"[{op}] mode {mode!r} is not supported; choose one of {', '.join(MODES)}")
    if antialias:
        raise NotImplementedError(f"[{op}] antialias=True is not supported")
    spatial = input.ndim - 2
    if mode == "linear" and spatial != 1 or mode == "bilinear" and spatial != 2 or spatial not in (1, 2):
        raise ValueError(f"[{op}] mode {mode!r} got a {input.ndim}-D input {input.shape}: nearest takes 3-D or 4-D, "
                         "linear 3-D (N, C, L), bilinear 4-D (N, C, H, W)")
    linear = mode in ("linear", "bilinear")
    if align_corners is not None and not linear:
        raise ValueError(f"[{op}] align_corners option can only be set with the interpolating modes: linear | "
                         "bilinear | bicubic | trilinear")
    align_corners = bool(align_corners) if linear else False
    if (size is None) == (scale_factor is None):
        raise ValueError(f"[{op}] only one of size or scale_factor should be defined")
    if size is not None:
        sizes = [size] * spatial if isinstance(size, numbers.Integral) else list(size)
        if len(sizes) != spatial or any(not isinstance(s, numbers.Integral) or s < 1 for s in sizes):
            raise ValueError(f"[{op}] size must be a positive int or {spatial} positive ints, got {size!r} "
                             f"(input {input.shape})")
        scales = [None] * spatial
    else:
        factors = [scale_factor] * spatial if isinstance(scale_factor, numbers.Number) else list(scale_factor)
        if len(factors) != spatial or any(f <= 0 for f in factors):
            raise ValueError(f"[{op}] scale_factor must be positive, one per spatial dim ({spatial}), got "
                             f"{scale_factor!r}")
        sizes = [int(math.floor(float(n) * float(f))) for n, f in zip(input.shape[2:], factors)]
        scales = [None if recompute_scale_factor else float(f) for f in factors]
        if min(sizes) < 1:
            raise ValueError(f"[{op}] scale_factor {scale_factor!r} gives an empty output for input {input.shape}")
    plans = tuple(axis_plan(mode, n, out, align_corners, s, input.dtype)
                  for n, out, s in zip(input.shape[2:], sizes, scales))
    return Resize.apply(input, plans, not linear)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):  # noqa: A002
    return interpolate(input, size, scale_factor, mode, align_corners)
