"""Tensor: a NumPy array plus what autograd needs (requires_grad, grad, the ctx that made it)."""
import numbers

import numpy as np

from . import dtypes
from .autograd import engine
from .autograd.grad_mode import is_grad_enabled


class Tensor:
    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_retains_grad", "__weakref__")
    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor's reflected operators

    def __init__(self, data, requires_grad=False, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        array = np.asarray(data) if dtype is None else np.asarray(data, dtype=dtype)
        self.data = array
        self.grad = None
        self._ctx = None
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, array):
        """Wraps an op's result without copying (NumPy scalars become 0-d arrays)."""
        t = cls.__new__(cls)
        t.data = array if isinstance(array, np.ndarray) else np.asarray(array)
        t.grad = None
        t._ctx = None
        t._retains_grad = False
        t.requires_grad = False
        return t

    # ---- properties -------------------------------------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def is_leaf(self):
        return self._ctx is None

    @property
    def device(self):
        return "cpu"

    def size(self, dim=None):
        return self.data.shape if dim is None else self.data.shape[dim]

    def dim(self):
        return self.data.ndim

    def numel(self):
        return int(self.data.size)

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("[len] len() of a 0-d tensor")
        return self.data.shape[0]

    # ---- interop ----------------------------------------------------------------------------
    def numpy(self):
        """The underlying array (shared memory, like torch's .numpy())."""
        return self.data

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"[item] only one-element tensors can be converted to a Python scalar, got shape {self.shape}")
        return self.data.reshape(()).item()

    def tolist(self):
        return self.data.tolist()

    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    def long(self):
        return self.to(dtypes.int64)

    def to(self, dtype=None, *args, **kwargs):
        if dtype is None or isinstance(dtype, str):  # .to("cpu") / .to(device="cpu")
            return self
        from .ops import elementwise

        return elementwise.cast(self, np.dtype(dtype))

    type = to

    def cpu(self):
        return self

    # ---- autograd ---------------------------------------------------------------------------
    def requires_grad_(self, requires_grad=True):
        if requires_grad and not np.issubdtype(self.data.dtype, np.floating):
            raise TypeError(f"[requires_grad_] only floating point tensors can require gradients, got {self.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self):
        self._retains_grad = True
        return self

    def backward(self, gradient=None, retain_graph=False):
        engine.backward(self, gradient, retain_graph=retain_graph)

    def detach(self):
        return Tensor._wrap(self.data)

    def detach_(self):
        self._ctx = None
        self.requires_grad = False
        return self

    def clone(self):
        from .ops import elementwise

        return elementwise.clone(self)

    # ---- in-place updates (no graph: for init, optimizers, manual edits) --------------------
    def _check_inplace(self, op):
        if self.requires_grad and self.is_leaf and is_grad_enabled():
            raise RuntimeError(
                f"[{op}] a leaf tensor that requires grad (shape {self.shape}) is being modified in place; "
                "wrap the update in `with axonal.no_grad():`"
            )

    def zero_(self):
        self._check_inplace("zero_")
        self.data[...] = 0
        return self

    def fill_(self, value):
        self._check_inplace("fill_")
        self.data[...] = value
        return self

    def copy_(self, src):
        self._check_inplace("copy_")
        src = src.data if isinstance(src, Tensor) else np.asarray(src)
        try:
            np.copyto(self.data, np.broadcast_to(src, self.shape), casting="same_kind")
        except ValueError:
            raise ValueError(f"[copy_] cannot copy a source of shape {np.shape(src)} into shape {self.shape}") from None
        return self

    def uniform_(self, low=0.0, high=1.0):
        from .random import generator

        self._check_inplace("uniform_")
        self.data[...] = generator().uniform(low, high, self.shape)
        return self

    def normal_(self, mean=0.0, std=1.0):
        from .random import generator

        self._check_inplace("normal_")
        self.data[...] = generator().normal(mean, std, self.shape)
        return self

    def __setitem__(self, index, value):
        self._check_inplace("setitem")
        if self._ctx is not None:
            raise RuntimeError(f"[setitem] in-place assignment into a tensor produced by an op (shape {self.shape}) is not supported")
        self.data[_index_key(index)] = value.data if isinstance(value, Tensor) else value

    # ---- display ----------------------------------------------------------------------------
    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extra = []
        if self.data.dtype not in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool_):
            extra.append(f"dtype={self.data.dtype}")
        if self._ctx is not None:
            extra.append("grad_fn=<{}>".format(getattr(self._ctx, "name", "Function")))
        elif self.requires_grad:
            extra.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extra) + ")"

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"[bool] the truth value of a tensor with shape {self.shape} is ambiguous")
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if not np.issubdtype(self.dtype, np.integer) or self.data.size != 1:
            raise TypeError(f"[index] only integer tensors of a single element can be used as an index, got {self.dtype} {self.shape}")
        return int(self.item())

    def __hash__(self):
        return id(self)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    # ---- arithmetic and ops: thin forwards into axonal.ops ----------------------------------
    def __add__(self, other): return _ew.add(self, other)
    def __radd__(self, other): return _ew.add(other, self)
    def __sub__(self, other): return _ew.sub(self, other)
    def __rsub__(self, other): return _ew.sub(other, self)
    def __mul__(self, other): return _ew.mul(self, other)
    def __rmul__(self, other): return _ew.mul(other, self)
    def __truediv__(self, other): return _ew.div(self, other)
    def __rtruediv__(self, other): return _ew.div(other, self)
    def __pow__(self, other): return _ew.pow(self, other)
    def __rpow__(self, other): return _ew.pow(other, self)
    def __neg__(self): return _ew.neg(self)
    def __pos__(self): return self
    def __abs__(self): return _ew.abs(self)
    def __matmul__(self, other): return _la.matmul(self, other)
    def __rmatmul__(self, other): return _la.matmul(other, self)
    def __getitem__(self, index): return _sh.index(self, index)

    # Comparisons give boolean tensors with no graph (as in torch).
    def __eq__(self, other): return Tensor._wrap(self.data == _raw(other))
    def __ne__(self, other): return Tensor._wrap(self.data != _raw(other))
    def __lt__(self, other): return Tensor._wrap(self.data < _raw(other))
    def __le__(self, other): return Tensor._wrap(self.data <= _raw(other))
    def __gt__(self, other): return Tensor._wrap(self.data > _raw(other))
    def __ge__(self, other): return Tensor._wrap(self.data >= _raw(other))
    def __invert__(self): return Tensor._wrap(~self.data)
    def __and__(self, other): return Tensor._wrap(self.data & _raw(other))
    def __or__(self, other): return Tensor._wrap(self.data | _raw(other))

    def add(self, other): return _ew.add(self, other)
    def sub(self, other): return _ew.sub(self, other)
    def mul(self, other): return _ew.mul(self, other)
    def div(self, other): return _ew.div(self, other)
    def pow(self, exponent): return _ew.pow(self, exponent)
    def neg(self): return _ew.neg(self)
    def exp(self): return _ew.exp(self)
    def log(self): return _ew.log(self)
    def sqrt(self): return _ew.sqrt(self)
    def abs(self): return _ew.abs(self)
    def clamp(self, min=None, max=None): return _ew.clamp(self, min, max)
    clip = clamp
    def matmul(self, other): return _la.matmul(self, other)
    def sum(self, dim=None, keepdim=False): return _rd.sum(self, dim, keepdim)
    def mean(self, dim=None, keepdim=False): return _rd.mean(self, dim, keepdim)
    def var(self, dim=None, keepdim=False, unbiased=True): return _rd.var(self, dim, keepdim, unbiased)
    def std(self, dim=None, keepdim=False, unbiased=True): return _rd.var(self, dim, keepdim, unbiased).sqrt()
    def max(self, dim=None, keepdim=False): return _rd.max(self, dim, keepdim)
    def min(self, dim=None, keepdim=False): return _rd.min(self, dim, keepdim)
    def argmax(self, dim=None, keepdim=False): return _rd.argmax(self, dim, keepdim)
    def argmin(self, dim=None, keepdim=False): return _rd.argmin(self, dim, keepdim)
    def reshape(self, *shape): return _sh.reshape(self, _shape_args(shape))
    def view(self, *shape): return _sh.reshape(self, _shape_args(shape))
    def view_as(self, other): return _sh.reshape(self, other.shape)
    def flatten(self, start_dim=0, end_dim=-1): return _sh.flatten(self, start_dim, end_dim)
    def transpose(self, dim0, dim1): return _sh.transpose(self, dim0, dim1)
    def permute(self, *dims): return _sh.permute(self, _shape_args(dims))
    def squeeze(self, dim=None): return _sh.squeeze(self, dim)
    def unsqueeze(self, dim): return _sh.unsqueeze(self, dim)
    def expand(self, *shape): return _sh.expand(self, _shape_args(shape))
    def contiguous(self): return self

    @property
    def T(self):
        return _sh.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    def relu(self): return _act.relu(self)
    def sigmoid(self): return _act.sigmoid(self)
    def tanh(self): return _act.tanh(self)
    def softmax(self, dim): return _act.softmax(self, dim)
    def log_softmax(self, dim): return _act.log_softmax(self, dim)


def _raw(x):
    return x.data if isinstance(x, Tensor) else x


def _index_key(index):
    """Tensor indices become their arrays, so NumPy does all the indexing."""
    if isinstance(index, tuple):
        return tuple(_raw(i) for i in index)
    return _raw(index)


def _shape_args(args):
    """Accepts both f(2, 3) and f((2, 3)), as torch does."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(map(int, args))


def is_tensor(x):
    return isinstance(x, Tensor)


def is_scalar(x):
    return isinstance(x, numbers.Number)


from .autograd import function as _function  # noqa: E402

_function._Tensor = Tensor

# Imported last: the op modules import Tensor from here.
from .ops import activation as _act  # noqa: E402
from .ops import elementwise as _ew  # noqa: E402
from .ops import linalg as _la  # noqa: E402
from .ops import reduce as _rd  # noqa: E402
from .ops import shape as _sh  # noqa: E402
