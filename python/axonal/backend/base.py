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

    # ---- the residual join of a ResNet block -------------------------------------------------------------
    def add_relu(self, a, b):
        """max(a + b, 0) for two arrays of one shape and dtype (NaN passes)."""
        out = a + b
        return self.xp.maximum(out, 0, out=out)

    # ---- batch norm over (N, C, *spatial): written with xp here; a backend with kernels overrides these ------
    @staticmethod
    def _bn_axes(x):
        return (0,) + tuple(range(2, x.ndim)), (1, x.shape[1]) + (1,) * (x.ndim - 2)

    def batch_norm_train(self, x, gamma, beta, running_mean, running_var, eps, momentum, relu):
        """(out, mean, invstd) with the batch's statistics (biased variance); running_mean / running_var (or
        None) become (1 - momentum) * running + momentum * batch statistic, the variance unbiased, in place."""
        xp = self.xp
        axes, shape = self._bn_axes(x)
        mean = x.mean(axis=axes)
        centered = x - mean.reshape(shape)
        var = (centered * centered).mean(axis=axes)
        invstd = (1.0 / xp.sqrt(var + eps)).astype(x.dtype, copy=False)
        out = self._bn_affine(centered * invstd.reshape(shape), gamma, beta, shape, relu)
        if running_mean is not None:
            n = x.size // x.shape[1]
            running_mean *= 1 - momentum
            running_mean += (momentum * mean).astype(running_mean.dtype, copy=False)
            running_var *= 1 - momentum
            running_var += (momentum * n / (n - 1) * var).astype(running_var.dtype, copy=False)
        return out, mean, invstd

    def batch_norm_eval(self, x, gamma, beta, running_mean, running_var, eps, relu):
        """One scale-shift per channel: gamma / sqrt(var + eps) and beta - mean * that."""
        _, shape = self._bn_axes(x)
        scale = 1.0 / self.xp.sqrt(running_var + eps)
        if gamma is not None:
            scale = scale * gamma
        shift = -running_mean * scale if beta is None else beta - running_mean * scale
        out = x * scale.reshape(shape).astype(x.dtype, copy=False) + shift.reshape(shape).astype(x.dtype, copy=False)
        return self.xp.maximum(out, 0, out=out) if relu else out

    def _bn_affine(self, xhat, gamma, beta, shape, relu):
        out = xhat if gamma is None else xhat * gamma.reshape(shape)
        if beta is not None:
            out = out + beta.reshape(shape)
        return self.xp.maximum(out, 0) if relu else out  # NaN passes, as through the ReLU kernels

    def batch_norm_backward(self, g, x, out, mean, invstd, gamma, relu):
        """(dx, dgamma, dbeta) of batch norm in training mode; out is the forward's output when relu (the mask)."""
        axes, shape = self._bn_axes(x)
        if relu:
            g = g * (out > 0)
        xhat = (x - mean.reshape(shape)) * invstd.reshape(shape)
        dgamma = (g * xhat).sum(axis=axes)
        dbeta = g.sum(axis=axes)
        n = x.size // x.shape[1]
        dxhat = g if gamma is None else g * gamma.reshape(shape)
        dx = (dxhat - (dbeta if gamma is None else dbeta * gamma).reshape(shape) / n
              - xhat * ((dgamma if gamma is None else dgamma * gamma).reshape(shape) / n)) * invstd.reshape(shape)
        return dx, dgamma, dbeta

    def batch_norm_backward_eval(self, g, x, out, mean, invstd, gamma, relu):
        """(dx, dgamma, dbeta) of batch norm in evaluation mode: mean / invstd (the running statistics) are
        constants, so dx is one scale per channel."""
        axes, shape = self._bn_axes(x)
        if relu:
            g = g * (out > 0)
        xhat = (x - mean.reshape(shape)) * invstd.reshape(shape)
        scale = invstd if gamma is None else invstd * gamma
        return g * scale.reshape(shape).astype(g.dtype, copy=False), (g * xhat).sum(axis=axes), g.sum(axis=axes)

    # ---- adaptive average pooling over (N, C, H, W) to out_size (oh, ow), torch's windows ----------------------
    def adaptive_avg_pool2d_forward(self, x, out_size):
        """The mean of each window. The global case (1 x 1) is one mean; equal windows one reshape and one mean;
        otherwise one mean per window (the windows overlap when the size is not a multiple of the output)."""
        N, C, H, W = x.shape
        oh, ow = out_size
        if (oh, ow) == (1, 1):
            return x.mean(axis=(2, 3), keepdims=True)
        if H % oh == 0 and W % ow == 0:
            return x.reshape(N, C, oh, H // oh, ow, W // ow).mean(axis=(3, 5))
        out = self.xp.empty((N, C, oh, ow), dtype=x.dtype)
        for i, (h0, h1) in enumerate(adaptive_bins(H, oh)):
            for j, (w0, w1) in enumerate(adaptive_bins(W, ow)):
                out[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
        return out

    def adaptive_avg_pool2d_backward(self, g, input_shape):
        """The gradient w.r.t. the input (input_shape), g (N, C, oh, ow) spread evenly over each window."""
        xp = self.xp
        N, C, H, W = input_shape
        oh, ow = g.shape[2], g.shape[3]
        if (oh, ow) == (1, 1):
            return xp.broadcast_to(g / (H * W), input_shape)
        if H % oh == 0 and W % ow == 0:
            kh, kw = H // oh, W // ow
            return xp.broadcast_to((g / (kh * kw))[:, :, :, None, :, None], (N, C, oh, kh, ow, kw)).reshape(input_shape)
        grad = xp.zeros(input_shape, dtype=g.dtype)
        for i, (h0, h1) in enumerate(adaptive_bins(H, oh)):
            for j, (w0, w1) in enumerate(adaptive_bins(W, ow)):
                grad[:, :, h0:h1, w0:w1] += (g[:, :, i, j] / ((h1 - h0) * (w1 - w0)))[:, :, None, None]
        return grad

    def __repr__(self):
        return f"<axonal backend {self.device}>"


def adaptive_bins(size, out):
    """torch's adaptive pooling windows along one axis: [floor(i * size / out), ceil((i + 1) * size / out))."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]
