"""Shared test set-up.

- Test modules can import the helpers in this folder (``from torch_compare import ...``).
- Device tests are written once and parametrized over the devices present (a ``device`` argument): the CPU
  always, and "cuda" — a real GPU when CuPy and axonal's CUDA kernels find one, else the emulated device
  (host memory, the CUDA sources compiled for the CPU), which this file switches on for the session unless
  AXONAL_CUDA_EMULATE is set already. Tests of what happens without any GPU run in a subprocess with the
  emulation off (tests/test_device_absent.py).
"""
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)


def _real_gpu():
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # no CuPy, no driver, no device
        return False


if "AXONAL_CUDA_EMULATE" not in os.environ and not _real_gpu():
    os.environ["AXONAL_CUDA_EMULATE"] = "1"


def device_names():
    import axonal

    return ["cpu"] + (["cuda"] if axonal.cuda.is_available() else [])


def pytest_generate_tests(metafunc):
    """A test that takes a ``device`` argument runs once per device present."""
    if "device" in metafunc.fixturenames:
        metafunc.parametrize("device", device_names())
