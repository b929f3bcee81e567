"""Functions that make tensors: from data, filled, ranges and random; each takes ``device=``.

Random tensors are drawn on the host by the global generator and then moved, so one seed gives the same
numbers on every device."""
from __future__ import annotations

from typing import Any

import numpy as np

from . import backend, dtypes
from ._alloc import fill_drawn, names_memory_errors
from ._typing import DeviceLike, DTypeLike, Size
from .random import Generator, rng_of
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


@names_memory_errors("tensor")
def tensor(data: Any, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, scalars, arrays or a Tensor).

    Args:
        data: the values. Python floats become the default float dtype, ints int64, bools bool (torch's rule).
        dtype: the element type instead of the inferred one.
        device: where the tensor lives: "cpu" (default) or "cuda".
        requires_grad: record operations on it for autograd (floating-point dtypes only).

    Returns:
        A new Tensor that owns its memory.
    """
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


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares memory with ``array`` (no copy): writes through either are seen by the other.

    Args:
        array: a NumPy array, of any dtype and strides.

    Returns:
        A CPU Tensor over the same memory.
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"[from_numpy] expects a numpy.ndarray, got {type(array).__name__}")
    return Tensor._make(array)


@names_memory_errors("as_tensor")
def as_tensor(data: Any, dtype: DTypeLike = None, device: DeviceLike = None) -> Tensor:
    """``data`` as a tensor, without a copy when it already is one (or a NumPy array) of that dtype and device.

    Args:
        data: a Tensor, an array, a list or a number.
        dtype: the element type wanted (default: keep / infer).
        device: the device wanted (default: keep / the CPU).

    Returns:
        ``data`` itself, a Tensor sharing its memory, or a converted copy.
    """
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


@names_memory_errors("zeros")
def zeros(*size: Size, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with 0.

    Args:
        *size: the shape, as ``f(2, 3)`` or ``f((2, 3))``.
        dtype: the element type (default: float32, ``ax.get_default_dtype()``).
        device: where the tensor lives: "cpu" (default) or "cuda".
        requires_grad: record operations on it for autograd.

    Returns:
        A new Tensor of that shape.
    """
    return _filled(lambda xp, s, d: xp.zeros(s, dtype=d), size, dtype, device, requires_grad)


@names_memory_errors("ones")
def ones(*size: Size, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with 1.

    Args:
        *size: the shape, as ``f(2, 3)`` or ``f((2, 3))``.
        dtype: the element type (default: float32, ``ax.get_default_dtype()``).
        device: where the tensor lives: "cpu" (default) or "cuda".
        requires_grad: record operations on it for autograd.

    Returns:
        A new Tensor of that shape.
    """
    return _filled(lambda xp, s, d: xp.ones(s, dtype=d), size, dtype, device, requires_grad)


@names_memory_errors("empty")
def empty(*size: Size, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor whose values are not initialised (whatever the allocator gives).

    Args:
        *size: the shape, as ``f(2, 3)`` or ``f((2, 3))``.
        dtype: the element type (default: float32, ``ax.get_default_dtype()``).
        device: where the tensor lives: "cpu" (default) or "cuda".
        requires_grad: record operations on it for autograd.

    Returns:
        A new Tensor of that shape.
    """
    return _filled(lambda xp, s, d: xp.empty(s, dtype=d), size, dtype, device, requires_grad)


@names_memory_errors("full")
def full(size: Size, fill_value: float | int | bool, dtype: DTypeLike = None, device: DeviceLike = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value`` (an int gives int64, a bool bool, unless ``dtype`` says otherwise).

    Args:
        size: the shape.
        fill_value: the value of every element.
        dtype: the element type (default: float32, ``ax.get_default_dtype()``).
        device: where the tensor lives: "cpu" (default) or "cuda".
        requires_grad: record operations on it for autograd.

    Returns:
        A new Tensor of that shape.
    """
    if dtype is None and isinstance(fill_value, (bool, int)) and not isinstance(fill_value, float):
        dtype = dtypes.bool_ if isinstance(fill_value, bool) else dtypes.int64
    return _filled(lambda xp, s, d: xp.full(s, fill_value, dtype=d), (size,), dtype, device, requires_grad)


def _like(t, dtype, device):
    return dict(dtype=dtype or t.dtype, device=device or t.device)


@names_memory_errors("zeros_like")
def zeros_like(t: Tensor, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """Zeros of ``t``'s shape (and its dtype and device unless given).

    Args:
        t: the tensor whose shape is used.
        dtype: the element type (default: float32, ``ax.get_default_dtype()``).
        device: where the tensor lives: "cpu" (default) or "cuda".
        requires_grad: record operations on it for autograd.

    Returns:
        A new Tensor of that shape.
    """
    return zeros(*t.shape, **_like(t, dtype, device), requires_grad=requires_grad)


@names_memory_errors("ones_like")
def ones_like(t: Tensor, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    """Ones of ``t``'s shape (and its dtype and device unless given).

    Args:
        t: the tensor whose shape is used.
        dtype: the element type (default: float32, ``ax.get_default_dtype()``).
        device: where the tensor lives: "cpu" (default) or "cuda".
        requires_grad: record operations on it for autograd.

    Returns:
        A new Tensor of that shape.
    """
    return ones(*t.shape, **_like(t, dtype, device), requires_grad=requires_grad)


@names_memory_errors("empty_like")
def empty_like(t: Tensor, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    return empty(*t.shape, **_like(t, dtype, device), requires_grad=requires_grad)


@names_memory_errors("full_like")
def full_like(t: Tensor, fill_value: float | int | bool, dtype: DTypeLike = None, device: DeviceLike = None,
              requires_grad: bool = False) -> Tensor:
    return full(t.shape, fill_value, **_like(t, dtype, device), requires_grad=requires_grad)


@names_memory_errors("rand_like")
def rand_like(t: Tensor, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False,
              generator: Generator | None = None) -> Tensor:
    return rand(*t.shape, **_like(t, dtype, device), requires_grad=requires_grad, generator=generator)


@names_memory_errors("randn_like")
def randn_like(t: Tensor, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False,
               generator: Generator | None = None) -> Tensor:
    return randn(*t.shape, **_like(t, dtype, device), requires_grad=requires_grad, generator=generator)


@names_memory_errors("randint_like")
def randint_like(t: Tensor, low: int = 0, high: int | None = None, dtype: DTypeLike = None, device: DeviceLike = None,
                 generator: Generator | None = None) -> Tensor:
    low, high = (0, low) if high is None else (low, high)
    return randint(low, high, t.shape, dtype=dtype or t.dtype, device=device or t.device, generator=generator)


@names_memory_errors("arange")
def arange(start: float, end: float | None = None, step: float = 1, dtype: DTypeLike = None, device: DeviceLike = None,
           requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (excluded) in steps of ``step``; ``arange(n)`` is 0 .. n-1.

    Args:
        start: the first value (or the end, when ``end`` is None).
        end: the bound, not included.
        step: the difference between neighbours.
        dtype: the element type (default: int64 for integer arguments, else the default float dtype).
        device: where the tensor lives.
        requires_grad: record operations on it for autograd.

    Returns:
        A 1-D Tensor.
    """
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("[arange] step must be nonzero")
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = dtypes.int64 if is_int else dtypes.get_default_dtype()
    return _new(np.arange(start, end, step, dtype=np.dtype(dtype)), device, requires_grad)


def _steps(op, steps):
    if int(steps) < 0:
        raise RuntimeError(f"[{op}] number of steps must be non-negative, got {steps}")
    return int(steps)


@names_memory_errors("linspace")
def linspace(start: float, end: float, steps: int, dtype: DTypeLike = None, device: DeviceLike = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included.

    Args:
        start: the first value.
        end: the last value.
        steps: how many values.
        dtype: the element type (default: the default float dtype).
        device: where the tensor lives.
        requires_grad: record operations on it for autograd.

    Returns:
        A 1-D Tensor of ``steps`` elements.
    """
    dtype = dtypes.resolve(dtype)
    if dtype == dtypes.bool_:
        raise RuntimeError("[linspace] bool is not a supported dtype")
    values = np.linspace(float(start), float(end), _steps("linspace", steps))
    if dtype.kind in "iu":  # torch truncates toward zero
        values = np.trunc(values)
    return _new(values.astype(dtype), device, requires_grad)


@names_memory_errors("logspace")
def logspace(start: float, end: float, steps: int, base: float = 10.0, dtype: DTypeLike = None,
             device: DeviceLike = None, requires_grad: bool = False) -> Tensor:
    values = np.power(float(base), np.linspace(float(start), float(end), _steps("logspace", steps)))
    return _new(values.astype(dtypes.resolve(dtype)), device, requires_grad)


@names_memory_errors("eye")
def eye(n: int, m: int | None = None, dtype: DTypeLike = None, device: DeviceLike = None,
        requires_grad: bool = False) -> Tensor:
    """The identity matrix (ones on the diagonal).

    Args:
        n: rows.
        m: columns (default: ``n``).
        dtype: the element type (default: the default float dtype).
        device: where the tensor lives.
        requires_grad: record operations on it for autograd.

    Returns:
        A Tensor of shape (n, m).
    """
    m = n if m is None else m
    if n < 0 or m < 0:
        raise ValueError(f"[eye] n and m must be non-negative, got {n}, {m}")
    return _new(np.eye(int(n), int(m), dtype=dtypes.resolve(dtype)), device, requires_grad)


def _drawn(size, dtype, draw):
    """A new host array of ``size`` and ``dtype`` holding draw(n)'s float64 samples, drawn in chunks (the same
    numbers as one draw of the whole shape, without a float64 temporary of its full size)."""
    out = np.empty(_size(size), dtype=dtypes.resolve(dtype))
    fill_drawn(out.reshape(-1), draw)
    return out


@names_memory_errors("rand")
def rand(*size: Size, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False,
         generator: Generator | None = None) -> Tensor:
    """Samples uniform on [0, 1), from axonal's generator (``ax.manual_seed``) or ``generator``.

    Args:
        *size: the shape, as ``f(2, 3)`` or ``f((2, 3))``.
        dtype: the element type (default: float32, ``ax.get_default_dtype()``).
        device: where the tensor lives: "cpu" (default) or "cuda".
        requires_grad: record operations on it for autograd.
        generator: an axonal.Generator instead of the global one.

    Returns:
        A new Tensor of that shape.
    """
    rng = rng_of(generator)
    return _new(_drawn(size, dtype, lambda n: rng.random(n, dtype=np.float64)), device, requires_grad)


@names_memory_errors("randn")
def randn(*size: Size, dtype: DTypeLike = None, device: DeviceLike = None, requires_grad: bool = False,
          generator: Generator | None = None) -> Tensor:
    """Samples of the standard normal, from axonal's generator (``ax.manual_seed``) or ``generator``.

    Args:
        *size: the shape, as ``f(2, 3)`` or ``f((2, 3))``.
        dtype: the element type (default: float32, ``ax.get_default_dtype()``).
        device: where the tensor lives: "cpu" (default) or "cuda".
        requires_grad: record operations on it for autograd.
        generator: an axonal.Generator instead of the global one.

    Returns:
        A new Tensor of that shape.
    """
    rng = rng_of(generator)
    return _new(_drawn(size, dtype, rng.standard_normal), device, requires_grad)


@names_memory_errors("randint")
def randint(*args: int | Size, size: Size | None = None, dtype: DTypeLike = None, device: DeviceLike = None,
            generator: Generator | None = None) -> Tensor:
    """torch's forms: randint(high, size), randint(low, high, size), with size= as a keyword too."""
    args = list(args)
    if args and isinstance(args[-1], (tuple, list)):
        size = args.pop()
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TypeError(f"[randint] expects (high, size) or (low, high, size), got {tuple(args)}")
    if size is None:
        raise TypeError("[randint] missing the size argument")
    size = (size,) if isinstance(size, int) else tuple(size)
    if high <= low:
        raise RuntimeError(f"[randint] low ({low}) must be less than high ({high})")
    data = rng_of(generator).integers(low, high, _size((size,))).astype(dtype or dtypes.int64)
    return _new(data, device, False)


@names_memory_errors("randperm")
def randperm(n: int, dtype: DTypeLike = None, device: DeviceLike = None, generator: Generator | None = None) -> Tensor:
    """A random permutation of 0 .. n-1.

    Args:
        n: the number of elements.
        dtype: the element type (default: int64).
        device: where the tensor lives.
        generator: an axonal.Generator instead of the global one.

    Returns:
        A 1-D Tensor of ``n`` distinct integers.
    """
    return _new(rng_of(generator).permutation(int(n)).astype(dtype or dtypes.int64), device, False)


@names_memory_errors("normal")
def normal(mean: float | Tensor = 0.0, std: float | Tensor = 1.0, size: Size | None = None, *,
           generator: Generator | None = None, dtype: DTypeLike = None, device: DeviceLike = None) -> Tensor:
    """Samples of N(mean, std**2): the shape of ``size``, or of mean/std when they are tensors."""
    m = mean._host() if isinstance(mean, Tensor) else np.asarray(mean, dtype=np.float64)
    s = std._host() if isinstance(std, Tensor) else np.asarray(std, dtype=np.float64)
    shape = _size((size,)) if size is not None else np.broadcast_shapes(np.shape(m), np.shape(s))
    out_dtype = dtype or (mean.dtype if isinstance(mean, Tensor) else std.dtype if isinstance(std, Tensor)
                          else dtypes.get_default_dtype())
    dev = device or (mean.device if isinstance(mean, Tensor) else std.device if isinstance(std, Tensor) else None)
    return _new(rng_of(generator).normal(m, s, shape).astype(out_dtype), dev, False)


@names_memory_errors("bernoulli")
def bernoulli(p: float | Tensor, *, generator: Generator | None = None) -> Tensor:
    """1 with probability p (elementwise), else 0, in p's dtype and device."""
    probs = p._host()
    if ((probs < 0) | (probs > 1)).any():
        raise RuntimeError("[bernoulli] probabilities must be in [0, 1]")
    return _new((rng_of(generator).random(probs.shape) < probs).astype(p.dtype), p.device, False)


@names_memory_errors("multinomial")
def multinomial(probs: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None) -> Tensor:
    """Class indices drawn from each row of (unnormalised, non-negative) weights ``probs`` (1-D or 2-D)."""
    w = probs._host().astype(np.float64)
    rows = w.reshape(1, -1) if w.ndim == 1 else w
    if (rows < 0).any() or not np.isfinite(rows).all() or (rows.sum(axis=1) <= 0).any():
        raise RuntimeError("[multinomial] probabilities must be finite, non-negative and not all zero")
    if not replacement and num_samples > (rows > 0).sum(axis=1).min():
        raise RuntimeError(f"[multinomial] cannot draw {num_samples} samples without replacement from fewer "
                           "categories with nonzero probability")
    rng = rng_of(generator)
    out = np.stack([rng.choice(r.size, size=num_samples, replace=replacement, p=r / r.sum()) for r in rows])
    out = out.reshape(num_samples) if w.ndim == 1 else out
    return _new(out.astype(np.int64), probs.device, False)
