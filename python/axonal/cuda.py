"""``axonal.cuda``: what torch.cuda answers about the GPU, for axonal's optional CUDA backend.

Importing axonal never needs CuPy, a driver or a GPU: the backend is probed the first time one of these is
called or a tensor is moved to "cuda". With ``AXONAL_CUDA_EMULATE=1`` the emulated device answers instead
(host memory, the CUDA kernels compiled for the CPU), which is how CI tests the device code paths.
"""
from .backend import cuda as _cuda
from .backend import device as _device


def is_available():
    """True when tensors can be moved to "cuda" in this process."""
    return _cuda.status()[0] is not None


def unavailable_reason():
    """Why ``is_available()`` is False (None when it is True)."""
    return _cuda.status()[1]


def device_count():
    return _cuda.device_count()


def current_device():
    _cuda.backend()
    return 0


def get_device_name(device=None):
    return _cuda.backend(None if device is None else _index(device)).device_name()


def synchronize(device=None):
    """Waits until every kernel queued on the device has finished."""
    _cuda.backend(None if device is None else _index(device)).synchronize()


def is_emulated():
    """True when "cuda" is the emulated device (AXONAL_CUDA_EMULATE=1)."""
    bk = _cuda.status()[0]
    return isinstance(bk, _cuda.EmulatedBackend)


def _index(device):

    if isinstance(device, int):
        return device
    return _device(device).index
