"""The seam between axonal's Python layer and the hardware: one Backend per device.

``of(array)`` gives the backend that owns an array (chosen by the array's type: numpy.ndarray -> the CPU,
cupy.ndarray -> the GPU, the emulated device's array type -> the emulated GPU); ``get(device)`` the backend of a
device, raising RuntimeError that says why when a CUDA device is asked for and none can be used (the CUDA
backend is probed the first time it is asked for: importing axonal never needs CuPy or a driver).
"""
from . import cuda
from .cpu import cpu
from .device import CPU, device
from .registry import _by_type, of, register, transfer

register(cpu)


def get(dev):
    """The backend of device ``dev`` (a device, or a string such as 'cpu' or 'cuda:0')."""
    if dev is None:
        return cpu
    dev = dev if isinstance(dev, device) else device(dev)
    if dev.type == "cpu":
        return cpu
    return cuda.backend(dev.index)


__all__ = ["CPU", "cpu", "device", "get", "of", "register", "transfer"]
