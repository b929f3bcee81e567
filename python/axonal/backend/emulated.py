"""The emulated CUDA device's arrays (``AXONAL_CUDA_EMULATE=1``): host memory that behaves like CuPy's.

None of this project's machines has a GPU, so the CUDA backend's Python code runs in CI against this stand-in
for CuPy: ``EmulatedArray`` is host memory marked as device memory, and ``xp`` a NumPy namespace that keeps
results on the "device". What it enforces is what CuPy enforces and what a CPU-only run would not catch:

- mixing device and host arrays in one call raises TypeError (CuPy refuses implicit transfers), so a host
  array that reaches a device op (``np.zeros`` instead of ``xp.zeros``, a mask built on the host) fails here;
- reductions and indexing give 0-d device arrays, never NumPy scalars (as CuPy does);
- ``Tensor.numpy()`` refuses, ``get()`` / ``xp.asnumpy`` copy to the host.

The kernels that run on these arrays are the CUDA sources compiled for the CPU (axonal._C_cuda_emu).
"""
import functools
import types

import numpy as np


class EmulatedArray(np.ndarray):
    """An ndarray standing in for device memory (see the module docstring)."""

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        args = _unwrap(inputs, ufunc.__name__)
        if out is not None:
            kwargs["out"] = _unwrap(out, ufunc.__name__)
        result = getattr(ufunc, method)(*args, **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _wrap(result)

    def __array_function__(self, func, types_, args, kwargs):
        name = getattr(func, "__name__", "function")
        return _wrap(func(*_unwrap(args, name), **dict(zip(kwargs, _unwrap(tuple(kwargs.values()), name)))))

    def __getitem__(self, key):
        return _wrap(np.ndarray.__getitem__(self, _unwrap_key(key)))

    def __setitem__(self, key, value):
        np.ndarray.__setitem__(self, _unwrap_key(key), _unwrap((value,), "setitem")[0])

    def __array_wrap__(self, array, context=None, return_scalar=False):
        return _wrap(array)

    # Methods that NumPy implements without a ufunc return NumPy scalars for full reductions: wrap them.
    def argmax(self, *a, **k): return _wrap(np.ndarray.argmax(self.view(np.ndarray), *a, **k))
    def argmin(self, *a, **k): return _wrap(np.ndarray.argmin(self.view(np.ndarray), *a, **k))
    def item(self, *a): return np.ndarray.item(self.view(np.ndarray), *a)
    def tolist(self): return self.view(np.ndarray).tolist()

    def get(self):
        """A host copy (CuPy's spelling)."""
        return np.array(self.view(np.ndarray), copy=True)

    def __reduce__(self):
        raise TypeError("[EmulatedArray] device arrays cannot be pickled; copy them to the host first (.get())")


def _is_host_array(x):
    return type(x) is np.ndarray and x.ndim > 0


def _unwrap(values, op):
    """The plain ndarrays behind EmulatedArrays (recursively in lists and tuples); raises for host arrays."""
    out = []
    for v in values:
        if isinstance(v, EmulatedArray):
            out.append(v.view(np.ndarray))
        elif isinstance(v, (list, tuple)):
            out.append(type(v)(_unwrap(v, op)))
        elif _is_host_array(v):
            raise TypeError(
                f"[{op}] a host (NumPy) array of shape {v.shape} met an array of the emulated CUDA device; "
                "move it with Tensor.to('cuda') / xp.asarray first (CuPy refuses implicit transfers too)")
        else:
            out.append(v)
    return tuple(out)


def _unwrap_key(key):
    # Index arrays may live on either side (CuPy accepts host index arrays too); only the device ones need
    # unwrapping, so that NumPy treats them as plain integer or boolean arrays.
    if isinstance(key, tuple):
        return tuple(k.view(np.ndarray) if isinstance(k, EmulatedArray) else k for k in key)
    return key.view(np.ndarray) if isinstance(key, EmulatedArray) else key


def _wrap(result):
    """Device arrays for array results, 0-d device arrays for scalars (as CuPy returns)."""
    if isinstance(result, EmulatedArray):
        return result
    if isinstance(result, np.ndarray):
        return result.view(EmulatedArray)
    if isinstance(result, np.generic):
        return np.asarray(result).view(EmulatedArray)
    if isinstance(result, tuple):
        return tuple(_wrap(r) for r in result)
    if isinstance(result, list):
        return [_wrap(r) for r in result]
    return result


def owns(array):
    """Whether an EmulatedArray holds its own memory: made fresh by _wrap (its base is a plain array that owns
    its data and that nobody else was given) or allocated directly, rather than a view of another array."""
    base = array.base
    if base is None:
        return True
    return type(base) is np.ndarray and base.base is None and base.shape == array.shape and base.dtype == array.dtype


def asarray(x, dtype=None):
    """A device array of x: no copy for a device array of that dtype, a copy from the host otherwise."""
    if isinstance(x, EmulatedArray):
        return x if dtype is None or x.dtype == np.dtype(dtype) else x.astype(dtype)
    return np.array(x, dtype=dtype, copy=True).view(EmulatedArray)


def array(x, dtype=None, copy=True):
    """A device array of x (a copy unless copy=False and x is already a device array of that dtype)."""
    if not copy and isinstance(x, EmulatedArray) and (dtype is None or x.dtype == np.dtype(dtype)):
        return x
    host = x.view(np.ndarray) if isinstance(x, EmulatedArray) else x
    return np.array(host, dtype=dtype, copy=True).view(EmulatedArray)


def asnumpy(x):
    return x.get() if isinstance(x, EmulatedArray) else np.asarray(x)


class _Ufunc:
    """A ufunc that refuses host arrays (xp.exp(host) must fail, as cupy.exp(numpy_array) does)."""

    def __init__(self, ufunc):
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__

    def _call(self, method, args, kwargs):
        args = _unwrap(args, self.__name__)
        if "out" in kwargs and kwargs["out"] is not None:
            out = kwargs["out"] if isinstance(kwargs["out"], tuple) else (kwargs["out"],)
            kwargs = dict(kwargs, out=_unwrap(out, self.__name__))
            getattr(self._ufunc, method)(*args, **kwargs)
            return out[0] if len(out) == 1 else out
        return _wrap(getattr(self._ufunc, method)(*args, **kwargs))

    def __call__(self, *args, **kwargs): return self._call("__call__", args, kwargs)
    def reduce(self, *args, **kwargs): return self._call("reduce", args, kwargs)
    def accumulate(self, *args, **kwargs): return self._call("accumulate", args, kwargs)
    def at(self, *args, **kwargs): self._call("at", args, kwargs)
    def outer(self, *args, **kwargs): return self._call("outer", args, kwargs)


def _device_function(fn):
    name = getattr(fn, "__name__", "function")

    @functools.wraps(fn)
    def call(*args, **kwargs):
        args = _unwrap(args, name)
        kwargs = dict(zip(kwargs, _unwrap(tuple(kwargs.values()), name)))
        return _wrap(fn(*args, **kwargs))

    return call


class _Namespace(types.ModuleType):
    """``xp`` of the emulated device: NumPy's names, with results kept on the device."""

    def __init__(self):
        super().__init__("axonal.backend.emulated.xp")
        self.ndarray = EmulatedArray
        self.asarray = asarray
        self.array = array
        self.asnumpy = asnumpy

    def __getattr__(self, name):
        attr = getattr(np, name)
        if isinstance(attr, np.ufunc):
            attr = _Ufunc(attr)
        elif callable(attr) and not isinstance(attr, type):
            attr = _device_function(attr)
        setattr(self, name, attr)  # looked up once
        return attr


xp = _Namespace()
