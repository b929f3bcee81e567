"""Tensor: a device array (NumPy on the CPU, CuPy on a GPU) plus what autograd needs.

This module is the lowest layer above the backends: it knows storage, devices and autograd state, and imports
no op. The arithmetic, the op methods (``t.sum()``, ``t @ u``, ``t.to()``) and ``backward()`` are bound onto
the class in one table, axonal/tensor_methods.py, which the package imports right after the ops.

``Tensor._make(array)`` is the one way a Tensor is built; ``Tensor(data)`` and the creation functions
convert user data and then go through it.
"""
from __future__ import annotations

import builtins
import numbers
from typing import TYPE_CHECKING, Any, Callable, Iterator

import numpy as np

from . import backend, dtypes
from .errors import DTypeError
from .grad_mode import is_grad_enabled
from .random import generator

_array_types = backend._by_type  # the array type of every device (filled as backends load)

if TYPE_CHECKING:  # what tensor_methods.py binds onto Tensor, for type checkers (generated: scripts/gen_stubs.py)
    from ._tensor_api import TensorMethods as _TensorMethods
else:
    _TensorMethods = object


class _InplaceCounter:
    updates = 0  # in-place updates so far in this process; 0 means backward need not check versions


inplace_updates = _InplaceCounter()


class Tensor(_TensorMethods):
    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_retains_grad", "_hooks", "_version", "__weakref__")
    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor's reflected operators

    def __init__(self, *data: Any, requires_grad: bool = False, dtype: Any = None, device: Any = None) -> None:
        """torch's legacy constructor: ``Tensor(data)`` (lists and numbers become the default float dtype;
        an array or a Tensor is wrapped with its dtype, without a copy), ``Tensor(2, 3)`` (an uninitialised
        tensor of that size: zeros here), ``Tensor()`` (empty)."""
        if not data or (all(isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in data)
                        and (len(data) > 1 or not isinstance(data[0], (bool, np.generic)))):
            array = np.zeros(tuple(int(d) for d in data) if data else (0,), dtype=dtype or dtypes.get_default_dtype())
        elif len(data) > 1:
            raise TypeError(f"[Tensor] expects one data argument or integer sizes, got {len(data)} arguments")
        else:
            array = data[0].data if isinstance(data[0], Tensor) else data[0]
            if type(array) not in backend._by_type:
                array = np.asarray(array, dtype=dtype or (None if isinstance(array, np.ndarray)
                                                          else dtypes.get_default_dtype()))
            elif dtype is not None and array.dtype != np.dtype(dtype):
                array = array.astype(dtype)
        if device is not None:
            array = backend.transfer(array, backend.get(device))
        _init(self, array)
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, array: Any) -> Tensor:
        """A tensor around ``array`` (no copy): an array of a device, or a NumPy scalar (made 0-d)."""
        t = cls.__new__(cls)  # _init's fields, inline: this runs for every op's result
        t.data = array if type(array) in _array_types else np.asarray(array)
        t.grad = t._ctx = t._hooks = None
        t._retains_grad = t.requires_grad = False
        t._version = 0
        return t

    # ---- properties -------------------------------------------------------------------------
    @property
    def dtype(self) -> np.dtype[Any]:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def device(self) -> backend.device:
        return backend.of(self.data).device

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return int(self.data.size)

    def element_size(self) -> int:
        return self.data.itemsize

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("[len] len() of a 0-d tensor")
        return self.data.shape[0]

    # ---- interop ----------------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The underlying array (shared memory, like torch's .numpy()); CPU tensors only."""
        if type(self.data) is not np.ndarray:
            raise TypeError(
                f"[numpy] can't convert a {self.device} tensor to numpy (shape {self.shape}); "
                "use Tensor.cpu() to copy it to host memory first")
        return self.data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        array = self.numpy()
        return array if dtype is None else array.astype(dtype, copy=False)

    def _host(self) -> np.ndarray:
        """The values as a NumPy array: the array itself on the CPU, a copy from a device."""
        return backend.of(self.data).to_host(self.data)

    def item(self) -> Any:
        if self.data.size != 1:
            raise ValueError("[item] only one-element tensors can be converted to a Python scalar, "
                             f"got shape {self.shape}")
        return self.data.reshape(()).item()

    def tolist(self) -> Any:
        return self._host().tolist()

    def cpu(self) -> Tensor:
        return self.to(backend.CPU)

    def cuda(self, device: Any = None) -> Tensor:
        if device is None:
            return self.to("cuda")
        return self.to(device if isinstance(device, (str, backend.device)) else f"cuda:{device}")

    # ---- autograd ---------------------------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self.data.dtype.kind != "f":
            raise DTypeError(f"[requires_grad_] only floating point tensors can require gradients, got {self.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> Tensor:
        self._retains_grad = True
        return self

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Calls ``hook(grad)`` when this tensor's gradient has been computed; a returned tensor replaces the
        gradient. Returns a handle whose ``remove()`` takes the hook off."""
        if not self.requires_grad:
            raise RuntimeError(f"[register_hook] cannot register a hook on a tensor that doesn't require grad "
                               f"(shape {self.shape})")
        return self._hook_list().add(self._hooks.grad_hooks, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> RemovableHandle:
        """Calls ``hook(tensor)`` after the gradient has been accumulated into this leaf's ``.grad``."""
        if self._ctx is not None:
            raise RuntimeError("[register_post_accumulate_grad_hook] only leaf tensors have their gradient "
                               f"accumulated (this one, of shape {self.shape}, was produced by an op)")
        return self._hook_list().add(self._hooks.post_hooks, hook)

    def _hook_list(self):
        if self._hooks is None:
            self._hooks = _Hooks()
        return self._hooks

    def detach(self) -> Tensor:
        return Tensor._make(self.data)

    def detach_(self) -> Tensor:
        self._ctx = None
        self.requires_grad = False
        return self

    # ---- in-place updates (no graph: for init, optimizers, manual edits) --------------------
    def _check_inplace(self, op):
        """Raises where an in-place write would corrupt the graph; else counts the write (the version check
        in backward catches a tensor an op used and that changed afterwards)."""
        if self.requires_grad and is_grad_enabled():
            if self._ctx is None:
                raise RuntimeError(
                    f"[{op}] a leaf tensor that requires grad (shape {self.shape}) is being modified in place; "
                    "wrap the update in `with axonal.no_grad():`")
            raise RuntimeError(f"[{op}] in-place writes into a tensor produced by an op (shape {self.shape}) are "
                               "only supported through the in-place ops (add_, mul_, ...)")
        self._version += 1
        inplace_updates.updates += 1

    def _same_device_array(self, value, op):
        """``value`` (a Tensor, an array or a number) as something this tensor's array can be assigned from."""
        bk = backend.of(self.data)
        if isinstance(value, Tensor):
            if type(value.data) is not bk.array_type:
                raise RuntimeError(f"[{op}] expected all tensors on one device, got {self.device} and {value.device}")
            return value.data
        if isinstance(value, numbers.Number) or bk is backend.cpu:
            return value
        return bk.from_host(np.asarray(value))

    def zero_(self) -> Tensor:
        self._check_inplace("zero_")
        self.data[...] = 0
        return self

    def fill_(self, value: Any) -> Tensor:
        self._check_inplace("fill_")
        self.data[...] = self._same_device_array(value, "fill_")
        return self

    def copy_(self, src: Any) -> Tensor:
        """Copies ``src`` (broadcast to this shape, from any device) into this tensor."""
        self._check_inplace("copy_")
        bk = backend.of(self.data)
        if isinstance(src, Tensor):
            src = backend.transfer(src.data, bk)
        elif bk is not backend.cpu:
            src = bk.from_host(np.asarray(src))
        try:
            src = bk.xp.broadcast_to(src, self.shape)
        except ValueError:
            raise ValueError(f"[copy_] cannot copy a source of shape {np.shape(src)} into shape {self.shape}") from None
        bk.xp.copyto(self.data, src, casting="same_kind")
        return self

    def uniform_(self, low: builtins.float = 0.0, high: builtins.float = 1.0) -> Tensor:
        self._check_inplace("uniform_")
        self.data[...] = self._same_device_array(generator().uniform(low, high, self.shape), "uniform_")
        return self

    def normal_(self, mean: builtins.float = 0.0, std: builtins.float = 1.0) -> Tensor:
        self._check_inplace("normal_")
        self.data[...] = self._same_device_array(generator().normal(mean, std, self.shape), "normal_")
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check_inplace("setitem")
        self.data[index_key(index)] = self._same_device_array(value, "setitem")

    # ---- display ----------------------------------------------------------------------------
    def __repr__(self) -> str:
        body = np.array2string(self._host(), separator=", ", prefix="tensor(")
        extra = []
        if self.data.dtype not in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool_):
            extra.append(f"dtype={self.data.dtype}")
        if type(self.data) is not np.ndarray:
            extra.append(f"device='{self.device}'")
        if self._ctx is not None:
            extra.append("grad_fn=<{}>".format(getattr(self._ctx, "name", "Function")))
        elif self.requires_grad:
            extra.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extra) + ")"

    def __bool__(self) -> builtins.bool:
        if self.data.size != 1:
            raise RuntimeError(f"[bool] the truth value of a tensor with shape {self.shape} is ambiguous")
        return bool(self.item())

    def __float__(self) -> builtins.float:
        return float(self.item())

    def __int__(self) -> builtins.int:
        return int(self.item())

    def __index__(self) -> builtins.int:
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("[index] only integer tensors of a single element can be used as an index, "
                            f"got {self.dtype} {self.shape}")
        return int(self.item())

    def __hash__(self) -> builtins.int:
        return id(self)

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]


