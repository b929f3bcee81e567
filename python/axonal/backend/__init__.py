"""The seam between axonal's Python layer and the hardware: one Backend per device.

``of(array)`` gives the backend that owns an array (chosen by the array's type: numpy.ndarray -> the CPU,
cupy.ndarray -> the GPU, the emulated device's array type -> the emulated GPU); ``get(device)`` the backend of a
device, raising RuntimeError that says why when a CUDA device is asked for and none can be used.
"""
from .cpu import cpu
from .device import CPU, device

_by_type = {cpu.array_type: cpu}


def of(array):
    """The backend of ``array`` (a device array of a registered type)."""
    backend = _by_type.get(type(array))
    if backend is None:
        raise TypeError(f"[backend] {type(array).__name__} is not an array of any axonal device")
    return backend


def register(backend):
    """Makes ``of()`` recognise the arrays of ``backend`` (called once a CUDA backend is loaded)."""
    _by_type[backend.array_type] = backend


def get(dev):
    """The backend of device ``dev`` (a device, or a string such as 'cpu' or 'cuda:0')."""
    if dev is None:
        return cpu
    dev = dev if isinstance(dev, device) else device(dev)
    if dev.type == "cpu":
        return cpu
    from . import cuda

    return cuda.backend(dev.index)


__all__ = ["CPU", "cpu", "device", "get", "of", "register", "transfer"]


def transfer(array, target):
    """``array`` (of any device) as an array of backend ``target``: itself when it is already there."""
    source = of(array)
    if source is target:
        return array
    return target.from_host(source.to_host(array))
