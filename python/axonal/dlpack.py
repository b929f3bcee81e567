"""DLPack: tensors shared with NumPy, PyTorch, CuPy, JAX, ... without a copy.

``Tensor.__dlpack__`` / ``Tensor.__dlpack_device__`` (bound onto Tensor in tensor_methods.py) hand out the
tensor's array through that array's own DLPack export: NumPy's on the CPU, CuPy's on a GPU (CuPy then orders
the consumer's ``stream`` after its current one). ``axonal.from_dlpack(x)`` imports any object that has those
two methods, onto the device the DLPack device names, sharing the memory.

The emulated CUDA device (``AXONAL_CUDA_EMULATE=1``) holds host memory. Its tensors export as what that memory
is, ``kDLCPU``: exporting them as ``kDLCUDA`` would have a consumer (PyTorch, CuPy) hand a host pointer to the
CUDA runtime. So NumPy and PyTorch's CPU side read an emulated tensor's memory in place, and that is the one
case where a tensor's DLPack device (CPU) differs from ``t.device`` (cuda:0). ``axonal.from_dlpack`` of an
axonal Tensor keeps its device, emulated or not. A real CUDA array cannot be imported while "cuda" is the
emulated device (there is no GPU memory to share): that raises, saying so.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import backend
from .tensor import Tensor

# DLDeviceType values (dlpack.h)
KDL_CPU, KDL_CUDA, KDL_CUDA_HOST, KDL_CUDA_MANAGED = 1, 2, 3, 13
_CPU_READABLE = (KDL_CPU, KDL_CUDA_HOST)  # pinned host memory is host memory to NumPy


def _array_kwargs(**kwargs: Any) -> dict[str, Any]:
    """The keyword arguments actually given: older NumPy / CuPy know only ``stream``."""
    return {k: v for k, v in kwargs.items() if v is not None}


def tensor_dlpack(self: Tensor, *, stream: Any = None, max_version: Any = None, dl_device: Any = None,
                  copy: bool | None = None) -> Any:
    """``Tensor.__dlpack__``: a DLPack capsule of this tensor's memory (no copy).

    Args:
        stream: the consumer's stream (CUDA tensors; must be None for CPU tensors, as the standard says).
        max_version, dl_device, copy: the array API standard's arguments, passed to NumPy / CuPy when given.

    Returns:
        A PyCapsule for the consumer's ``from_dlpack``.

    Raises:
        RuntimeError: the tensor requires grad (as in torch: export ``t.detach()``).
    """
    if self.requires_grad:
        raise RuntimeError(f"[__dlpack__] can't export a tensor that requires grad (shape {self.shape}); "
                           "use tensor.detach()")
    return self.data.__dlpack__(**_array_kwargs(stream=stream, max_version=max_version, dl_device=dl_device,
                                                copy=copy))


def tensor_dlpack_device(self: Tensor) -> tuple[int, int]:
    """``Tensor.__dlpack_device__``: (DLPack device type, device id): (1, 0) on the CPU and on the emulated
    device (host memory, see the module docstring), (2, 0) for a GPU tensor."""
    data = self.data
    if isinstance(data, np.ndarray):  # the CPU's arrays and the emulated device's (an ndarray subclass)
        return (KDL_CPU, 0)
    device_type, device_id = data.__dlpack_device__()
    return (int(device_type), int(device_id))


def from_dlpack(ext_tensor: Any) -> Tensor:
    """A tensor sharing memory with ``ext_tensor`` (a NumPy, PyTorch, CuPy, JAX ... array or an axonal Tensor).

    Args:
        ext_tensor: an object with ``__dlpack__`` and ``__dlpack_device__``.

    Returns:
        A Tensor (requires_grad False) on the CPU for host memory, on "cuda" for CUDA memory; an axonal
        Tensor keeps its device. Writes through either side are seen by the other.

    Raises:
        TypeError: ``ext_tensor`` does not speak DLPack, or its dtype has no NumPy / CuPy equivalent.
        RuntimeError: CUDA memory while no real CUDA device is usable (none, or the emulated one).
    """
    if isinstance(ext_tensor, Tensor):
        return Tensor._make(ext_tensor.data)
    if type(ext_tensor) is np.ndarray:
        return Tensor._make(ext_tensor)
    device = getattr(ext_tensor, "__dlpack_device__", None)
    if device is None or not hasattr(ext_tensor, "__dlpack__"):
        raise TypeError(f"[from_dlpack] expects an object with __dlpack__ and __dlpack_device__ (an array of NumPy, "
                        f"PyTorch, CuPy, JAX, ...), got {type(ext_tensor).__name__}")
    device_type, device_id = device()
    if device_type in _CPU_READABLE:
        return Tensor._make(_imported(np.from_dlpack, ext_tensor))
    if device_type in (KDL_CUDA, KDL_CUDA_MANAGED):
        bk = backend.cuda.backend(int(device_id))  # RuntimeError saying why when there is no CUDA device
        if isinstance(bk, backend.cuda.EmulatedBackend):
            raise RuntimeError("[from_dlpack] this is CUDA memory, but 'cuda' is axonal's emulated device "
                               "(AXONAL_CUDA_EMULATE=1, host memory): unset it to use the GPU")
        return Tensor._make(_imported(bk.xp.from_dlpack, ext_tensor))
    raise TypeError(f"[from_dlpack] DLPack device type {device_type} (device {device_id}) is neither host nor CUDA "
                    "memory; axonal has no device for it")


def _imported(from_dlpack: Any, ext_tensor: Any) -> Any:
    try:
        return from_dlpack(ext_tensor)
    except (BufferError, TypeError, ValueError, RuntimeError) as e:  # e.g. a dtype NumPy lacks (bfloat16)
        raise type(e)(f"[from_dlpack] {type(ext_tensor).__name__} could not be imported: {e}") from e
