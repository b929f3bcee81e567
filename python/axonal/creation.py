"""Functions that make tensors: from data, filled, ranges and random; each takes ``device=``.

Random tensors are drawn on the host by the global generator and then moved, so one seed gives the same
numbers on every device."""
import numpy as np

from . import backend, dtypes
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


def _new(array, device, requires_grad):
    """A tensor of the host array ``array`` on ``device`` (no copy on the CPU)."""
    t = Tensor._make(backend.get(device).from_host(array))
    return t.requires_grad_(True) if requires_grad else t


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of ``data`` (nested lists, scalars, arrays or a Tensor)."""
    if isinstance(data, Tensor):
        bk = backend.get(device) if device is not None else backend.of(data.data)
        array = backend.transfer(data.data, bk)
        if array is data.data:
            array = array.copy()
        t = Tensor._make(array if dtype is None else array.astype(dtype, copy=False))
        return t.requires_grad_(True) if requires_grad else t
    if isinstance(data, np.ndarray):
        array = np.array(data, dtype=dtype, copy=True)
    else:
        array = np.array(data)
        array = array.astype(dtype if dtype is not None else _infer_dtype(array), copy=False)
    return _new(array, device, requires_grad)


def from_numpy(array):
    """A tensor that shares memory with ``array`` (no copy)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"[from_numpy] expects a numpy.ndarray, got {type(array).__name__}")
    return Tensor._make(array)


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor) and (dtype is None or data.dtype == np.dtype(dtype)) and (
            device is None or data.device == backend.device(device)):
        return data
    if isinstance(data, np.ndarray) and device is None and (dtype is None or data.dtype == np.dtype(dtype)):
        return Tensor._make(data)
    return tensor(data, dtype=dtype, device=device)


def _filled(fill, size, dtype, device, requires_grad):
    bk = backend.get(device)
    t = Tensor._make(fill(bk.xp, _size(size), dtypes.resolve(dtype)))
    return t.requires_grad_(True) if requires_grad else t


def zeros(*size, dtype=None, device=None, requires_grad=False):
    return _filled(lambda xp, s, d: xp.zeros(s, dtype=d), size, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _filled(lambda xp, s, d: xp.ones(s, dtype=d), size, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    return _filled(lambda xp, s, d: xp.empty(s, dtype=d), size, dtype, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if dtype is None and isinstance(fill_value, (bool, int)) and not isinstance(fill_value, float):
        dtype = dtypes.bool_ if isinstance(fill_value, bool) else dtypes.int64
    return _filled(lambda xp, s, d: xp.full(s, fill_value, dtype=d), (size,), dtype, device, requires_grad)


def zeros_like(t, dtype=None, device=None, requires_grad=False):
    return zeros(*t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False):
    return ones(*t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("[arange] step must be nonzero")
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = dtypes.int64 if is_int else dtypes.get_default_dtype()
    return _new(np.arange(start, end, step, dtype=np.dtype(dtype)), device, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    return _new(np.linspace(start, end, int(steps), dtype=dtypes.resolve(dtype)), device, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False):
    """Uniform on [0, 1)."""
    data = generator().random(_size(size), dtype=np.float64).astype(dtypes.resolve(dtype))
    return _new(data, device, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False):
    """Standard normal."""
    data = generator().standard_normal(_size(size)).astype(dtypes.resolve(dtype))
    return _new(data, device, requires_grad)


def randint(low, high=None, size=(), dtype=None, device=None):
    if high is None:
        low, high = 0, low
    return _new(generator().integers(low, high, _size((size,))).astype(dtype or dtypes.int64), device, False)


def randperm(n, dtype=None, device=None):
    return _new(generator().permutation(int(n)).astype(dtype or dtypes.int64), device, False)
