"""Activations and (log-)softmax, computed with NumPy; softmax subtracts the max for stability.
ReLU runs the fused C++ kernels (one pass, no mask temporary) on float arrays they can read in place."""
import numpy as np

from .. import _C
from ..autograd.function import Function


def kernel_ready(a):
    """True when the C++ elementwise kernels take ``a`` as it is: float32/float64, C-contiguous, aligned."""
    if a.dtype.char not in "fd":
        return False
    flags = a.flags
    return flags.c_contiguous and flags.aligned


def relu_forward(x, inplace=False):
    """max(x, 0) as an array (NaN passes); into x itself when ``inplace`` and the kernel can write it."""
    if kernel_ready(x):
        return _C.relu_forward(x, x) if inplace else _C.relu_forward(x)
    if inplace:
        return np.maximum(x, 0, out=x)
    return np.maximum(x, 0)


def relu_backward(g, out):
    """g * (out > 0) for ReLU's result ``out``, as a new array."""
    if g.dtype is out.dtype and g.shape == out.shape and kernel_ready(g) and kernel_ready(out):
        return _C.relu_backward(g, out)
    return g * (out > 0)


class ReLU(Function):
    fresh_grads = True

    @staticmethod
    def forward(ctx, x):
        out = relu_forward(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        return relu_backward(g, ctx.saved[0])


class LeakyReLU(Function):
    @staticmethod
    def forward(ctx, x, slope):
        ctx.save_for_backward(x)
        ctx.slope = slope
        return np.where(x > 0, x, x * slope).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return np.where(x > 0, g, g * ctx.slope).astype(g.dtype, copy=False), None


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        # exp of a non-positive number only: no overflow for large |x|.
        e = np.exp(-np.abs(x))
        out = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved
        return g * s * (1 - s)


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (t,) = ctx.saved
        return g * (1 - t * t)


class Step(Function):
    """Heaviside threshold: 1 where x > threshold, else 0. Its derivative is 0 almost everywhere."""

    @staticmethod
    def forward(ctx, x, threshold):
        return (x > threshold).astype(x.dtype)

    @staticmethod
    def backward(ctx, g):
        return np.zeros_like(g), None


class Softmax(Function):
    @staticmethod
    def forward(ctx, x, axis):
        shifted = x - np.max(x, axis=axis, keepdims=True)
        e = np.exp(shifted)
        out = e / np.sum(e, axis=axis, keepdims=True)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved
        return s * (g - np.sum(g * s, axis=ctx.axis, keepdims=True)), None


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx, x, axis):
        shifted = x - np.max(x, axis=axis, keepdims=True)
        out = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved
        return g - np.exp(out) * np.sum(g, axis=ctx.axis, keepdims=True), None


def _axis(x, dim, op):
    if dim is None:
        # torch's legacy implicit choice for softmax without dim: 0 for 0/1/3-D, else 1.
        dim = 0 if x.ndim in (0, 1, 3) else 1
    if not -max(x.ndim, 1) <= dim < max(x.ndim, 1):
        raise IndexError(f"[{op}] dim {dim} is out of range for a tensor of shape {x.shape}")
    return dim % max(x.ndim, 1)


def relu(x): return ReLU.apply(x)
def leaky_relu(x, negative_slope=0.01): return LeakyReLU.apply(x, negative_slope)
def sigmoid(x): return Sigmoid.apply(x)
def tanh(x): return Tanh.apply(x)
def step(x, threshold=0.0): return Step.apply(x, threshold)
def softmax(x, dim=None): return Softmax.apply(x, _axis(x, dim, "softmax"))
def log_softmax(x, dim=None): return LogSoftmax.apply(x, _axis(x, dim, "log_softmax"))
