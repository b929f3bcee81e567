"""Elementwise arithmetic and math with NumPy broadcasting (the engine un-broadcasts gradients)."""
import numbers

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..dtypes import get_default_dtype
from ..errors import ShapeError
from ..tensor import Tensor


# torch returns inf / NaN without a word where the math says so (log(0), 1/0, 0 ** -1); NumPy would warn.
def _quiet():
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g

    @staticmethod
    def backward_tensors(ctx, g):
        return g, g


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, -g if ctx.needs_input_grad[1] else None

    @staticmethod
    def backward_tensors(ctx, g):
        return g, -g


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        ga = g * b if ctx.needs_input_grad[0] else None
        gb = g * a if ctx.needs_input_grad[1] else None
        return ga, gb

    @staticmethod
    def backward_tensors(ctx, g):
        a, b = ctx.inputs
        return g * b, g * a


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with _quiet():
            return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        ga = g / b if ctx.needs_input_grad[0] else None
        gb = -g * a / (b * b) if ctx.needs_input_grad[1] else None
        return ga, gb

    @staticmethod
    def backward_tensors(ctx, g):
        a, b = ctx.inputs
        return g / b, -g * a / (b * b)


class Pow(Function):
    @staticmethod
    def forward(ctx, a, p):
        with _quiet():
            out = a ** p
        ctx.save_for_backward(a, p, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, p, out = ctx.saved
        xp = ctx.xp
        ga = g * p * a ** (p - 1) if ctx.needs_input_grad[0] else None
        gp = None
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                gp = g * out * xp.where(a > 0, xp.log(xp.where(a > 0, a, 1)), 0)
        return ga, gp

    @staticmethod
    def backward_tensors(ctx, g):
        a, p = ctx.inputs
        ga = g * p * a ** (p - 1) if ctx.needs_input_grad[0] else None
        gp = None
        if ctx.needs_input_grad[1]:
            positive = a > 0
            gp = g * a ** p * where(positive, log(where(positive, a, 1.0)), 0.0)
        return ga, gp


class Neg(Function):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        return -g

    @staticmethod
    def backward_tensors(ctx, g):
        return -g


class Exp(Function):
    @staticmethod
    def forward(ctx, a):
        out = ctx.xp.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        return g * ctx.saved[0]

    @staticmethod
    def backward_tensors(ctx, g):
        return g * exp(ctx.inputs[0])


class Log(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        with _quiet():
            return ctx.xp.log(a)

    @staticmethod
    def backward(ctx, g):
        return g / ctx.saved[0]

    @staticmethod
    def backward_tensors(ctx, g):
        return g / ctx.inputs[0]


class Sqrt(Function):
    @staticmethod
    def forward(ctx, a):
        with _quiet():
            out = ctx.xp.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        return g / (2 * ctx.saved[0])

    @staticmethod
    def backward_tensors(ctx, g):
        return g / (2 * sqrt(ctx.inputs[0]))


class Abs(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return ctx.xp.abs(a)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.xp.sign(ctx.saved[0])

    @staticmethod
    def backward_tensors(ctx, g):
        return g * Tensor._make(ctx.xp.sign(ctx.inputs[0].data))


class Clamp(Function):
    @staticmethod
    def forward(ctx, a, lo, hi):
        xp = ctx.xp
        out = xp.clip(a, lo, hi)
        # Gradient flows where the input was inside the range (boundaries included, as in torch).
        mask = xp.ones(a.shape, dtype=bool)
        if lo is not None:
            mask &= a >= lo
        if hi is not None:
            mask &= a <= hi
        ctx.save_for_backward(mask)
        return out

    @staticmethod
    def backward(ctx, g):
        return g * ctx.saved[0], None, None

    @staticmethod
    def backward_tensors(ctx, g):
        return g * Tensor._make(ctx.saved[0]), None, None


class Where(Function):
    @staticmethod
    def forward(ctx, cond, a, b):
        cond = cond.astype(bool, copy=False)
        ctx.save_for_backward(cond)
        return ctx.xp.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved
        xp = ctx.xp
        ga = xp.where(cond, g, 0) if ctx.needs_input_grad[1] else None
        gb = xp.where(cond, 0, g) if ctx.needs_input_grad[2] else None
        return None, ga, gb

    @staticmethod
    def backward_tensors(ctx, g):
        cond = Tensor._make(ctx.saved[0])
        return None, where(cond, g, 0.0), where(cond, 0.0, g)


class Cast(Function):
    @staticmethod
    def forward(ctx, a, dtype):
        ctx.in_dtype = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.in_dtype), None

    @staticmethod
    def backward_tensors(ctx, g):
        return cast(g, ctx.in_dtype), None


class Clone(Function):
    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, g):
        return g

    @staticmethod
    def backward_tensors(ctx, g):
        return g


def _check_clamp_args(a, lo, hi):
    if lo is None and hi is None:
        raise ValueError(f"[clamp] at least one of min and max must be given (input {a.shape})")


def _promote(a, b, true_divide=False):
    """Casts non-float operands where torch's type promotion differs from NumPy's, so results keep the dtype a
    torch user expects: a float tensor is not widened by an integer or bool tensor (float32 + int64 ->
    float32, NumPy gives float64), and an integer tensor meeting a Python float, or true division of integers,
    gives the default float dtype (NumPy gives float64). Only integer/bool tensors are cast, and those never
    require grad, so the casts need no graph."""
    def is_float(x):
        return x.dtype.kind == "f" if isinstance(x, Tensor) else isinstance(x, (float, np.floating))

    def cast(x, dtype):
        return Tensor._make(x.data.astype(dtype)) if isinstance(x, Tensor) and x.dtype != dtype else x

    fa, fb = is_float(a), is_float(b)
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and tb and fa != fb:
        return (a, cast(b, a.dtype)) if fa else (cast(a, b.dtype), b)
    if not fa and not fb:
        if true_divide:
            return cast(a, get_default_dtype()), cast(b, get_default_dtype())
        return a, b
    if ta != tb and not (fa if ta else fb):  # an integer tensor with a Python float
        return (cast(a, get_default_dtype()), b) if ta else (a, cast(b, get_default_dtype()))
    return a, b


def as_operands(op, *operands):
    """The operands with arrays wrapped as Tensors (so Function.apply checks their device) and numbers left
    as they are; raises with the op's name for anything else or for shapes that do not broadcast (NumPy's
    own messages would not name the op, and it would try to make arrays out of strings or lists)."""
    shapes, out = [], []
    for x in operands:
        if isinstance(x, Tensor):
            shapes.append(x.shape)
        elif isinstance(x, (numbers.Number, np.generic)):
            shapes.append(())
            x = x.item() if isinstance(x, np.generic) else x
        elif type(x) in backend._by_type:
            shapes.append(x.shape)
            x = Tensor._make(x)
        else:
            raise TypeError(f"[{op}] unsupported operand type {type(x).__name__}")
        out.append(x)
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        raise ShapeError(f"[{op}] shapes {', '.join(map(str, shapes))} cannot be broadcast together") from None
    return out


def _binary(op, cls, a, b, true_divide=False):
    # The common case first: two float tensors of one dtype and shape, or a float tensor and a Python
    # float/int. Nothing to check or promote there, and the general path costs ~10 us per op.
    if isinstance(a, Tensor):
        da = a.data.dtype
        if da.kind == "f":
            if isinstance(b, Tensor):
                if b.data.dtype is da and b.data.shape == a.data.shape:
                    return cls.apply(a, b)
            elif type(b) is float or type(b) is int:
                return cls.apply(a, b)
    return cls.apply(*_promote(*as_operands(op, a, b), true_divide))


def add(a, b): return _binary("add", Add, a, b)
def sub(a, b): return _binary("sub", Sub, a, b)
def mul(a, b): return _binary("mul", Mul, a, b)
def div(a, b): return _binary("div", Div, a, b, true_divide=True)
def pow(a, p): return _binary("pow", Pow, a, p)  # noqa: A001
def neg(a): return Neg.apply(a)
def exp(a): return Exp.apply(a)
def log(a): return Log.apply(a)
def sqrt(a): return Sqrt.apply(a)
def abs(a): return Abs.apply(a)  # noqa: A001
def cast(a, dtype): return Cast.apply(a, dtype)
def clone(a): return Clone.apply(a)


def clamp(a, min=None, max=None):  # noqa: A002 - torch's argument names
    _check_clamp_args(a, min, max)
    return Clamp.apply(a, min, max)


def where(cond, a, b):
    cond, a, b = as_operands("where", cond, a, b)
    if not isinstance(cond, Tensor):
        cond = Tensor._make(backend.cpu.xp.asarray(bool(cond)))
    return Where.apply(cond, *_promote(a, b))
