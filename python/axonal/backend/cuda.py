"""The CUDA backend: CuPy arrays and axonal's own CUDA kernels (axonal._C_cuda), launched on CuPy's current stream.

The kernels take raw pointers and sizes (csrc/cuda); this module computes the sizes, allocates the results
with the array module and passes the pointers. ``AXONAL_CUDA_EMULATE=1`` gives the same backend on the
emulated device instead: EmulatedArray host memory (backend/emulated.py) and the same CUDA sources compiled
for the CPU (axonal._C_cuda_emu), so every line below runs in CI, where there is no GPU.

Only device 0 is driven by one process (several GPUs are used through data parallelism, one process each).
"""
import math
import os

import numpy as np

from .. import random as _random
from . import emulated
from .base import Backend
from .device import device
from .registry import register

_EMULATE_ENV = "AXONAL_CUDA_EMULATE"


class CudaBackend(Backend):
    """The kernels, shared by the real and the emulated device. Subclasses provide the memory side."""

    kernels = None  # axonal._C_cuda or axonal._C_cuda_emu

    def __init__(self):
        self.device = device("cuda", 0)

    # ---- what differs between CuPy and the emulation ------------------------------------------------------
    def ptr(self, a):
        raise NotImplementedError

    def stream(self):
        raise NotImplementedError

    # ---- GEMM ---------------------------------------------------------------------------------------------
    def _gemm_operand(self, x, batch, rows, cols):
        """(array, transposed, leading dim, batch stride) for x (..., rows, cols) read as ``batch`` matrices,
        in elements; a copy only when the matrices are neither row- nor column-major."""
        item = x.itemsize
        if x.ndim == 2:
            stride = 0
        else:
            x = self.xp.broadcast_to(x, batch + (rows, cols))
            if x.ndim > 3:
                x = (x.reshape((-1, rows, cols)) if _mergeable(x)
                     else self.xp.ascontiguousarray(x).reshape(-1, rows, cols))
            stride = x.strides[0] // item if x.ndim == 3 else 0
        s0, s1 = x.strides[-2] // item, x.strides[-1] // item
        if stride >= 0 and (s1 == 1 or cols == 1) and s0 >= max(cols, 1) and x.strides[-2] % item == 0:
            return x, False, max(s0, cols, 1), stride
        if stride >= 0 and (s0 == 1 or rows == 1) and s1 >= max(rows, 1) and x.strides[-1] % item == 0:
            return x, True, max(s1, rows, 1), stride
        x = self.xp.ascontiguousarray(self.xp.broadcast_to(x, batch + (rows, cols))).reshape(-1, rows, cols)
        return x, False, max(cols, 1), rows * cols

    def matmul(self, a, b):
        xp = self.xp
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        M, K, N = a.shape[-2], a.shape[-1], b.shape[-1]
        count = math.prod(batch)
        if count == 0 or M == 0 or N == 0 or K == 0:
            return xp.zeros(batch + (M, N), dtype=a.dtype)
        out = xp.empty(batch + (M, N), dtype=a.dtype)
        a3, ta, lda, sa = self._gemm_operand(a, batch, M, K)
        b3, tb, ldb, sb = self._gemm_operand(b, batch, K, N)
        self.kernels.gemm(a.dtype.char, ta, tb, count, M, N, K, 1.0, self.ptr(a3), lda, sa, self.ptr(b3), ldb, sb,
                          0.0, self.ptr(out), N, M * N, self.stream())
        return out

    # ---- activations and losses ---------------------------------------------------------------------------
    def relu_forward(self, x, inplace=False):
        if not x.flags.c_contiguous:
            return self.xp.maximum(x, 0, out=x) if inplace else self.xp.maximum(x, 0)
        out = x if inplace else self.xp.empty_like(x)
        self.kernels.relu_forward(x.dtype.char, self.ptr(out), self.ptr(x), x.size, self.stream())
        return out

    def relu_backward(self, g, out):
        if g.dtype != out.dtype or g.shape != out.shape or not (g.flags.c_contiguous and out.flags.c_contiguous):
            return g * (out > 0)
        dinp = self.xp.empty_like(g)
        self.kernels.relu_backward(g.dtype.char, self.ptr(dinp), self.ptr(g), self.ptr(out), g.size, False,
                                   self.stream())
        return dinp

    def bias_relu_(self, y, bias):
        if bias is not None and bias.dtype != y.dtype:
            y += bias
            bias = None
        M, N = y.shape
        self.kernels.bias_relu_forward(y.dtype.char, self.ptr(y), 0 if bias is None else self.ptr(bias), M, N, True,
                                       self.stream())
        return y

    def add_relu(self, a, b):
        if not (a.flags.c_contiguous and b.flags.c_contiguous):
            return super().add_relu(a, b)
        out = self.xp.empty_like(a)
        self.kernels.add_relu_forward(a.dtype.char, self.ptr(out), self.ptr(a), self.ptr(b), a.size, self.stream())
        return out

    def fused_ce_ready(self, logits, target, weight):
        return (logits.dtype.char in "fd" and logits.flags.c_contiguous and target.dtype == np.int64
                and target.flags.c_contiguous and (weight is None or (weight.dtype == logits.dtype
                                                                       and weight.flags.c_contiguous)))

    def softmax_cross_entropy(self, logits, target, weight, ignore_index, smoothing, need_grad):
        """As the CPU's, without its IndexError for a target out of range: checking would read the device's
        answer back on every call (a sync on the hot path). The kernel gives such a row a NaN loss instead,
        so the loss comes out NaN (and fit() stops with FloatingPointError), as a device-side error would."""
        xp, k, stream = self.xp, self.kernels, self.stream()
        M, C = logits.shape
        rows = xp.empty((M,), dtype=logits.dtype)
        dlogits = xp.empty_like(logits) if need_grad else None
        sums = xp.empty((2,), dtype=np.float64)
        k.softmax_cross_entropy(logits.dtype.char, self.ptr(rows), 0 if dlogits is None else self.ptr(dlogits),
                                self.ptr(logits), self.ptr(target), 0 if weight is None else self.ptr(weight), M, C,
                                ignore_index, smoothing, self.ptr(sums), stream)
        return rows, sums[0], sums[1], dlogits

    # ---- special functions NumPy / CuPy's core lack -------------------------------------------------------
    def _special(self, name, x):
        if x.dtype.char not in "fd":
            x = x.astype(np.float64)
        shape = x.shape  # ascontiguousarray makes a 0-d array 1-d (as NumPy's does)
        x = self.xp.ascontiguousarray(x)
        out = self.xp.empty_like(x)
        getattr(self.kernels, name)(x.dtype.char, self.ptr(out), self.ptr(x), x.size, self.stream())
        return out.reshape(shape)

    def erf(self, x):
        return self._special("erf", x)

    def erfc(self, x):
        return self._special("erfc", x)

    def erfinv(self, x):
        return self._special("erfinv", x)

    # ---- convolution and pooling (C-contiguous NCHW arrays) -----------------------------------------------
    def _conv_sizes(self, input_shape, weight_shape, stride, padding, dilation):
        N, C, H, W = input_shape
        K, _, R, S = weight_shape
        return (N, C, H, W, K, R, S, stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1])

    def conv2d_forward(self, x, w, b, stride, padding, dilation, relu=False, groups=1):
        sizes = self._conv_sizes(x.shape, w.shape, stride, padding, dilation)
        N, K = x.shape[0], w.shape[0]
        P = (x.shape[2] + 2 * padding[0] - dilation[0] * (w.shape[2] - 1) - 1) // stride[0] + 1
        Q = (x.shape[3] + 2 * padding[1] - dilation[1] * (w.shape[3] - 1) - 1) // stride[1] + 1
        out = self.xp.empty((N, K, P, Q), dtype=x.dtype)
        self.kernels.conv2d_forward(x.dtype.char, self.ptr(out), self.ptr(x), self.ptr(w),
                                    0 if b is None else self.ptr(b), *sizes, groups, relu, self.stream())
        return out

    def conv2d_backward_input(self, g, w, input_shape, stride, padding, dilation, groups=1):
        dinp = self.xp.zeros(input_shape, dtype=g.dtype)
        self.kernels.conv2d_backward_input(g.dtype.char, self.ptr(dinp), self.ptr(g), self.ptr(w),
                                           *self._conv_sizes(input_shape, w.shape, stride, padding, dilation),
                                           groups, self.stream())
        return dinp

    def conv2d_backward_weight(self, g, x, weight_shape, with_bias, stride, padding, dilation, groups=1):
        xp = self.xp
        dw = xp.zeros(weight_shape, dtype=g.dtype)
        db = xp.zeros((weight_shape[0],), dtype=g.dtype) if with_bias else None
        self.kernels.conv2d_backward_weight(g.dtype.char, self.ptr(dw), 0 if db is None else self.ptr(db), self.ptr(g),
                                            self.ptr(x), *self._conv_sizes(x.shape, weight_shape, stride, padding,
                                                                           dilation), groups, self.stream())
        return dw, db

    def max_pool2d_forward(self, x, kernel, stride, padding):
        N, C, H, W = x.shape
        P = (H + 2 * padding[0] - kernel[0]) // stride[0] + 1
        Q = (W + 2 * padding[1] - kernel[1]) // stride[1] + 1
        out = self.xp.empty((N, C, P, Q), dtype=x.dtype)
        argmax = self.xp.empty((N, C, P, Q), dtype=np.int32)
        self.kernels.max_pool2d_forward(x.dtype.char, self.ptr(out), self.ptr(argmax), self.ptr(x), N, C, H, W,
                                        *kernel, *stride, *padding, self.stream())
        return out, argmax

    def max_pool2d_backward(self, g, argmax, input_shape):
        dinp = self.xp.zeros(input_shape, dtype=g.dtype)
        N, C, H, W = input_shape
        self.kernels.max_pool2d_backward(g.dtype.char, self.ptr(dinp), self.ptr(g), self.ptr(argmax), N, C, H, W,
                                         g.shape[2], g.shape[3], self.stream())
        return dinp

    def avg_pool2d_forward(self, x, kernel, stride, padding, count_include_pad):
        N, C, H, W = x.shape
        P = (H + 2 * padding[0] - kernel[0]) // stride[0] + 1
        Q = (W + 2 * padding[1] - kernel[1]) // stride[1] + 1
        out = self.xp.empty((N, C, P, Q), dtype=x.dtype)
        self.kernels.avg_pool2d_forward(x.dtype.char, self.ptr(out), self.ptr(x), N, C, H, W, *kernel, *stride,
                                        *padding, count_include_pad, self.stream())
        return out

    def avg_pool2d_backward(self, g, input_shape, kernel, stride, padding, count_include_pad):
        dinp = self.xp.zeros(input_shape, dtype=g.dtype)
        self.kernels.avg_pool2d_backward(g.dtype.char, self.ptr(dinp), self.ptr(g), *input_shape, *kernel, *stride,
                                         *padding, count_include_pad, self.stream())
        return dinp

    # ---- batch norm (N, C, *spatial), C-contiguous --------------------------------------------------------
    def _bn_sizes(self, x):
        N, C = x.shape[0], x.shape[1]
        return N, C, x.size // max(N * C, 1)

    def _bn_kernel_takes(self, x, *channel_arrays):
        """Whether the kernels can take these arrays: they read every channel array through a raw pointer as x's
        type, so a float32 weight beside a float64 input (or a strided running stat, written in place) goes to the
        generic path instead of past the end of its buffer."""
        return (x.dtype.char in "fd" and x.size > 0
                and all(a is None or (a.dtype == x.dtype and a.flags.c_contiguous) for a in channel_arrays))

    def batch_norm_train(self, x, gamma, beta, running_mean, running_var, eps, momentum, relu):
        if not self._bn_kernel_takes(x, gamma, beta, running_mean, running_var):
            return super().batch_norm_train(x, gamma, beta, running_mean, running_var, eps, momentum, relu)
        xp = self.xp
        x = xp.ascontiguousarray(x)
        N, C, HW = self._bn_sizes(x)
        out = xp.empty_like(x)
        mean, invstd = xp.empty((C,), dtype=x.dtype), xp.empty((C,), dtype=x.dtype)
        opt = lambda a: 0 if a is None else self.ptr(a)  # noqa: E731
        self.kernels.batchnorm_forward_train(x.dtype.char, self.ptr(out), self.ptr(mean), self.ptr(invstd),
                                             self.ptr(x), opt(gamma), opt(beta), opt(running_mean), opt(running_var),
                                             N, C, HW, eps, momentum, relu, self.stream())
        return out, mean, invstd

    def batch_norm_eval(self, x, gamma, beta, running_mean, running_var, eps, relu):
        if not self._bn_kernel_takes(x, gamma, beta, running_mean, running_var):
            return super().batch_norm_eval(x, gamma, beta, running_mean, running_var, eps, relu)
        xp = self.xp
        x = xp.ascontiguousarray(x)
        N, C, HW = self._bn_sizes(x)
        out = xp.empty_like(x)
        opt = lambda a: 0 if a is None else self.ptr(a)  # noqa: E731
        self.kernels.batchnorm_forward_eval(x.dtype.char, self.ptr(out), self.ptr(x), opt(gamma), opt(beta),
                                            self.ptr(running_mean), self.ptr(running_var), N, C, HW, eps, relu,
                                            self.stream())
        return out

    def batch_norm_backward(self, g, x, out, mean, invstd, gamma, relu):
        if not (g.dtype == x.dtype and self._bn_kernel_takes(x, mean, invstd, gamma)
                and (out is None or out.dtype == x.dtype)):
            return super().batch_norm_backward(g, x, out, mean, invstd, gamma, relu)
        xp = self.xp
        g = xp.ascontiguousarray(g)
        x = xp.ascontiguousarray(x)
        out = None if out is None else xp.ascontiguousarray(out)
        N, C, HW = self._bn_sizes(x)
        dx = xp.zeros_like(x)
        dgamma, dbeta = xp.zeros((C,), dtype=x.dtype), xp.zeros((C,), dtype=x.dtype)
        self.kernels.batchnorm_backward(x.dtype.char, self.ptr(dx), self.ptr(dgamma), self.ptr(dbeta), self.ptr(g),
                                        self.ptr(x), 0 if out is None else self.ptr(out), self.ptr(mean),
                                        self.ptr(invstd), 0 if gamma is None else self.ptr(gamma), N, C, HW, relu,
                                        self.stream())
        return dx, dgamma, dbeta

    # ---- optimizer updates (in place) ---------------------------------------------------------------------
    def fused_update_ready(self, p, g, *state):
        arrays = (p, g) + state
        dt = p.dtype
        if dt.char not in "fd" or any(type(a) is not self.array_type or a.dtype != dt or a.shape != p.shape
                                      or not a.flags.c_contiguous for a in arrays):
            return False
        spans = sorted((self.ptr(a), self.ptr(a) + a.nbytes) for a in arrays)
        return all(end <= start for (_, end), (start, _) in zip(spans, spans[1:]))

    def sgd_update(self, p, g, buf, lr, momentum, dampening, weight_decay, nesterov, maximize, init_buf):
        self.kernels.sgd_update(p.dtype.char, self.ptr(p), self.ptr(g), 0 if buf is None else self.ptr(buf), p.size,
                                lr, momentum, dampening, weight_decay, nesterov, maximize, init_buf, self.stream())

    def adam_update(self, p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps, weight_decay,
                    decoupled, maximize, step_size, bias_correction2_sqrt):
        self.kernels.adam_update(p.dtype.char, self.ptr(p), self.ptr(g), self.ptr(exp_avg), self.ptr(exp_avg_sq),
                                 0 if max_exp_avg_sq is None else self.ptr(max_exp_avg_sq), p.size, lr, beta1, beta2,
                                 eps, weight_decay, decoupled, maximize, step_size, bias_correction2_sqrt,
                                 self.stream())


