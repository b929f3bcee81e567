"""Validation shared by every backend: run once per op call, before any kernel, with messages that start with
the op's name and state the shapes. A backend's kernels then assume valid arguments. (Function.apply checks
that all tensors live on one device.)"""
import numbers

import numpy as np

from ..errors import DTypeError, ShapeError
from ..tensor import Tensor

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def tensors(op, **named):
    """Each named argument must be a Tensor."""
    for name, t in named.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"[{op}] {name} must be a Tensor, got {type(t).__name__}")


def float_tensors(op, **named):
    for name, t in named.items():
        if t is not None and t.dtype not in FLOATS:
            raise DTypeError(f"[{op}] {name} must be float32 or float64, got {t.dtype} with shape {t.shape}")


def matmul(a, b):
    if a.dtype not in FLOATS or b.dtype not in FLOATS:
        raise DTypeError(f"[matmul] expects float32 or float64 tensors, got {a.dtype} {a.shape} @ {b.dtype} {b.shape}")
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"[matmul] both arguments need at least 1 dimension, got {a.shape} @ {b.shape}")
    if a.ndim == 1 and b.ndim == 1 and a.shape != b.shape:
        raise ShapeError(f"[matmul] 1-D vectors must have the same length: {a.shape} @ {b.shape}")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise ShapeError(f"[matmul] inner dimensions differ: {a.shape} @ {b.shape} ({k_a} != {k_b})")
    if a.ndim > 2 or b.ndim > 2:
        try:
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2] if b.ndim > 1 else ())
        except ValueError:
            raise ShapeError(f"[matmul] batch dimensions do not broadcast: {a.shape} @ {b.shape}") from None


def linear(op, x, weight, bias):
    if isinstance(x, Tensor) and isinstance(weight, Tensor):
        # Everything fine, checked with the fewest attribute lookups (this runs once per layer per step).
        xd, wd = x.data, weight.data
        if (xd.dtype.char in "fd" and wd.dtype.char in "fd" and wd.ndim == 2 and xd.ndim >= 1
                and xd.shape[-1] == wd.shape[1]
                and (bias is None or (bias.data.dtype.char in "fd" and bias.data.shape == (wd.shape[0],)))):
            return
    if not isinstance(x, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"[{op}] input and weight must be Tensors, got {type(x).__name__} and {type(weight).__name__}")
    float_tensors(op, input=x, weight=weight, bias=bias)
    if weight.ndim != 2 or x.ndim < 1 or x.shape[-1] != weight.shape[1]:
        raise ShapeError(
            f"[{op}] input's last dim must equal weight's in_features: input {x.shape}, weight {weight.shape}"
        )
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ShapeError(f"[{op}] bias must have shape ({weight.shape[0]},), got {bias.shape} (weight {weight.shape})")


def pair(v, name, op):
    """torch accepts an int or a 2-sequence for per-axis arguments."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return (int(v), int(v))
    if isinstance(v, (tuple, list)) and len(v) == 2 and all(
            isinstance(e, (int, np.integer)) and not isinstance(e, bool) for e in v):
        return (int(v[0]), int(v[1]))
    raise ValueError(f"[{op}] {name} must be an int or a pair of ints, got {v!r}")


def conv_output_size(size, kernel, stride, pad, dil):
    span = dil * (kernel - 1) + 1
    return (size + 2 * pad - span) // stride + 1


def conv2d(x, weight, bias, stride, padding, dilation, groups=1):
    """Shapes and arguments of a 2-D convolution (NCHW input, K x C/groups x R x S weight)."""
    op = "conv2d"
    tensors(op, input=x, weight=weight)
    if bias is not None:
        tensors(op, bias=bias)
    float_tensors(op, input=x, weight=weight, bias=bias)
    if x.ndim != 4 or weight.ndim != 4:
        raise ShapeError(f"[{op}] expects a 4-D input (N, C, H, W) and a 4-D weight (K, C, R, S), got input {x.shape}, "
                         f"weight {weight.shape}")
    if x.dtype != weight.dtype or (bias is not None and bias.dtype != x.dtype):
        raise DTypeError(f"[{op}] input, weight and bias must have one dtype, got input {x.dtype} {x.shape}, "
                        f"weight {weight.dtype} {weight.shape}" + (f", bias {bias.dtype}" if bias is not None else ""))
    if not isinstance(groups, numbers.Integral) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"[{op}] groups must be a positive int, got {groups!r}")
    N, C, H, W = x.shape
    K, Cg, R, S = weight.shape
    if min(x.shape) < 1 or min(weight.shape) < 1:
        raise ShapeError(f"[{op}] every size must be >= 1, got input {x.shape}, weight {weight.shape}")
    if C != Cg * groups:
        raise ShapeError(f"[{op}] input has {C} channels but weight expects {Cg * groups} "
                         f"(input {x.shape}, weight {weight.shape}" + (f", groups {groups})" if groups > 1 else ")"))
    if K % groups:
        raise ShapeError(f"[{op}] out channels {K} are not divisible by groups {groups} (weight {weight.shape})")
    if bias is not None and bias.shape != (K,):
        raise ShapeError(f"[{op}] bias must have shape ({K},), got {bias.shape} (weight {weight.shape})")
    for name, v, low in (("stride", stride, 1), ("padding", padding, 0), ("dilation", dilation, 1)):
        if min(v) < low:
            raise ShapeError(f"[{op}] {name} must be >= {low}, got {v} (input {x.shape}, weight {weight.shape})")
    P = conv_output_size(H, R, stride[0], padding[0], dilation[0])
    Q = conv_output_size(W, S, stride[1], padding[1], dilation[1])
    if P < 1 or Q < 1:
        raise ShapeError(f"[{op}] the kernel (with dilation {dilation}) is larger than the padded input: "
                         f"input {x.shape}, weight {weight.shape}, padding {padding}")
    return P, Q


def pool2d(op, x, kernel, stride, padding):
    """Shapes of a 2-D pooling window over an NCHW input; returns (P, Q)."""
    tensors(op, input=x)
    float_tensors(op, input=x)
    if x.ndim != 4:
        raise ShapeError(f"[{op}] expects a 4-D input (N, C, H, W), got {x.shape}")
    if min(x.shape) < 1:
        raise ShapeError(f"[{op}] every size of the input must be >= 1, got {x.shape}")
    if min(kernel) < 1 or min(stride) < 1 or min(padding) < 0:
        raise ShapeError(f"[{op}] kernel_size and stride must be >= 1 and padding >= 0, got kernel {kernel}, "
                         f"stride {stride}, padding {padding} (input {x.shape})")
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ShapeError(f"[{op}] padding should be at most half of the kernel size, got padding {padding}, "
                         f"kernel {kernel} (input {x.shape})")
    P = (x.shape[2] + 2 * padding[0] - kernel[0]) // stride[0] + 1
    Q = (x.shape[3] + 2 * padding[1] - kernel[1]) // stride[1] + 1
    if P < 1 or Q < 1:
        raise ShapeError(f"[{op}] the window {kernel} does not fit the padded input {x.shape} (padding {padding})")
    return P, Q
