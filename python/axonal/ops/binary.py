"""Two-operand elementwise ops with torch's names: differentiable ones as formulas (ops/formula.py), and the
comparisons, logical and bitwise ops, which give tensors without a graph, on the operands' device."""

from .. import backend
from ..tensor import Tensor
from . import elementwise as _ew
from .formula import binary, register_tensor_fn


def _operands(name, a, b, floating):
    a, b = _ew.as_operands(name, a, b)
    return _ew._promote(a, b, true_divide=floating)


def _zero(m, a, b, y):
    return y * 0


def _tie_split(m, mine, other, pick_mine):
    """maximum/minimum's gradient share: 1 where this operand won, 1/2 on a tie, 0 where it lost."""
    return m.where(mine == other, 0 * mine + 0.5, m.where(pick_mine, 0 * mine + 1.0, 0 * mine))


atan2 = binary("atan2", lambda m, a, b: m.arctan2(a, b), lambda m, a, b, y: b / (a * a + b * b),
               lambda m, a, b, y: -a / (a * a + b * b), floating=True, promote=_operands)
fmod = binary("fmod", lambda m, a, b: m.fmod(a, b), lambda m, a, b, y: 0 * y + 1,
              lambda m, a, b, y: -m.trunc(a / b), promote=_operands)
remainder = binary("remainder", lambda m, a, b: m.remainder(a, b), lambda m, a, b, y: 0 * y + 1,
                   lambda m, a, b, y: -m.floor(a / b), promote=_operands)
floor_divide = binary("floor_divide", lambda m, a, b: m.floor_divide(a, b), _zero, _zero, promote=_operands)
maximum = binary("maximum", lambda m, a, b: m.maximum(a, b), lambda m, a, b, y: _tie_split(m, a, b, a > b),
                 lambda m, a, b, y: _tie_split(m, b, a, b > a), promote=_operands)
minimum = binary("minimum", lambda m, a, b: m.minimum(a, b), lambda m, a, b, y: _tie_split(m, a, b, a < b),
                 lambda m, a, b, y: _tie_split(m, b, a, b < a), promote=_operands)
fmax = binary("fmax", lambda m, a, b: m.fmax(a, b),
              lambda m, a, b, y: m.where((a >= b) | m.isnan(b), 0 * y + 1, 0 * y),
              lambda m, a, b, y: m.where((a >= b) | m.isnan(b), 0 * y, 0 * y + 1), promote=_operands)
fmin = binary("fmin", lambda m, a, b: m.fmin(a, b),
              lambda m, a, b, y: m.where((a <= b) | m.isnan(b), 0 * y + 1, 0 * y),
              lambda m, a, b, y: m.where((a <= b) | m.isnan(b), 0 * y, 0 * y + 1), promote=_operands)
hypot = binary("hypot", lambda m, a, b: m.hypot(a, b), lambda m, a, b, y: a / y, lambda m, a, b, y: b / y,
               floating=True, promote=_operands)
copysign = binary("copysign", lambda m, a, b: m.copysign(a, b), lambda m, a, b, y: m.where(a == 0, 0 * y, y / a),
                  _zero, floating=True, promote=_operands)


def div(a, b, rounding_mode=None):
    """a / b; rounding_mode 'trunc' rounds toward zero, 'floor' down (integer results stay integers)."""
    if rounding_mode is None:
        return _ew.div(a, b)
    if rounding_mode == "floor":
        return floor_divide(a, b)
    if rounding_mode == "trunc":
        a, b = _operands("div", a, b, False)
        if isinstance(a, Tensor) and a.dtype.kind == "f" or isinstance(b, Tensor) and b.dtype.kind == "f":
            from .math_ops import trunc

            return trunc(_ew.div(a, b))
        q = floor_divide(a, b)  # integers: floor, then step toward zero where the signs differ and it was inexact
        inexact = remainder(a, b) != 0
        return _ew.where(inexact & ((_sign_bit(a) ^ _sign_bit(b))), q + 1, q)
    raise ValueError(f"[div] rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")


def _sign_bit(x):
    return x < 0 if isinstance(x, Tensor) else _scalar_tensor(x < 0)


def _scalar_tensor(v):
    return Tensor._make(backend.cpu.xp.asarray(v))


def add(a, b, *, alpha=1):
    return _ew.add(a, b if alpha == 1 else b * alpha)


def sub(a, b, *, alpha=1):
    return _ew.sub(a, b if alpha == 1 else b * alpha)


def clamp(x, min=None, max=None):  # noqa: A002 - torch's names
    """clamp with numbers (one pass) or tensors as bounds (elementwise maximum / minimum)."""
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = x
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    return _ew.clamp(x, min, max)


def clamp_min(x, min):  # noqa: A002
    return clamp(x, min=min)