def _mergeable(x):
    """Whether the batch axes of x (..., rows, cols) collapse into one with a single stride (no copy)."""
    strides = x.strides[:-2]
    shape = x.shape[:-2]
    return all(strides[i] == strides[i + 1] * shape[i + 1] for i in range(len(shape) - 1))


class CupyBackend(CudaBackend):
    """A real GPU: CuPy arrays and axonal._C_cuda."""

    def __init__(self, cupy, kernels):
        super().__init__()
        self.xp, self.kernels, self.array_type = cupy, kernels, cupy.ndarray
        self._rng = cupy.random.RandomState()
        _random.on_seed(self._rng.seed)

    def ptr(self, a):
        return a.data.ptr

    def stream(self):
        return self.xp.cuda.get_current_stream().ptr

    def from_host(self, array):
        return self.xp.asarray(array)

    def to_host(self, array):
        return self.xp.asnumpy(array)

    def owns(self, array):
        return array.base is None

    def uniform(self, shape, dtype):
        dtype = np.dtype(dtype) if np.dtype(dtype).char in "fd" else np.dtype(np.float64)
        return self._rng.random_sample(shape, dtype=dtype)

    def synchronize(self):
        self.xp.cuda.Device().synchronize()

    def device_name(self):
        props = self.xp.cuda.runtime.getDeviceProperties(0)
        name = props["name"]
        return name.decode() if isinstance(name, bytes) else str(name)


