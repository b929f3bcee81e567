"""Elementwise ops written once as formulas.

An op is ``f(m, x, *params)`` and its derivative ``df(m, x, y, *params)`` (y = f(x)), written with operators and
the functions of a namespace ``m``. The forward and the array-level backward evaluate them with ``m`` the
device's array math (its xp, plus the special functions NumPy lacks, from the backend); backward with
create_graph=True evaluates the same derivative with ``m`` the namespace of axonal's own differentiable ops
on Tensors. So each op's value, gradient and gradient-of-gradient come from one pair of lines.
"""
import math

import numpy as np

from ..autograd.function import Function
from ..dtypes import get_default_dtype
from ..tensor import Tensor


# torch returns inf / NaN without a word where the math says so (log(0), 1/0, sqrt(-1)); NumPy would warn.
def _quiet():
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")

# Functions NumPy does not have: the backend supplies them (C++ / CUDA kernels).
_SPECIAL = ("erf", "erfc", "erfinv")
_tensor_fns = {}  # name -> axonal op on Tensors, filled by register_tensor_fn


class _ArrayMath:
    """``m`` for arrays of one backend."""

    pi, e, inf, nan = math.pi, math.e, math.inf, math.nan

    def __init__(self, bk):
        self._bk = bk

    def __getattr__(self, name):
        fn = getattr(self._bk, name) if name in _SPECIAL else getattr(self._bk.xp, name)
        setattr(self, name, fn)
        return fn


class _TensorMath:
    """``m`` for Tensors: axonal's differentiable ops."""

    pi, e, inf, nan = math.pi, math.e, math.inf, math.nan

    def __getattr__(self, name):
        try:
            return _tensor_fns[name]
        except KeyError:
            raise AttributeError(f"[formula] no differentiable op named {name!r}") from None


TENSOR_MATH = _TensorMath()
_array_math = {}


def array_math(bk):
    m = _array_math.get(id(bk))
    if m is None:
        m = _array_math[id(bk)] = _ArrayMath(bk)
    return m


def register_tensor_fn(name, fn):
    """Makes ``fn`` available to formulas as ``m.<name>`` when they run on Tensors."""
    _tensor_fns[name] = fn
    return fn


class Formula(Function):
    """y = f(x; params), dy/dx = df(x, y; params). Subclasses (made by ``unary``) set f and df."""

    fresh_grads = True  # g * df(...) is a new array

    @classmethod
    def forward(cls, ctx, x, *params):
        with _quiet():
            y = cls.f(array_math(ctx.backend), x, *params)
        ctx.save_for_backward(x, y)
        ctx.params = params
        return y

    @classmethod
    def backward(cls, ctx, g):
        x, y = ctx.saved
        with _quiet():
            return (g * cls.df(array_math(ctx.backend), x, y, *ctx.params),) + (None,) * len(ctx.params)

    @classmethod
    def backward_tensors(cls, ctx, g):
        x = ctx.inputs[0]
        y = cls.apply(x, *ctx.params)  # recomputed as a Tensor, so that the derivative is differentiable
        return (g * cls.df(TENSOR_MATH, x, y, *ctx.params),) + (None,) * len(ctx.params)


def unary(name, f, df, floating=True):
    """The user-facing function of the formula op ``name``. ``floating``: integer and bool inputs are computed
    in the default float dtype (torch's rule for sin, exp, ...); otherwise they keep their dtype."""
    cls = type(name.capitalize(), (Formula,), {"f": staticmethod(f), "df": staticmethod(df), "op_name": name})

    def op(x, *params):
        if not isinstance(x, Tensor):
            raise TypeError(f"[{name}] expects a Tensor, got {type(x).__name__}")
        if floating and x.dtype.kind not in "f":
            x = x.to(get_default_dtype())
        return cls.apply(x, *params)

    op.__name__ = name
    op.Function = cls
    return register_tensor_fn(name, op)


class BinaryFormula(Function):
    """y = f(a, b) with dy/da = da(a, b, y) and dy/db = db(a, b, y); a or b may be a Python number."""

    fresh_grads = True

    @classmethod
    def forward(cls, ctx, a, b):
        with _quiet():
            y = cls.f(array_math(ctx.backend), a, b)
        ctx.save_for_backward(a, b, y)
        return y

    @classmethod
    def backward(cls, ctx, g):
        a, b, y = ctx.saved
        m = array_math(ctx.backend)
        with _quiet():
            ga = g * cls.da(m, a, b, y) if ctx.needs_input_grad[0] else None
            gb = g * cls.db(m, a, b, y) if ctx.needs_input_grad[1] else None
        return ga, gb

    @classmethod
    def backward_tensors(cls, ctx, g):
        a, b = ctx.inputs
        y = cls.apply(a, b)
        ga = g * cls.da(TENSOR_MATH, a, b, y) if ctx.needs_input_grad[0] else None
        gb = g * cls.db(TENSOR_MATH, a, b, y) if ctx.needs_input_grad[1] else None
        return ga, gb


def binary(name, f, da, db, floating=False, promote=None):
    """The user-facing function of a two-operand formula op, with torch's broadcasting and type promotion
    (``promote(op, a, b)`` -> operands; ``floating``: integer results are computed in the default float)."""
    cls = type(name.capitalize(), (BinaryFormula,),
               {"f": staticmethod(f), "da": staticmethod(da), "db": staticmethod(db), "op_name": name})

    def op(a, b):
        a, b = promote(name, a, b, floating)
        return cls.apply(a, b)

    op.__name__ = name
    op.Function = cls
    return register_tensor_fn(name, op)
