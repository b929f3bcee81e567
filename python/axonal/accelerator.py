"""``axonal.accelerator``: torch.accelerator's questions (is there one, which) for the CUDA device."""
from . import cuda as _cuda
from .backend import device as _device


def is_available():
    return _cuda.is_available()


def current_accelerator(check_available=False):
    """The accelerator device (cuda), or None when there is none."""
    if _cuda.is_available():
        return _device("cuda", 0)
    return None


def device_count():
    return _cuda.device_count()


def synchronize(device=None):
    if _cuda.is_available():
        _cuda.synchronize(device)
