"""torch's activation modules beyond ReLU / Sigmoid / Tanh: thin holders of their options."""
import numpy as np

from .. import dtypes
from .._alloc import names_memory_errors
from ..ops import activation_zoo as Z
from .module import Module
from .parameter import Parameter


def _module(name, fn, doc, params=()):
    """A Module class calling ``fn(x, *options)``; ``params``: (name, default) of its constructor options."""

    def __init__(self, *args, inplace=False, **kwargs):
        Module.__init__(self)
        values = dict(params)
        for (key, _), value in zip(params, args):
            values[key] = value
        unknown = set(kwargs) - set(values)
        if unknown:
            raise TypeError(f"[{name}] unexpected arguments {sorted(unknown)}")
        values.update(kwargs)
        for key, value in values.items():
            object.__setattr__(self, key, value)

    def forward(self, x):
        return fn(x, *(getattr(self, key) for key, _ in params))

    def extra_repr(self):
        return ", ".join(f"{key}={getattr(self, key)}" for key, _ in params)

    return type(name, (Module,), {"__init__": __init__, "forward": forward, "extra_repr": extra_repr,
                                  "__doc__": doc})


GELU = _module("GELU", lambda x, approximate: Z.gelu(x, approximate), "x * Phi(x).", (("approximate", "none"),))
SiLU = _module("SiLU", lambda x: Z.silu(x), "x * sigmoid(x).")
Mish = _module("Mish", lambda x: Z.mish(x), "x * tanh(softplus(x)).")
ELU = _module("ELU", lambda x, alpha: Z.elu(x, alpha), "x, or alpha (exp(x) - 1) below 0.", (("alpha", 1.0),))
SELU = _module("SELU", lambda x: Z.selu(x), "scale * elu(x, alpha) with the self-normalising constants.")
CELU = _module("CELU", lambda x, alpha: Z.celu(x, alpha), "max(0, x) + min(0, alpha (exp(x / alpha) - 1)).",
               (("alpha", 1.0),))
Softplus = _module("Softplus", lambda x, beta, threshold: Z.softplus(x, beta, threshold),
                   "log(1 + exp(beta x)) / beta.", (("beta", 1.0), ("threshold", 20.0)))
Softsign = _module("Softsign", lambda x: Z.softsign(x), "x / (1 + |x|).")
Hardtanh = _module("Hardtanh", lambda x, min_val, max_val: Z.hardtanh(x, min_val, max_val), "clip(x, min, max).",
                   (("min_val", -1.0), ("max_val", 1.0)))
ReLU6 = _module("ReLU6", lambda x: Z.relu6(x), "min(max(0, x), 6).")
Hardsigmoid = _module("Hardsigmoid", lambda x: Z.hardsigmoid(x), "relu6(x + 3) / 6.")
Hardswish = _module("Hardswish", lambda x: Z.hardswish(x), "x * relu6(x + 3) / 6.")
LogSigmoid = _module("LogSigmoid", lambda x: Z.logsigmoid(x), "log(sigmoid(x)).")
GLU = _module("GLU", lambda x, dim: Z.glu(x, dim), "a * sigmoid(b) for the two halves of dim.", (("dim", -1),))
Softmin = _module("Softmin", lambda x, dim: Z.softmin(x, dim), "softmax(-x).", (("dim", None),))
Threshold = _module("Threshold", lambda x, threshold, value: Z.threshold(x, threshold, value),
                    "x where x > threshold, else value.", (("threshold", 0.0), ("value", 0.0)))
Hardshrink = _module("Hardshrink", lambda x, lambd: Z.hardshrink(x, lambd), "x where |x| > lambd, else 0.",
                     (("lambd", 0.5),))
Softshrink = _module("Softshrink", lambda x, lambd: Z.softshrink(x, lambd), "x -+ lambd outside [-lambd, lambd].",
                     (("lambd", 0.5),))
Tanhshrink = _module("Tanhshrink", lambda x: Z.tanhshrink(x), "x - tanh(x).")


class PReLU(Module):
    """max(0, x) + a * min(0, x) with a learnable slope a (one, or one per channel)."""

    @names_memory_errors()
    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.weight = Parameter(np.full((num_parameters,), init, dtype=dtypes.resolve(dtype)))
        if device is not None:
            self.to(device)

    def forward(self, x):
        return Z.prelu(x, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


__all__ = ["CELU", "ELU", "GELU", "GLU", "Hardshrink", "Hardsigmoid", "Hardswish", "Hardtanh", "LogSigmoid", "Mish",
           "PReLU", "ReLU6", "SELU", "SiLU", "Softmin", "Softplus", "Softshrink", "Softsign", "Tanhshrink", "Threshold"]
