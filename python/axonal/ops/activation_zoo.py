"""torch's activation functions beyond ReLU/sigmoid/tanh, each one formula for its value and one for its
derivative (ops/formula.py), with torch's parameters, defaults and gradient conventions at the kinks."""
import math

from . import math_ops  # noqa: F401 - registers erf, exp, ... for the formulas evaluated on Tensors
from .activation import sigmoid, softmax, tanh
from .elementwise import where
from .formula import unary
from .rearrange import chunk
from .shape import _check_dim

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
# SELU's constants, from Klambauer et al. 2017 (the values torch uses).
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _gelu_tanh_inner(m, x):
    return _SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)


_gelu_erf = unary("gelu", lambda m, x: 0.5 * x * (1 + m.erf(x * _INV_SQRT_2)),
                  lambda m, x, y: 0.5 * (1 + m.erf(x * _INV_SQRT_2)) + x * _INV_SQRT_2PI * m.exp(-0.5 * x * x))
_gelu_tanh = unary("gelu_tanh", lambda m, x: 0.5 * x * (1 + m.tanh(_gelu_tanh_inner(m, x))),
                   lambda m, x, y: _gelu_tanh_grad(m, x))


def _gelu_tanh_grad(m, x):
    t = m.tanh(_gelu_tanh_inner(m, x))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)


def gelu(x, approximate="none"):
    if approximate == "none":
        return _gelu_erf(x)
    if approximate == "tanh":
        return _gelu_tanh(x)
    raise ValueError(f"[gelu] approximate must be 'none' or 'tanh', got {approximate!r}")


def _sig(m, x):
    return 1 / (1 + m.exp(-x))


silu = unary("silu", lambda m, x: x * _sig(m, x), lambda m, x, y: _sig(m, x) * (1 + x * (1 - _sig(m, x))))


def _softplus_value(m, x, beta, threshold):
    bx = x * beta
    # log1p(exp(bx)) without overflow: max(bx, 0) + log1p(exp(-|bx|)); linear above the threshold, as torch.
    soft = (m.maximum(bx, 0 * bx) + m.log1p(m.exp(-m.abs(bx)))) / beta
    return m.where(bx > threshold, x, soft)


softplus_f = unary("softplus", lambda m, x, beta, threshold: _softplus_value(m, x, beta, threshold),
                   lambda m, x, y, beta, threshold: m.where(x * beta > threshold, 0 * x + 1, _sig(m, x * beta)))


def softplus(x, beta=1.0, threshold=20.0):
    return softplus_f(x, float(beta), float(threshold))


mish = unary("mish", lambda m, x: x * m.tanh(_softplus_value(m, x, 1.0, 20.0)),
             lambda m, x, y: _mish_grad(m, x))


def _mish_grad(m, x):
    t = m.tanh(_softplus_value(m, x, 1.0, 20.0))
    return t + x * (1 - t * t) * _sig(m, x)


_elu = unary("elu", lambda m, x, alpha, scale: scale * m.where(x > 0, x, alpha * m.expm1(x)),
             lambda m, x, y, alpha, scale: scale * m.where(x > 0, 0 * x + 1, alpha * m.exp(x)))


def elu(x, alpha=1.0):
    return _elu(x, float(alpha), 1.0)


def selu(x):
    return _elu(x, _SELU_ALPHA, _SELU_SCALE)


_celu = unary("celu", lambda m, x, alpha: m.where(x > 0, x, alpha * m.expm1(x / alpha)),
              lambda m, x, y, alpha: m.where(x > 0, 0 * x + 1, m.exp(x / alpha)))


def celu(x, alpha=1.0):
    return _celu(x, float(alpha))


softsign = unary("softsign", lambda m, x: x / (1 + m.abs(x)), lambda m, x, y: 1 / ((1 + m.abs(x)) * (1 + m.abs(x))))
_hardtanh = unary("hardtanh", lambda m, x, lo, hi: m.clip(x, lo, hi),
                  lambda m, x, y, lo, hi: m.where((x > lo) & (x < hi), 0 * x + 1, 0 * x), floating=False)


def hardtanh(x, min_val=-1.0, max_val=1.0):
    if min_val > max_val:
        raise ValueError(f"[hardtanh] min_val ({min_val}) cannot be greater than max_val ({max_val})")
    return _hardtanh(x, min_val, max_val)


def relu6(x):
    return _hardtanh(x, 0.0, 6.0)


hardsigmoid = unary("hardsigmoid", lambda m, x: m.clip(x / 6 + 0.5, 0, 1),
                    lambda m, x, y: m.where((x > -3) & (x < 3), 0 * x + 1.0 / 6, 0 * x))
hardswish = unary("hardswish", lambda m, x: x * m.clip(x + 3, 0, 6) / 6,
                  lambda m, x, y: m.where(x < -3, 0 * x, m.where(x <= 3, x / 3 + 0.5, 0 * x + 1)))
logsigmoid = unary("logsigmoid", lambda m, x: m.minimum(x, 0 * x) - m.log1p(m.exp(-m.abs(x))),
                   lambda m, x, y: _sig(m, -x))
_threshold = unary("threshold", lambda m, x, th, value: m.where(x > th, x, 0 * x + value),
                   lambda m, x, y, th, value: m.where(x > th, 0 * x + 1, 0 * x), floating=False)


def threshold(x, threshold, value):  # noqa: A002 - torch's names
    return _threshold(x, threshold, value)


_hardshrink = unary("hardshrink", lambda m, x, lambd: m.where(m.abs(x) > lambd, x, 0 * x),
                    lambda m, x, y, lambd: m.where(m.abs(x) > lambd, 0 * x + 1, 0 * x))
_softshrink = unary("softshrink", lambda m, x, lambd: m.where(x > lambd, x - lambd,
                                                                 m.where(x < -lambd, x + lambd, 0 * x)),
                    lambda m, x, y, lambd: m.where(m.abs(x) > lambd, 0 * x + 1, 0 * x))


def hardshrink(x, lambd=0.5):
    return _hardshrink(x, float(lambd))


def softshrink(x, lambd=0.5):
    return _softshrink(x, float(lambd))


def tanhshrink(x):

    return x - tanh(x)


def prelu(x, weight):
    """max(0, x) + weight * min(0, x), weight of size 1 or of the channels (dim 1)."""
    if weight.numel() != 1:
        if x.ndim < 2 or weight.numel() != x.shape[1]:
            raise RuntimeError(f"[prelu] weight has {weight.numel()} elements but the input has "
                               f"{x.shape[1] if x.ndim > 1 else 1} channels (input {x.shape})")
        weight = weight.reshape((1, -1) + (1,) * (x.ndim - 2))
    return where(x > 0, x, weight * x)


def glu(x, dim=-1):
    d = _check_dim(dim, x.ndim, "glu")
    if x.shape[d] % 2:
        raise RuntimeError(f"[glu] halving dimension must be even, but dimension {dim} is size {x.shape[d]}")

    a, b = chunk(x, 2, d)
    return a * sigmoid(b)


def softmin(x, dim=None):

    return softmax(-x, dim)