class EmulatedBackend(CudaBackend):
    """The emulated GPU: host memory marked as device memory, and the CUDA kernels compiled for the CPU."""

    def __init__(self, kernels):
        super().__init__()
        self.xp, self.kernels, self.array_type = emulated.xp, kernels, emulated.EmulatedArray
        self._emulated = emulated
        self._rng = np.random.default_rng()
        _random.on_seed(self._seed)

    def _seed(self, seed):
        self._rng = np.random.default_rng(seed + 1)  # its own stream, as a device generator has

    def ptr(self, a):
        return a.ctypes.data

    def stream(self):
        return 0

    def from_host(self, array):
        return self._emulated.asarray(array)

    def to_host(self, array):
        return array.get()

    def owns(self, array):
        return self._emulated.owns(array)

    def uniform(self, shape, dtype):
        dtype = np.dtype(dtype) if np.dtype(dtype).char in "fd" else np.dtype(np.float64)
        return self._emulated.asarray(self._rng.random(shape, dtype=dtype))

    def device_name(self):
        return "axonal emulated CUDA device (host memory, CUDA kernels compiled for the CPU)"


_loaded = None  # (backend or None, reason it is None)


def _load():
    """The CUDA backend of this process, or None and the reason there is none; probed once."""
    if os.environ.get(_EMULATE_ENV, "") not in ("", "0"):
        try:
            from .. import _C_cuda_emu
        except ImportError as e:
            return None, f"{_EMULATE_ENV} is set but axonal._C_cuda_emu did not load ({e})"
        return EmulatedBackend(_C_cuda_emu), None
    try:
        import cupy
    except ImportError:
        return None, "CuPy is not installed (pip install 'axonal[cuda]')"
    try:
        from .. import _C_cuda
    except ImportError:
        return None, ("this axonal was built without its CUDA kernels; reinstall with "
                      "pip install '.[cuda]' -C cmake.define.AXONAL_CUDA=ON")
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # cupy raises CUDARuntimeError when there is no driver
        return None, f"no usable CUDA driver ({e})"
    if count < 1:
        return None, "no CUDA device is visible"
    return CupyBackend(cupy, _C_cuda), None


