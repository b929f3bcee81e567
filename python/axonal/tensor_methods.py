"""Tensor's operators and op methods, bound in one table.

tensor.py is the lowest layer (storage, devices, autograd state) and imports no op, so that the ops can import
Tensor without an import cycle; the methods that need the layers above it (the ops and the autograd engine)
are attached here, once, when the package is imported (axonal/__init__.py imports this module right after
the ops). Each entry forwards to the op of the same name.
"""
from .autograd import api as _autograd
from .ops import activation as _act
from .ops import elementwise as _ew
from .ops import linalg as _la
from .ops import reduce as _rd
from .ops import shape as _sh
from .ops.device import to as _to
from .tensor import Tensor


def _shape_args(args):
    """Accepts both f(2, 3) and f((2, 3)), as torch does."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(map(int, args))


def _compare(op, fn):
    """Comparisons give boolean tensors with no graph (as in torch), on the operands' device."""
    def method(self, other):
        a, b = _ew.as_operands(op, self, other)
        if isinstance(b, Tensor):
            if type(b.data) is not type(a.data):
                raise RuntimeError(f"[{op}] expected all tensors on one device, got {a.device} and {b.device}")
            b = b.data
        return Tensor._make(fn(a.data, b))
    method.__name__ = f"__{op}__"
    return method


def _backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    _autograd.backward(self, None if gradient is None else [gradient], retain_graph, create_graph, inputs)


_METHODS = {
    # arithmetic
    "__add__": lambda self, other: _ew.add(self, other),
    "__radd__": lambda self, other: _ew.add(other, self),
    "__sub__": lambda self, other: _ew.sub(self, other),
    "__rsub__": lambda self, other: _ew.sub(other, self),
    "__mul__": lambda self, other: _ew.mul(self, other),
    "__rmul__": lambda self, other: _ew.mul(other, self),
    "__truediv__": lambda self, other: _ew.div(self, other),
    "__rtruediv__": lambda self, other: _ew.div(other, self),
    "__pow__": lambda self, other: _ew.pow(self, other),
    "__rpow__": lambda self, other: _ew.pow(other, self),
    "__neg__": lambda self: _ew.neg(self),
    "__pos__": lambda self: self,
    "__abs__": lambda self: _ew.abs(self),
    "__matmul__": lambda self, other: _la.matmul(self, other),
    "__rmatmul__": lambda self, other: _la.matmul(other, self),
    "__getitem__": lambda self, index: _sh.index(self, index),
    "__eq__": _compare("eq", lambda a, b: a == b),
    "__ne__": _compare("ne", lambda a, b: a != b),
    "__lt__": _compare("lt", lambda a, b: a < b),
    "__le__": _compare("le", lambda a, b: a <= b),
    "__gt__": _compare("gt", lambda a, b: a > b),
    "__ge__": _compare("ge", lambda a, b: a >= b),
    "__and__": _compare("and", lambda a, b: a & b),
    "__or__": _compare("or", lambda a, b: a | b),
    "__invert__": lambda self: Tensor._make(~self.data),
    "add": lambda self, other: _ew.add(self, other),
    "sub": lambda self, other: _ew.sub(self, other),
    "mul": lambda self, other: _ew.mul(self, other),
    "div": lambda self, other: _ew.div(self, other),
    "pow": lambda self, exponent: _ew.pow(self, exponent),
    "neg": lambda self: _ew.neg(self),
    "exp": lambda self: _ew.exp(self),
    "log": lambda self: _ew.log(self),
    "sqrt": lambda self: _ew.sqrt(self),
    "abs": lambda self: _ew.abs(self),
    "clamp": lambda self, min=None, max=None: _ew.clamp(self, min, max),
    "clip": lambda self, min=None, max=None: _ew.clamp(self, min, max),
    "clone": lambda self: _ew.clone(self),
    "matmul": lambda self, other: _la.matmul(self, other),
    # reductions
    "sum": lambda self, dim=None, keepdim=False: _rd.sum(self, dim, keepdim),
    "mean": lambda self, dim=None, keepdim=False: _rd.mean(self, dim, keepdim),
    "var": lambda self, dim=None, keepdim=False, unbiased=True: _rd.var(self, dim, keepdim, unbiased),
    "std": lambda self, dim=None, keepdim=False, unbiased=True: _rd.var(self, dim, keepdim, unbiased).sqrt(),
    "max": lambda self, dim=None, keepdim=False: _rd.max(self, dim, keepdim),
    "min": lambda self, dim=None, keepdim=False: _rd.min(self, dim, keepdim),
    "argmax": lambda self, dim=None, keepdim=False: _rd.argmax(self, dim, keepdim),
    "argmin": lambda self, dim=None, keepdim=False: _rd.argmin(self, dim, keepdim),
    # shape
    "reshape": lambda self, *shape: _sh.reshape(self, _shape_args(shape)),
    "view": lambda self, *shape: _sh.reshape(self, _shape_args(shape)),
    "view_as": lambda self, other: _sh.reshape(self, other.shape),
    "flatten": lambda self, start_dim=0, end_dim=-1: _sh.flatten(self, start_dim, end_dim),
    "transpose": lambda self, dim0, dim1: _sh.transpose(self, dim0, dim1),
    "permute": lambda self, *dims: _sh.permute(self, _shape_args(dims)),
    "squeeze": lambda self, dim=None: _sh.squeeze(self, dim),
    "unsqueeze": lambda self, dim: _sh.unsqueeze(self, dim),
    "expand": lambda self, *shape: _sh.expand(self, _shape_args(shape)),
    "contiguous": lambda self: self,
    "T": property(lambda self: _sh.permute(self, tuple(range(self.ndim - 1, -1, -1)))),
    # activations
    "relu": lambda self: _act.relu(self),
    "sigmoid": lambda self: _act.sigmoid(self),
    "tanh": lambda self: _act.tanh(self),
    "softmax": lambda self, dim: _act.softmax(self, dim),
    "log_softmax": lambda self, dim: _act.log_softmax(self, dim),
    # devices, dtypes and autograd
    "to": _to,
    "type": _to,
    "backward": _backward,
}

for _name, _method in _METHODS.items():
    setattr(Tensor, _name, _method)