def _init(t, array):
    t.data = array
    t.grad = None
    t._ctx = None
    t._retains_grad = False
    t._hooks = None
    t._version = 0
    t.requires_grad = False


class _Hooks:
    """A tensor's hooks, kept in order of registration; the autograd engine runs them."""

    __slots__ = ("grad_hooks", "post_hooks")

    def __init__(self):
        self.grad_hooks, self.post_hooks = [], []

    @staticmethod
    def add(hooks, hook):
        if not callable(hook):
            raise TypeError(f"[register_hook] a hook must be callable, got {type(hook).__name__}")
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def run_grad_hooks(self, tensor, g, owned):
        """(gradient after the hooks, whether the engine still owns it). A hook sees the gradient as a Tensor
        and may return a replacement (a Tensor of the same shape), or None to keep it."""
        for hook in list(self.grad_hooks):
            result = hook(Tensor._make(g))
            owned = False  # the hook may have kept a reference
            if result is not None:
                if not isinstance(result, Tensor) or result.shape != tensor.shape:
                    raise RuntimeError(f"[register_hook] a hook returned {type(result).__name__} "
                                       f"{getattr(result, 'shape', '')}; expected a Tensor of shape {tensor.shape}")
                g = result.data
        return g, owned

    def run_post_accumulate_hooks(self, tensor):
        for hook in list(self.post_hooks):
            hook(tensor)


class RemovableHandle:
    """What register_hook returns: ``remove()`` unregisters the hook (a second remove does nothing)."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def index_key(index):
    """Tensor indices become their arrays, so the array library does all the indexing."""
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index.data if isinstance(index, Tensor) else index


def is_tensor(x: object) -> bool:
    return isinstance(x, Tensor)