def status():
    """(backend or None, reason): loads and registers the backend the first time."""
    global _loaded
    if _loaded is None:
        _loaded = _load()
        if _loaded[0] is not None:
            register(_loaded[0])
    return _loaded


def backend(index=None):
    """The backend of cuda:``index``; RuntimeError saying why when there is none."""
    bk, reason = status()
    if bk is None:
        raise RuntimeError(f"[cuda] no CUDA device can be used: {reason}")
    if index not in (None, 0):
        raise RuntimeError(f"[cuda] cuda:{index} is not available: one process drives device 0 "
                           "(use one process per GPU, e.g. with axonal.distributed)")
    return bk


def device_count():
    bk, _ = status()
    if bk is None:
        return 0
    return 1


# ---- recurrent layers (appended: issue 15) ------------------------------------------------------------------
# No CUDA kernels yet: the array-module version of the same contract (backend/recurrent_xp.py), one matmul per
# step through this backend's GEMM kernel and CuPy elementwise math for the gates.
def _rnn_forward(self, mode, gates, h0, c0, w_hh, b_hh, batch_sizes, save, reverse, b_x):
    from . import recurrent_xp

    return recurrent_xp.rnn_forward(self.xp, self.matmul, mode, gates, h0, c0, w_hh, b_hh, batch_sizes, save, reverse,
                                    b_x)


def _rnn_backward(self, mode, grad_out, grad_h_n, grad_c_n, gates, saved, w_hh, with_bias, batch_sizes, reverse,
                  zero_h0, need_state_grads):
    from . import recurrent_xp

    return recurrent_xp.rnn_backward(self.xp, self.matmul, mode, grad_out, grad_h_n, grad_c_n, gates, saved, w_hh,
                                     with_bias, batch_sizes, reverse, zero_h0, need_state_grads)


CudaBackend.rnn_forward = _rnn_forward
CudaBackend.rnn_backward = _rnn_backward


def _embedding_backward(self, grad_out, indices, num_embeddings, padding_idx):
    # An xp scatter-add (ufunc.at; CuPy has it as cupy.add.at) until csrc/cuda has a kernel.
    xp = self.xp
    grad = xp.zeros((num_embeddings, grad_out.shape[1]), dtype=grad_out.dtype)
    if padding_idx >= 0:
        keep = indices != padding_idx
        indices, grad_out = indices[keep], grad_out[keep]
    xp.add.at(grad, indices, grad_out)
    return grad


CudaBackend.embedding_backward = _embedding_backward
