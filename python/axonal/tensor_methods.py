"""Tensor's operators and op methods, bound in one table.

tensor.py is the lowest layer (storage, devices, autograd state) and imports no op, so that the ops can import
Tensor without an import cycle; the methods that need the layers above it (the ops and the autograd engine)
are attached here, once, when the package is imported (axonal/__init__.py imports this module right after
the ops). Each entry forwards to the op of the same name; the in-place forms (``add_``, ``+=``) go through
ops/inplace.py.
"""
import numpy as np

from . import dlpack as _dlpack
from . import dtypes
from .autograd import api as _autograd
from .ops import activation as _act
from .ops import activation_zoo as _zoo
from .ops import binary as _bin
from .ops import elementwise as _ew
from .ops import indexing as _ix
from .ops import linalg as _la
from .ops import math_ops as _m
from .ops import rearrange as _re
from .ops import reduce as _rd
from .ops import scan as _scan
from .ops import shape as _sh
from .ops import statistics as _st
from .ops.device import to as _to
from .ops.inplace import apply_inplace
from .tensor import Tensor


def _shape_args(args):
    """Accepts both f(2, 3) and f((2, 3)), as torch does."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(map(int, args))


def _backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    _autograd.backward(self, None if gradient is None else [gradient], retain_graph, create_graph, inputs)


def _scaled(other, alpha):
    return other if alpha == 1 else other * alpha


_clamp = _bin.clamp


def _type(self, dtype=None, non_blocking=False):
    if dtype is None:  # torch answers with the tensor type's name
        names = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
                 "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor",
                 "uint8": "ByteTensor", "bool": "BoolTensor"}
        prefix = "torch." if self.device.type == "cpu" else "torch.cuda."
        return prefix + names.get(str(self.dtype), str(self.dtype))
    return _to(self, dtype)


def _inplace(name, fn):
    """The in-place method ``name`` of the out-of-place ``fn(self, *args, **kwargs)``."""
    def method(self, *args, **kwargs):
        return apply_inplace(self, name, lambda t: fn(t, *args, **kwargs))

    method.__name__ = name
    return method


def _ioperator(name, fn):
    def method(self, other):
        return apply_inplace(self, name, lambda t: fn(t, other))

    method.__name__ = name
    return method


class Size(tuple):
    """A tensor's shape: a tuple (compares equal to one) with torch.Size's numel()."""

    __slots__ = ()

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self):
        return f"axonal.Size({list(self)})"

    def __str__(self):  # messages show shapes as plain tuples: "(8, 3, 28, 28)"
        return tuple.__repr__(self)


def _size(self, dim=None):
    shape = self.data.shape
    if dim is None:
        return Size(shape)
    return shape[dim]


def _where_method(self, condition, other):
    return _ew.where(condition, self, other)


def _t(self):
    if self.ndim > 2:
        raise RuntimeError(f"[t] expects a tensor with <= 2 dims, but it has {self.ndim} (shape {self.shape})")
    return _sh.transpose(self, 0, 1) if self.ndim == 2 else self


def _contiguous(self, memory_format=None):
    return self if self.data.flags.c_contiguous else self.clone()


def _div(self, other, *, rounding_mode=None):
    return _bin.div(self, other, rounding_mode)


_METHODS = {
    # ---- operators -------------------------------------------------------------------------------------------
    "__add__": lambda self, other: _ew.add(self, other),
    "__radd__": lambda self, other: _ew.add(other, self),
    "__sub__": lambda self, other: _ew.sub(self, other),
    "__rsub__": lambda self, other: _ew.sub(other, self),
    "__mul__": lambda self, other: _ew.mul(self, other),
    "__rmul__": lambda self, other: _ew.mul(other, self),
    "__truediv__": lambda self, other: _ew.div(self, other),
    "__rtruediv__": lambda self, other: _ew.div(other, self),
    "__floordiv__": lambda self, other: _bin.floor_divide(self, other),
    "__rfloordiv__": lambda self, other: _bin.floor_divide(other, self),
    "__mod__": lambda self, other: _bin.remainder(self, other),
    "__rmod__": lambda self, other: _bin.remainder(other, self),
    "__pow__": lambda self, other: _ew.pow(self, other),
    "__rpow__": lambda self, other: _ew.pow(other, self),
    "__neg__": lambda self: _ew.neg(self),
    "__pos__": lambda self: self,
    "__abs__": lambda self: _ew.abs(self),
    "__matmul__": lambda self, other: _la.matmul(self, other),
    "__rmatmul__": lambda self, other: _la.matmul(other, self),
    "__getitem__": lambda self, index: _sh.index(self, index),
    "__eq__": lambda self, other: _bin.eq(self, other),
    "__ne__": lambda self, other: _bin.ne(self, other),
    "__lt__": lambda self, other: _bin.lt(self, other),
    "__le__": lambda self, other: _bin.le(self, other),
    "__gt__": lambda self, other: _bin.gt(self, other),
    "__ge__": lambda self, other: _bin.ge(self, other),
    "__and__": lambda self, other: _bin.bitwise_and(self, other),
    "__rand__": lambda self, other: _bin.bitwise_and(other, self),
    "__or__": lambda self, other: _bin.bitwise_or(self, other),
    "__ror__": lambda self, other: _bin.bitwise_or(other, self),
    "__xor__": lambda self, other: _bin.bitwise_xor(self, other),
    "__rxor__": lambda self, other: _bin.bitwise_xor(other, self),
    "__lshift__": lambda self, other: _bin.bitwise_left_shift(self, other),
    "__rlshift__": lambda self, other: _bin.bitwise_left_shift(other, self),
    "__rshift__": lambda self, other: _bin.bitwise_right_shift(self, other),
    "__rrshift__": lambda self, other: _bin.bitwise_right_shift(other, self),
    "__invert__": lambda self: (_bin.logical_not(self) if self.dtype == np.bool_ else _bin.bitwise_not(self)),
    "__iadd__": _ioperator("__iadd__", _ew.add),
    "__isub__": _ioperator("__isub__", _ew.sub),
    "__imul__": _ioperator("__imul__", _ew.mul),
    "__itruediv__": _ioperator("__itruediv__", _ew.div),
    "__ifloordiv__": _ioperator("__ifloordiv__", _bin.floor_divide),
    "__imod__": _ioperator("__imod__", _bin.remainder),
    "__ipow__": _ioperator("__ipow__", _ew.pow),
    "__iand__": _ioperator("__iand__", _bin.bitwise_and),
    "__ior__": _ioperator("__ior__", _bin.bitwise_or),
    "__ixor__": _ioperator("__ixor__", _bin.bitwise_xor),
    # ---- elementwise -----------------------------------------------------------------------------------------
    "add": lambda self, other, *, alpha=1: _ew.add(self, _scaled(other, alpha)),
    "sub": lambda self, other, *, alpha=1: _ew.sub(self, _scaled(other, alpha)),
    "subtract": lambda self, other, *, alpha=1: _ew.sub(self, _scaled(other, alpha)),
    "mul": lambda self, other: _ew.mul(self, other),
    "multiply": lambda self, other: _ew.mul(self, other),
    "div": _div,
    "divide": _div,
    "true_divide": lambda self, other: _ew.div(self, other),
    "floor_divide": lambda self, other: _bin.floor_divide(self, other),
    "remainder": lambda self, other: _bin.remainder(self, other),
    "fmod": lambda self, other: _bin.fmod(self, other),
    "pow": lambda self, exponent: _ew.pow(self, exponent),
    "neg": lambda self: _ew.neg(self),
    "negative": lambda self: _ew.neg(self),
    "abs": lambda self: _ew.abs(self),
    "absolute": lambda self: _ew.abs(self),
    "exp": lambda self: _ew.exp(self),
    "log": lambda self: _ew.log(self),
    "sqrt": lambda self: _ew.sqrt(self),
    "clamp": _clamp,
    "clip": _clamp,
    "clamp_min": lambda self, min: _clamp(self, min=min),  # noqa: A002
    "clamp_max": lambda self, max: _clamp(self, max=max),  # noqa: A002
    "clone": lambda self, memory_format=None: _ew.clone(self),
    "where": _where_method,
    "maximum": lambda self, other: _bin.maximum(self, other),
    "minimum": lambda self, other: _bin.minimum(self, other),
    "fmax": lambda self, other: _bin.fmax(self, other),
    "fmin": lambda self, other: _bin.fmin(self, other),
    "atan2": lambda self, other: _bin.atan2(self, other),
    "arctan2": lambda self, other: _bin.atan2(self, other),
    "hypot": lambda self, other: _bin.hypot(self, other),
    "lerp": lambda self, end, weight: _bin.lerp(self, end, weight),
    "copysign": lambda self, other: _bin.copysign(self, other),
    "round": lambda self, decimals=0: _m.round(self, decimals),
    "logit": lambda self, eps=None: _m.logit(self, eps),
    "nan_to_num": lambda self, nan=0.0, posinf=None, neginf=None: _m.nan_to_num(self, nan, posinf, neginf),
    "relu": lambda self: _act.relu(self),
    "sigmoid": lambda self: _act.sigmoid(self),
    "tanh": lambda self: _act.tanh(self),
    "softmax": lambda self, dim=None: _act.softmax(self, dim),
    "log_softmax": lambda self, dim=None: _act.log_softmax(self, dim),
    "isnan": lambda self: _bin.isnan(self),
    "isinf": lambda self: _bin.isinf(self),
    "isfinite": lambda self: _bin.isfinite(self),
    "isclose": lambda self, other, rtol=1e-5, atol=1e-8, equal_nan=False: _bin.isclose(self, other, rtol, atol,
                                                                                       equal_nan),
    "allclose": lambda self, other, rtol=1e-5, atol=1e-8, equal_nan=False: _bin.allclose(self, other, rtol, atol,
                                                                                         equal_nan),
    "equal": lambda self, other: _bin.equal(self, other),
    # ---- reductions ------------------------------------------------------------------------------------------
    "sum": lambda self, dim=None, keepdim=False, *, dtype=None, axis=None: _rd.sum(self, dim, keepdim, dtype=dtype,
                                                                                     axis=axis),
    "mean": lambda self, dim=None, keepdim=False, *, dtype=None, axis=None: _rd.mean(self, dim, keepdim, dtype=dtype,
                                                                                       axis=axis),
    "prod": lambda self, dim=None, keepdim=False, *, dtype=None: _rd.prod(self, dim, keepdim, dtype=dtype),
    "var": _rd.var,
    "std": _rd.std,
    "max": lambda self, dim=None, keepdim=False, *, axis=None: _rd.max(self, dim, keepdim, axis=axis),
    "min": lambda self, dim=None, keepdim=False, *, axis=None: _rd.min(self, dim, keepdim, axis=axis),
    "amax": lambda self, dim=(), keepdim=False: _rd.amax(self, dim, keepdim),
    "amin": lambda self, dim=(), keepdim=False: _rd.amin(self, dim, keepdim),
    "argmax": lambda self, dim=None, keepdim=False, *, axis=None: _rd.argmax(self, dim, keepdim, axis=axis),
    "argmin": lambda self, dim=None, keepdim=False, *, axis=None: _rd.argmin(self, dim, keepdim, axis=axis),
    "all": lambda self, dim=None, keepdim=False: _rd.all(self, dim, keepdim),
    "any": lambda self, dim=None, keepdim=False: _rd.any(self, dim, keepdim),
    "count_nonzero": lambda self, dim=None: _rd.count_nonzero(self, dim),
    "logsumexp": lambda self, dim, keepdim=False: _st.logsumexp(self, dim, keepdim),
    "norm": lambda self, p="fro", dim=None, keepdim=False, dtype=None: _st.norm(self, p, dim, keepdim, dtype),
    "median": lambda self, dim=None, keepdim=False: _st.median(self, dim, keepdim),
    "cumsum": lambda self, dim, *, dtype=None: _scan.cumsum(self, dim, dtype=dtype),
    "cumprod": lambda self, dim, *, dtype=None: _scan.cumprod(self, dim, dtype=dtype),
    "cummax": lambda self, dim: _scan.cummax(self, dim),
    "cummin": lambda self, dim: _scan.cummin(self, dim),
    # ---- shape and indexing ----------------------------------------------------------------------------------
    "reshape": lambda self, *shape: _sh.reshape(self, _shape_args(shape)),
    "view": lambda self, *shape: (_to(self, shape[0]) if len(shape) == 1 and isinstance(shape[0], np.dtype)
                                  else _sh.reshape(self, _shape_args(shape))),
    "view_as": lambda self, other: _sh.reshape(self, other.shape),
    "reshape_as": lambda self, other: _sh.reshape(self, other.shape),
    "flatten": lambda self, start_dim=0, end_dim=-1: _sh.flatten(self, start_dim, end_dim),
    "unflatten": lambda self, dim, sizes: _re.unflatten(self, dim, sizes),
    "transpose": lambda self, dim0, dim1: _sh.transpose(self, dim0, dim1),
    "swapaxes": lambda self, a, b: _sh.transpose(self, a, b),
    "swapdims": lambda self, a, b: _sh.transpose(self, a, b),
    "t": _t,
    "permute": lambda self, *dims: _sh.permute(self, _shape_args(dims)),
    "movedim": lambda self, source, destination: _re.movedim(self, source, destination),
    "moveaxis": lambda self, source, destination: _re.movedim(self, source, destination),
    "squeeze": lambda self, dim=None: _re.squeeze(self, dim),
    "unsqueeze": lambda self, dim: _sh.unsqueeze(self, dim),
    "expand": lambda self, *shape: _sh.expand(self, _shape_args(shape)),
    "expand_as": lambda self, other: _re.expand_as(self, other),
    "repeat": lambda self, *sizes: _re.repeat(self, *sizes),
    "tile": lambda self, *dims: _re.tile(self, _shape_args(dims)),
    "repeat_interleave": lambda self, repeats, dim=None: _re.repeat_interleave(self, repeats, dim),
    "narrow": lambda self, dim, start, length: _re.narrow(self, dim, start, length),
    "select": lambda self, dim, index: _re.select(self, dim, index),
    "chunk": lambda self, chunks, dim=0: _re.chunk(self, chunks, dim),
    "split": lambda self, split_size, dim=0: _re.split(self, split_size, dim),
    "unbind": lambda self, dim=0: _re.unbind(self, dim),
    "flip": lambda self, *dims: _re.flip(self, _shape_args(dims)),
    "fliplr": lambda self: _re.fliplr(self),
    "flipud": lambda self: _re.flipud(self),
    "roll": lambda self, shifts, dims=None: _re.roll(self, shifts, dims),
    "rot90": lambda self, k=1, dims=(0, 1): _re.rot90(self, k, dims),
    "tril": lambda self, diagonal=0: _re.tril(self, diagonal),
    "triu": lambda self, diagonal=0: _re.triu(self, diagonal),
    "diag": lambda self, diagonal=0: _re.diag(self, diagonal),
    "diagonal": lambda self, offset=0, dim1=0, dim2=1: _re.diagonal(self, offset, dim1, dim2),
    "trace": lambda self: _re.trace(self),
    "gather": lambda self, dim, index: _ix.gather(self, dim, index),
    "scatter": lambda self, dim, index, src=None, value=None, reduce=None: _ix.scatter(self, dim, index, src, value,
                                                                                       reduce),
    "scatter_add": lambda self, dim, index, src: _ix.scatter_add(self, dim, index, src),
    "index_select": lambda self, dim, index: _ix.index_select(self, dim, index),
    "index_add": lambda self, dim, index, source, alpha=1: _ix.index_add(self, dim, index, source, alpha),
    "masked_fill": lambda self, mask, value: _ix.masked_fill(self, mask, value),
    "masked_select": lambda self, mask: _ix.masked_select(self, mask),
    "nonzero": lambda self, as_tuple=False: _ix.nonzero(self, as_tuple),
    "take_along_dim": lambda self, indices, dim=None: _ix.take_along_dim(self, indices, dim),
    "sort": lambda self, dim=-1, descending=False, stable=False: _ix.sort(self, dim, descending, stable),
    "argsort": lambda self, dim=-1, descending=False, stable=False: _ix.argsort(self, dim, descending, stable),
    "topk": lambda self, k, dim=-1, largest=True, sorted=True: _ix.topk(self, k, dim, largest, sorted),
    "matmul": lambda self, other: _la.matmul(self, other),
    "mm": lambda self, other: _la.mm(self, other),
    "bmm": lambda self, other: _la.bmm(self, other),
    "mv": lambda self, vec: _la.mv(self, vec),
    "dot": lambda self, other: _la.dot(self, other),
    "outer": lambda self, other: _la.outer(self, other),
    "contiguous": _contiguous,
    "is_contiguous": lambda self, memory_format=None: bool(self.data.flags.c_contiguous),
    "T": property(lambda self: _sh.permute(self, tuple(range(self.ndim - 1, -1, -1)))),
    "mT": property(lambda self: _sh.transpose(self, -2, -1)),
    "H": property(lambda self: _t(self)),
    "shape": property(lambda self: Size(self.data.shape)),
    "size": _size,
    # ---- dtypes, devices and autograd ------------------------------------------------------------------------
    "to": _to,
    "type": _type,
    "int": lambda self: _to(self, dtypes.int32),
    "long": lambda self: _to(self, dtypes.int64),
    "short": lambda self: _to(self, dtypes.int16),
    "char": lambda self: _to(self, dtypes.int8),
    "byte": lambda self: _to(self, dtypes.uint8),
    "half": lambda self: _to(self, dtypes.float16),
    "float": lambda self: _to(self, dtypes.float32),
    "double": lambda self: _to(self, dtypes.float64),
    "bool": lambda self: _to(self, dtypes.bool_),
    "is_floating_point": lambda self: self.data.dtype.kind == "f",
    "nelement": lambda self: int(self.data.size),
    "backward": _backward,
    # ---- DLPack (axonal/dlpack.py: NumPy's export on the CPU, CuPy's on a GPU, the emulated device as host) --
    "__dlpack__": _dlpack.tensor_dlpack,
    "__dlpack_device__": _dlpack.tensor_dlpack_device,
    # ---- in-place forms --------------------------------------------------------------------------------------
    "add_": _inplace("add_", lambda t, other, *, alpha=1: _ew.add(t, _scaled(other, alpha))),
    "sub_": _inplace("sub_", lambda t, other, *, alpha=1: _ew.sub(t, _scaled(other, alpha))),
    "mul_": _inplace("mul_", _ew.mul),
    "div_": _inplace("div_", _div),
    "pow_": _inplace("pow_", _ew.pow),
    "neg_": _inplace("neg_", _ew.neg),
    "abs_": _inplace("abs_", _ew.abs),
    "exp_": _inplace("exp_", _ew.exp),
    "log_": _inplace("log_", _ew.log),
    "sqrt_": _inplace("sqrt_", _ew.sqrt),
    "clamp_": _inplace("clamp_", _clamp),
    "clip_": _inplace("clip_", _clamp),
    "floor_": _inplace("floor_", _m.floor),
    "ceil_": _inplace("ceil_", _m.ceil),
    "round_": _inplace("round_", _m.round),
    "trunc_": _inplace("trunc_", _m.trunc),
    "relu_": _inplace("relu_", _act.relu),
    "sigmoid_": _inplace("sigmoid_", _act.sigmoid),
    "tanh_": _inplace("tanh_", _act.tanh),
    "masked_fill_": _inplace("masked_fill_", _ix.masked_fill),
    "index_add_": _inplace("index_add_", _ix.index_add),
    "scatter_": _inplace("scatter_", _ix.scatter),
    "scatter_add_": _inplace("scatter_add_", _ix.scatter_add),
    "lerp_": _inplace("lerp_", _bin.lerp),
}

# The elementwise math of ops/math_ops.py and ops/activation_zoo.py: t.sin(), t.erfinv(), ..., and their
# in-place forms t.sin_(), ...
for _name in ("sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "floor",
              "ceil", "trunc", "frac", "sign", "reciprocal", "rsqrt", "square", "exp2", "expm1", "log2", "log10",
              "log1p", "erf", "erfc", "erfinv", "fix"):
    _fn = getattr(_m, _name)
    _METHODS.setdefault(_name, _fn)
    _METHODS.setdefault(_name + "_", _inplace(_name + "_", _fn))
for _name in ("arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh"):
    _METHODS[_name] = getattr(_m, "a" + _name[3:])
for _name in ("eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal",
              "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor",
              "bitwise_not", "bitwise_left_shift", "bitwise_right_shift", "signbit", "isposinf", "isneginf"):
    _METHODS[_name] = getattr(_bin, _name)
for _name in ("gelu", "silu", "mish", "softplus", "hardtanh", "relu6", "hardsigmoid", "hardswish", "logsigmoid",
              "softsign"):
    _METHODS.setdefault(_name, getattr(_zoo, _name))

for _name, _method in _METHODS.items():
    setattr(Tensor, _name, _method)
