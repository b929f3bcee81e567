"""Backend: what the layers above may ask of one device.

Every op, the autograd engine, the optimizers, init, random numbers, io and the data loader reach the hardware
only through a backend:

- ``xp``: the device's array module (NumPy on the CPU, CuPy on a GPU) for elementwise math, reductions,
  broadcasting and indexing. Array methods and operators (``a + b``, ``a.sum(axis)``) need no ``xp``.
- named kernels for what axonal computes itself (GEMM, convolution, pooling, fused activations and losses,
  batch norm, optimizer updates), all with the same Python signatures on every device;
- allocation, host transfers (``from_host`` / ``to_host``), random numbers drawn on the device, and
  ``owns`` (may the engine write into / give away this gradient array).

Shapes, dtypes and devices are validated before a kernel is called, once, in ``axonal.ops._checks`` (shared by
every backend); a backend's kernels assume valid arguments. Dtypes are NumPy dtypes on every device.
"""


class Backend:
    device = None  # an axonal.device
    xp = None  # the array module
    array_type = None  # the type of this device's arrays (what Tensor.data holds)

    # ---- memory -------------------------------------------------------------------------------------------
    def from_host(self, array):
        """A NumPy array as an array of this device (no copy on the CPU)."""
        raise NotImplementedError

    def to_host(self, array):
        """This device's array as a NumPy array (the array itself on the CPU)."""
        raise NotImplementedError

    def owns(self, array):
        """True when ``array`` holds its own memory (not a view), so the engine may keep it as a gradient."""
        raise NotImplementedError

    def uniform(self, shape, dtype):
        """Uniform [0, 1) samples of ``dtype`` from this device's generator (seeded by ax.manual_seed)."""
        raise NotImplementedError

    def synchronize(self):
        """Waits for the work queued on this device (nothing to wait for on the CPU)."""

    def __repr__(self):
        return f"<axonal backend {self.device}>"