def clamp_max(x, max):  # noqa: A002
    return clamp(x, max=max)


def lerp(start, end, weight):
    """start + weight * (end - start), differentiable in all three (weight may be a number)."""
    return start + weight * (end - start)


# ---- no graph: comparisons, predicates, logical and bitwise ops ------------------------------------------
def _no_grad_binary(name, fn, accepts=None):
    def op(a, b):
        a, b = _ew.as_operands(name, a, b)
        arrays, kind = [], None
        for x in (a, b):
            if isinstance(x, Tensor):
                if kind is not None and type(x.data) is not kind:
                    raise RuntimeError(f"[{name}] expected all tensors on one device, got {a.device} and {b.device}")
                kind = type(x.data)
                if accepts is not None and x.dtype.kind not in accepts:
                    raise RuntimeError(f"[{name}] is not implemented for {x.dtype} tensors (shape {x.shape})")
                arrays.append(x.data)
            else:
                if accepts is not None and isinstance(x, float) and "f" not in accepts:
                    raise RuntimeError(f"[{name}] is not implemented for a float operand ({x!r})")
                arrays.append(x)
        bk = backend._by_type[kind]
        return Tensor._make(bk.xp.asarray(fn(bk.xp, *arrays)))

    op.__name__ = name
    return op


eq = _no_grad_binary("eq", lambda xp, a, b: xp.equal(a, b))
ne = _no_grad_binary("ne", lambda xp, a, b: xp.not_equal(a, b))
lt = _no_grad_binary("lt", lambda xp, a, b: xp.less(a, b))
le = _no_grad_binary("le", lambda xp, a, b: xp.less_equal(a, b))
gt = _no_grad_binary("gt", lambda xp, a, b: xp.greater(a, b))
ge = _no_grad_binary("ge", lambda xp, a, b: xp.greater_equal(a, b))
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
logical_and = _no_grad_binary("logical_and", lambda xp, a, b: xp.logical_and(a, b))
logical_or = _no_grad_binary("logical_or", lambda xp, a, b: xp.logical_or(a, b))
logical_xor = _no_grad_binary("logical_xor", lambda xp, a, b: xp.logical_xor(a, b))
bitwise_and = _no_grad_binary("bitwise_and", lambda xp, a, b: xp.bitwise_and(a, b), accepts="biu")
bitwise_or = _no_grad_binary("bitwise_or", lambda xp, a, b: xp.bitwise_or(a, b), accepts="biu")
bitwise_xor = _no_grad_binary("bitwise_xor", lambda xp, a, b: xp.bitwise_xor(a, b), accepts="biu")
bitwise_left_shift = _no_grad_binary("bitwise_left_shift", lambda xp, a, b: xp.left_shift(a, b), accepts="iu")
bitwise_right_shift = _no_grad_binary("bitwise_right_shift", lambda xp, a, b: xp.right_shift(a, b), accepts="iu")


def _no_grad_unary(name, fn, accepts=None):
    def op(x):
        if not isinstance(x, Tensor):
            raise TypeError(f"[{name}] expects a Tensor, got {type(x).__name__}")
        if accepts is not None and x.dtype.kind not in accepts:
            raise RuntimeError(f"[{name}] is not implemented for {x.dtype} tensors (shape {x.shape})")
        return Tensor._make(backend.of(x.data).xp.asarray(fn(backend.of(x.data).xp, x.data)))

    op.__name__ = name
    return op


logical_not = _no_grad_unary("logical_not", lambda xp, a: xp.logical_not(a))
bitwise_not = _no_grad_unary("bitwise_not", lambda xp, a: xp.invert(a), accepts="biu")
isnan = _no_grad_unary("isnan", lambda xp, a: xp.isnan(a))
isinf = _no_grad_unary("isinf", lambda xp, a: xp.isinf(a))
isfinite = _no_grad_unary("isfinite", lambda xp, a: xp.isfinite(a))
isposinf = _no_grad_unary("isposinf", lambda xp, a: xp.isposinf(a))
isneginf = _no_grad_unary("isneginf", lambda xp, a: xp.isneginf(a))
signbit = _no_grad_unary("signbit", lambda xp, a: xp.signbit(a))
for _name, _fn in (("isnan", isnan), ("isfinite", isfinite), ("isinf", isinf), ("maximum", maximum),
                   ("minimum", minimum)):
    register_tensor_fn(_name, _fn)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    fn = _no_grad_binary("isclose", lambda xp, x, y: xp.isclose(x, y, rtol=rtol, atol=atol, equal_nan=equal_nan))
    return fn(a, b)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when every element is close (a Python bool, as in torch)."""
    return bool(isclose(a, b, rtol, atol, equal_nan).all().item())


def equal(a, b):
    """True when both have the same shape and elements (a Python bool)."""
    return a.shape == b.shape and bool(eq(a, b).all().item())
