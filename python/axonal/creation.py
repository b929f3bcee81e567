"""Functions that make tensors: from data, filled, ranges and random."""
import numpy as np

from . import dtypes
from .random import generator
from .tensor import Tensor


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    size = tuple(int(s) for s in size)
    if any(s < 0 for s in size):
        raise ValueError(f"[size] negative dimension in {size}")
    return size


def _infer_dtype(array):
    """torch's rule: Python floats become the default float dtype; ints int64; bools stay bool."""
    if array.dtype.kind == "f" and array.dtype != dtypes.float64:
        return array.dtype
    if array.dtype.kind == "f":
        return dtypes.get_default_dtype()
    if array.dtype.kind in "iu":
        return dtypes.int64
    return array.dtype


def tensor(data, dtype=None, requires_grad=False):
    """A new tensor holding a copy of ``data`` (nested lists, scalars, arrays or a Tensor)."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray):
        array = np.array(data, dtype=dtype, copy=True)
    else:
        array = np.array(data)
        array = array.astype(dtype if dtype is not None else _infer_dtype(array), copy=False)
    return Tensor(array, requires_grad=requires_grad)


def from_numpy(array):
    """A tensor that shares memory with ``array`` (no copy)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"[from_numpy] expects a numpy.ndarray, got {type(array).__name__}")
    return Tensor(array)


def as_tensor(data, dtype=None):
    if isinstance(data, Tensor) and (dtype is None or data.dtype == np.dtype(dtype)):
        return data
    if isinstance(data, np.ndarray) and (dtype is None or data.dtype == np.dtype(dtype)):
        return Tensor(data)
    return tensor(data, dtype=dtype)


def zeros(*size, dtype=None, requires_grad=False):
    return Tensor(np.zeros(_size(size), dtype=dtypes.resolve(dtype)), requires_grad=requires_grad)


def ones(*size, dtype=None, requires_grad=False):
    return Tensor(np.ones(_size(size), dtype=dtypes.resolve(dtype)), requires_grad=requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False):
    if dtype is None and isinstance(fill_value, (bool, int)) and not isinstance(fill_value, float):
        dtype = dtypes.bool_ if isinstance(fill_value, bool) else dtypes.int64
    return Tensor(np.full(_size((size,)), fill_value, dtype=dtypes.resolve(dtype)), requires_grad=requires_grad)


def empty(*size, dtype=None, requires_grad=False):
    return Tensor(np.empty(_size(size), dtype=dtypes.resolve(dtype)), requires_grad=requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    return zeros(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return ones(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("[arange] step must be nonzero")
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = dtypes.int64 if is_int else dtypes.get_default_dtype()
    return Tensor(np.arange(start, end, step, dtype=np.dtype(dtype)), requires_grad=requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False):
    return Tensor(np.linspace(start, end, int(steps), dtype=dtypes.resolve(dtype)), requires_grad=requires_grad)


def rand(*size, dtype=None, requires_grad=False):
    """Uniform on [0, 1)."""
    data = generator().random(_size(size), dtype=np.float64).astype(dtypes.resolve(dtype))
    return Tensor(data, requires_grad=requires_grad)


def randn(*size, dtype=None, requires_grad=False):
    """Standard normal."""
    data = generator().standard_normal(_size(size)).astype(dtypes.resolve(dtype))
    return Tensor(data, requires_grad=requires_grad)


def randint(low, high=None, size=(), dtype=None):
    if high is None:
        low, high = 0, low
    return Tensor(generator().integers(low, high, _size((size,))).astype(dtype or dtypes.int64))


def randperm(n, dtype=None):
    return Tensor(generator().permutation(int(n)).astype(dtype or dtypes.int64))
