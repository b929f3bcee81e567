"""Elementwise math with torch's names: trigonometric, hyperbolic, rounding, exponential/logarithmic and special
functions, each one formula for its value and one for its derivative (ops/formula.py)."""
import math

from . import activation as _act
from . import elementwise as _ew
from .formula import register_tensor_fn, unary

for _name, _fn in (("exp", _ew.exp), ("log", _ew.log), ("sqrt", _ew.sqrt), ("abs", _ew.abs), ("where", _ew.where),
                   ("tanh", _act.tanh), ("sigmoid", _act.sigmoid), ("relu", _act.relu)):
    register_tensor_fn(_name, _fn)

_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

# ---- trigonometric and hyperbolic ------------------------------------------------------------------------
sin = unary("sin", lambda m, x: m.sin(x), lambda m, x, y: m.cos(x))
cos = unary("cos", lambda m, x: m.cos(x), lambda m, x, y: -m.sin(x))
tan = unary("tan", lambda m, x: m.tan(x), lambda m, x, y: 1 + y * y)
asin = unary("asin", lambda m, x: m.arcsin(x), lambda m, x, y: 1 / m.sqrt(1 - x * x))
acos = unary("acos", lambda m, x: m.arccos(x), lambda m, x, y: -1 / m.sqrt(1 - x * x))
atan = unary("atan", lambda m, x: m.arctan(x), lambda m, x, y: 1 / (1 + x * x))
sinh = unary("sinh", lambda m, x: m.sinh(x), lambda m, x, y: m.cosh(x))
cosh = unary("cosh", lambda m, x: m.cosh(x), lambda m, x, y: m.sinh(x))
asinh = unary("asinh", lambda m, x: m.arcsinh(x), lambda m, x, y: 1 / m.sqrt(x * x + 1))
acosh = unary("acosh", lambda m, x: m.arccosh(x), lambda m, x, y: 1 / m.sqrt(x * x - 1))
atanh = unary("atanh", lambda m, x: m.arctanh(x), lambda m, x, y: 1 / (1 - x * x))
register_tensor_fn("arcsin", asin)
register_tensor_fn("arccos", acos)
register_tensor_fn("arctan", atan)
register_tensor_fn("arcsinh", asinh)
register_tensor_fn("arccosh", acosh)
register_tensor_fn("arctanh", atanh)

# ---- rounding: piecewise constant, so their derivative is zero (frac's is one) -------------------------------
floor = unary("floor", lambda m, x: m.floor(x), lambda m, x, y: x * 0, floating=False)
ceil = unary("ceil", lambda m, x: m.ceil(x), lambda m, x, y: x * 0, floating=False)
trunc = unary("trunc", lambda m, x: m.trunc(x), lambda m, x, y: x * 0, floating=False)
frac = unary("frac", lambda m, x: x - m.trunc(x), lambda m, x, y: x * 0 + 1)
sign = unary("sign", lambda m, x: m.sign(x), lambda m, x, y: x * 0, floating=False)
_round = unary("round", lambda m, x, decimals: m.round(x, decimals), lambda m, x, y, decimals: x * 0,
               floating=False)


def round(x, decimals=0):  # noqa: A001 - torch's name
    """Rounds half to even, as torch does; ``decimals`` as in torch.round."""
    return _round(x, int(decimals))


fix = trunc

# ---- powers, exponentials and logarithms ---------------------------------------------------------------------
reciprocal = unary("reciprocal", lambda m, x: 1 / x, lambda m, x, y: -y * y)
rsqrt = unary("rsqrt", lambda m, x: 1 / m.sqrt(x), lambda m, x, y: -0.5 * y * y * y)
square = unary("square", lambda m, x: x * x, lambda m, x, y: 2 * x, floating=False)
exp2 = unary("exp2", lambda m, x: m.exp2(x), lambda m, x, y: y * _LN2)
expm1 = unary("expm1", lambda m, x: m.expm1(x), lambda m, x, y: y + 1)
log2 = unary("log2", lambda m, x: m.log2(x), lambda m, x, y: 1 / (x * _LN2))
log10 = unary("log10", lambda m, x: m.log10(x), lambda m, x, y: 1 / (x * _LN10))
log1p = unary("log1p", lambda m, x: m.log1p(x), lambda m, x, y: 1 / (1 + x))
for _name, _fn in (("sin", sin), ("cos", cos), ("sinh", sinh), ("cosh", cosh), ("exp2", exp2), ("expm1", expm1),
                   ("log1p", log1p), ("log2", log2), ("log10", log10), ("floor", floor), ("trunc", trunc),
                   ("sign", sign)):
    register_tensor_fn(_name, _fn)

# ---- special functions (the backend computes erf / erfc / erfinv; NumPy has none) ---------------------------
erf = unary("erf", lambda m, x: m.erf(x), lambda m, x, y: _TWO_OVER_SQRT_PI * m.exp(-x * x))
erfc = unary("erfc", lambda m, x: m.erfc(x), lambda m, x, y: -_TWO_OVER_SQRT_PI * m.exp(-x * x))
erfinv = unary("erfinv", lambda m, x: m.erfinv(x), lambda m, x, y: (0.5 * math.sqrt(math.pi)) * m.exp(y * y))
_logit = unary("logit", lambda m, x, eps: m.log(_clip(m, x, eps) / (1 - _clip(m, x, eps))),
               lambda m, x, y, eps: _logit_grad(m, x, eps))


def _clip(m, x, eps):
    return x if eps is None else m.clip(x, eps, 1 - eps)


def _logit_grad(m, x, eps):
    grad = 1 / (x * (1 - x))
    if eps is None:
        return grad
    return m.where((x < eps) | (x > 1 - eps), 0 * x, grad)  # torch: zero where the input was clamped


def logit(x, eps=None):
    return _logit(x, None if eps is None else float(eps))


def _nan_to_num_f(m, x, nan, posinf, neginf):
    return m.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


_nan_to_num = unary("nan_to_num", _nan_to_num_f,
                    lambda m, x, y, nan, posinf, neginf: m.isfinite(x) * (0 * x + 1), floating=False)


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """NaN -> nan, +inf -> posinf (default: the dtype's largest value), -inf -> neginf (its lowest)."""
    return _nan_to_num(x, nan, posinf, neginf)
