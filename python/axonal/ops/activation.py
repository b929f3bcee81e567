"""Activations and (log-)softmax on the backend's array module; softmax subtracts the max for stability.
ReLU runs the backend's fused kernels (one pass, no mask temporary)."""
from ..autograd.function import Function
from ..tensor import Tensor
from .elementwise import where


class ReLU(Function):
    fresh_grads = True

    @staticmethod
    def forward(ctx, x):
        out = ctx.backend.relu_forward(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        return ctx.backend.relu_backward(g, ctx.saved[0])

    @staticmethod
    def backward_tensors(ctx, g):
        return g * Tensor._make(ctx.saved[0] > 0)


class AddReLU(Function):
    """relu(a + b) in one pass: a residual block's join (its output and the shortcut), then its ReLU. Backward
    masks the incoming gradient once; both inputs get that same gradient."""

    @staticmethod
    def forward(ctx, a, b):
        out = ctx.backend.add_relu(a, b)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        g = ctx.backend.relu_backward(g, ctx.saved[0])
        return g, g

    @staticmethod
    def backward_tensors(ctx, g):
        g = g * Tensor._make(ctx.saved[0] > 0)
        return g, g


def add_relu(a, b):
    """relu(a + b); one fused pass when both are tensors of one shape and dtype, else the two ops."""
    if (isinstance(a, Tensor) and isinstance(b, Tensor) and a.data.shape == b.data.shape
            and a.data.dtype is b.data.dtype and a.data.dtype.kind == "f"):
        return AddReLU.apply(a, b)
    return relu(a + b)


class LeakyReLU(Function):
    @staticmethod
    def forward(ctx, x, slope):
        ctx.save_for_backward(x)
        ctx.slope = slope
        return ctx.xp.where(x > 0, x, x * slope).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return ctx.xp.where(x > 0, g, g * ctx.slope).astype(g.dtype, copy=False), None

    @staticmethod
    def backward_tensors(ctx, g):
        x = ctx.inputs[0]
        return where(x > 0, g, g * ctx.slope), None


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        # exp of a non-positive number only: no overflow for large |x|.
        xp = ctx.xp
        e = xp.exp(-xp.abs(x))
        out = xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved
        return g * s * (1 - s)

    @staticmethod
    def backward_tensors(ctx, g):
        s = sigmoid(ctx.inputs[0])
        return g * s * (1 - s)


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        out = ctx.xp.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (t,) = ctx.saved
        return g * (1 - t * t)

    @staticmethod
    def backward_tensors(ctx, g):
        t = tanh(ctx.inputs[0])
        return g * (1 - t * t)


class Step(Function):
    """Heaviside threshold: 1 where x > threshold, else 0. Its derivative is 0 almost everywhere."""

    @staticmethod
    def forward(ctx, x, threshold):
        return (x > threshold).astype(x.dtype)

    @staticmethod
    def backward(ctx, g):
        return ctx.xp.zeros_like(g), None

    @staticmethod
    def backward_tensors(ctx, g):
        return g * 0, None


class Softmax(Function):
    @staticmethod
    def forward(ctx, x, axis):
        shifted = x - x.max(axis=axis, keepdims=True)
        e = ctx.xp.exp(shifted)
        out = e / e.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved
        return s * (g - (g * s).sum(axis=ctx.axis, keepdims=True)), None

    @staticmethod
    def backward_tensors(ctx, g):
        s = softmax(ctx.inputs[0], ctx.axis)
        return s * (g - (g * s).sum(ctx.axis, keepdim=True)), None


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx, x, axis):
        xp = ctx.xp
        shifted = x - x.max(axis=axis, keepdims=True)
        out = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved
        return g - ctx.xp.exp(out) * g.sum(axis=ctx.axis, keepdims=True), None

    @staticmethod
    def backward_tensors(ctx, g):
        out = log_softmax(ctx.inputs[0], ctx.axis)
        return g - out.exp() * g.sum(ctx.axis, keepdim=True), None


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
