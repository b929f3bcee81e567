"""The CPU backend: NumPy arrays, and the C++ kernels of axonal._C (OpenMP, AVX2/AVX-512 chosen at run time).

The bindings accept NumPy arrays and check what they need for memory safety themselves; the semantic checks
(shapes that fit together, dtypes, devices) ran before in axonal.ops._checks. Arrays the kernels allocate start
on a 64-byte cache line and are owned by an ``axonal._C.AlignedBuffer`` base.
"""
import numpy as np

from .. import _C
from ..random import generator
from .base import Backend
from .device import CPU

_AlignedBuffer = _C.AlignedBuffer
_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)


def kernel_ready(a):
    """True when the C++ elementwise kernels take ``a`` as it is: float32/float64, C-contiguous, aligned."""
    if a.dtype.char not in "fd":
        return False
    flags = a.flags
    return flags.c_contiguous and flags.aligned


def _gemm_ready(x):
    """x itself when the GEMM can read it in place, else a contiguous copy. In place means what the binding
    accepts: aligned data, rows contiguous with a row stride of at least a row, or the same for columns (a broadcast
    matrix with a row stride of 0, e.g. a gradient expanded from a sum over rows, needs the copy)."""
    if x.ndim >= 2 and x.flags.aligned:
        item, strides = x.itemsize, x.strides
        s0, s1 = strides[-2], strides[-1]
        rows, cols = x.shape[-2], x.shape[-1]
        if min(strides) >= 0 and (
            ((s1 == item or cols <= 1) and s0 >= max(cols, 1) * item)
            or ((s0 == item or rows <= 1) and s1 >= max(rows, 1) * item)
        ):
            return x
    return np.require(x, requirements="CA")  # not ascontiguousarray: it keeps an unaligned array as it is


def _kernel_copy(a):
    """a itself when C-contiguous and aligned, else such a copy (the kernels' bindings read raw memory)."""
    return a if a.flags.c_contiguous and a.flags.aligned else np.require(a, requirements="CA")


def _opt_copy(a):
    return None if a is None else _kernel_copy(a)


def _writable_kernel_ready(a):
    return kernel_ready(a) and a.flags.writeable


class CpuBackend(Backend):
    device = CPU
    xp = np
    array_type = np.ndarray

    # ---- memory -------------------------------------------------------------------------------------------
    def from_host(self, array):
        return array

    def to_host(self, array):
        return array

    def owns(self, array):
        base = array.base
        return base is None or type(base) is _AlignedBuffer

    def uniform(self, shape, dtype):
        return generator().random(shape, dtype=np.dtype(dtype) if np.dtype(dtype) in (_F32, _F64) else _F64)

    # ---- GEMM ---------------------------------------------------------------------------------------------
    def matmul(self, a, b):
        """a (..., M, K) @ b (..., K, N) for float arrays of one dtype with ndim >= 2, batches broadcast."""
        # The Linear-layer case first: two 2-D matrices straight to the binding (it checks layouts in C++,
        # ~0.1 us); anything it refuses (a view that needs a copy, an empty operand) takes the general path.
        if a.ndim == 2 and b.ndim == 2:
            if a.size and b.size:
                try:
                    return _C.matmul(a, b)
                except (TypeError, ValueError):
                    return _C.matmul(_gemm_ready(a), _gemm_ready(b))
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        M, K, N = a.shape[-2], a.shape[-1], b.shape[-1]
        if a.size == 0 or b.size == 0:
            # Empty operands (M, N, K or a batch of 0) give zeros, as in torch; _C.matmul refuses empty arrays.
            return np.zeros(batch + (M, N), dtype=a.dtype)
        if b.ndim == 2 and a.flags.c_contiguous:
            # Stacked rows against one matrix: a single big GEMM (the Linear-layer case).
            return _C.matmul(_gemm_ready(a.reshape(-1, K)), _gemm_ready(b)).reshape(*batch, M, N)
        a3 = _gemm_ready(np.broadcast_to(a, batch + (M, K)).reshape(-1, M, K))
        b3 = _gemm_ready(np.broadcast_to(b, batch + (K, N)).reshape(-1, K, N))
        return _C.matmul(a3, b3).reshape(*batch, M, N)

    # ---- activations --------------------------------------------------------------------------------------
    def relu_forward(self, x, inplace=False):
        """max(x, 0) (NaN passes); into x itself when ``inplace`` and the kernel can write it."""
        if kernel_ready(x):
            return _C.relu_forward(x, x) if inplace else _C.relu_forward(x)
        if inplace:
            return np.maximum(x, 0, out=x)
        return np.maximum(x, 0)

    def relu_backward(self, g, out):
        """g * (out > 0) for ReLU's result ``out``, as a new array."""
        if g.dtype is out.dtype and g.shape == out.shape and kernel_ready(g) and kernel_ready(out):
            return _C.relu_backward(g, out)
        return g * (out > 0)

    def bias_relu_(self, y, bias):
        """relu(y + bias) into y (a fresh C-contiguous (M, N) GEMM result; bias (N,) or None)."""
        if bias is not None and bias.dtype is y.dtype and kernel_ready(y) and kernel_ready(bias):
            _C.bias_relu_forward(y, bias)
            return y
        if bias is not None:
            y += bias
        return self.relu_forward(y, inplace=True)

    def add_relu(self, a, b):
        """max(a + b, 0) in one pass of the C++ kernel when a and b are kernel-ready arrays of one shape and dtype."""
        if a.shape == b.shape and a.dtype is b.dtype and a.size and kernel_ready(a) and kernel_ready(b):
            return _C.add_relu_forward(a, b)
        return super().add_relu(a, b)

    def softmax_cross_entropy(self, logits, target, weight, ignore_index, smoothing, need_grad):
        """(per-row losses (M,), loss sum, weight sum, dlogits or None) for (M, C) logits and int64 targets;
        the sums are float64 scalars of this device. Raises IndexError for a target out of range."""
        rows, loss_sum, weight_sum, dlogits = _C.softmax_cross_entropy(
            logits, target, weight, ignore_index, smoothing, need_grad)
        return rows, np.float64(loss_sum), np.float64(weight_sum), dlogits

    def fused_ce_ready(self, logits, target, weight):
        """Whether softmax_cross_entropy takes these arrays in place."""
        return (kernel_ready(logits) and target.dtype == np.int64 and target.flags.c_contiguous
                and target.flags.aligned
                and (weight is None or (weight.dtype == logits.dtype and kernel_ready(weight))))

    # ---- special functions NumPy lacks ---------------------------------------------------------------------
    # np.asarray: NumPy arithmetic on a 0-d array gives a scalar (gelu's erf(x / sqrt 2) of a 0-d tensor, found
    # by tests/test_property_ops.py), and the binding takes arrays only.
    def erf(self, x):
        return _C.erf(np.asarray(x))

    def erfc(self, x):
        return _C.erfc(np.asarray(x))

    def erfinv(self, x):
        return _C.erfinv(np.asarray(x))

    # ---- convolution and pooling (C-contiguous NCHW arrays) -----------------------------------------------
    # groups: the channels split into that many independent convolutions (depthwise: groups == C), one kernel call.
    # The kernels take their arguments by position (reference=False, no preallocated results): a keyword argument
    # makes pybind11 intern its name on every call, and the churn of CPython's interned-string table made it
    # rebuild that table (~1 MB) every few thousand steps, a step in the RSS of a long run (tests/test_soak.py).
    def conv2d_forward(self, x, w, b, stride, padding, dilation, relu=False, groups=1):
        return _C.conv2d_forward(x, w, b, stride, padding, dilation, False, relu, groups)

    def conv2d_backward_input(self, g, w, input_shape, stride, padding, dilation, groups=1):
        return _C.conv2d_backward_input(g, w, input_shape, stride, padding, dilation, False, None, groups)

    def conv2d_backward_weight(self, g, x, weight_shape, with_bias, stride, padding, dilation, groups=1):
        """(grad_weight, grad_bias or None)."""
        return _C.conv2d_backward_weight(g, x, weight_shape, with_bias, stride, padding, dilation, False, None, None,
                                         groups)

    def max_pool2d_forward(self, x, kernel, stride, padding):
        """(out, argmax): argmax int32, the flat h * W + w of each window's winner in its input plane."""
        return _C.max_pool2d_forward(x, kernel, stride, padding)

    def max_pool2d_backward(self, g, argmax, input_shape):
        return _C.max_pool2d_backward(g, argmax, input_shape)

    def avg_pool2d_forward(self, x, kernel, stride, padding, count_include_pad):
        return _C.avg_pool2d_forward(x, kernel, stride, padding, count_include_pad)

    def avg_pool2d_backward(self, g, input_shape, kernel, stride, padding, count_include_pad):
        return _C.avg_pool2d_backward(g, input_shape, kernel, stride, padding, count_include_pad)

    def adaptive_avg_pool2d_forward(self, x, out_size):
        if x.dtype.char not in "fd" or x.size == 0:
            return super().adaptive_avg_pool2d_forward(x, out_size)
        return _C.adaptive_avg_pool2d_forward(_kernel_copy(x), out_size)

    def adaptive_avg_pool2d_backward(self, g, input_shape):
        if g.dtype.char not in "fd" or g.size == 0:
            return super().adaptive_avg_pool2d_backward(g, input_shape)
        return _C.adaptive_avg_pool2d_backward(_kernel_copy(g), input_shape)

    # ---- batch norm (csrc/kernels/batchnorm.h): float32 / float64 with every per-channel array of x's dtype ----
    # x, the gradient and weight / bias are copied when not C-contiguous and aligned; the running statistics are
    # updated in place, so anything else (another dtype, a read-only or strided buffer, an empty input) takes
    # the generic path of the base class.
    def _bn_kernel_takes(self, x, *channel_arrays):
        return (x.dtype.char in "fd" and x.size > 0
                and all(a is None or a.dtype == x.dtype for a in channel_arrays))

    def batch_norm_train(self, x, gamma, beta, running_mean, running_var, eps, momentum, relu):
        stats_ok = running_mean is None or (_writable_kernel_ready(running_mean)
                                            and _writable_kernel_ready(running_var))
        if not (stats_ok and self._bn_kernel_takes(x, gamma, beta, running_mean, running_var)):
            return super().batch_norm_train(x, gamma, beta, running_mean, running_var, eps, momentum, relu)
        return _C.batch_norm_forward(_kernel_copy(x), _opt_copy(gamma), _opt_copy(beta), running_mean, running_var,
                                     True, momentum, eps, relu)

    def batch_norm_eval(self, x, gamma, beta, running_mean, running_var, eps, relu):
        if not self._bn_kernel_takes(x, gamma, beta, running_mean, running_var):
            return super().batch_norm_eval(x, gamma, beta, running_mean, running_var, eps, relu)
        out, _, _ = _C.batch_norm_forward(_kernel_copy(x), _opt_copy(gamma), _opt_copy(beta),
                                          _kernel_copy(running_mean), _kernel_copy(running_var), False, 0.0, eps, relu)
        return out

    def batch_norm_backward(self, g, x, out, mean, invstd, gamma, relu):
        return self._bn_backward(g, x, out, mean, invstd, gamma, relu, True)

    def batch_norm_backward_eval(self, g, x, out, mean, invstd, gamma, relu):
        return self._bn_backward(g, x, out, mean, invstd, gamma, relu, False)

    def _bn_backward(self, g, x, out, mean, invstd, gamma, relu, training):
        if not (g.dtype == x.dtype and self._bn_kernel_takes(x, mean, invstd, gamma)
                and (not relu or out.dtype == x.dtype)):
            generic = super().batch_norm_backward if training else super().batch_norm_backward_eval
            return generic(g, x, out, mean, invstd, gamma, relu)
        return _C.batch_norm_backward(_kernel_copy(g), _kernel_copy(x), _kernel_copy(mean), _kernel_copy(invstd),
                                      _opt_copy(gamma), training, _kernel_copy(out) if relu else None)

    # ---- optimizer updates (in place) ---------------------------------------------------------------------
    def fused_update_ready(self, p, g, *state):
        """Whether the fused update kernels take these arrays: one float dtype, C-contiguous and aligned, p and
        the state writeable, and the gradient not sharing memory with the parameter. (The state arrays are
        the optimizer's own; the kernel's binding still rejects any overlap among them.)"""
        dt = p.dtype
        if (dt != _F32 and dt != _F64) or g.dtype != dt:
            return False
        if not (p.flags.c_contiguous and p.flags.writeable and p.flags.aligned):
            return False
        if not (g.flags.c_contiguous and g.flags.aligned):
            return False
        for s in state:
            if type(s) is not np.ndarray or s.dtype != dt or s.shape != p.shape:
                return False
            if not (s.flags.c_contiguous and s.flags.writeable and s.flags.aligned):
                return False
        return not np.may_share_memory(p, g)

    # sgd_update(p, g, buf, lr, momentum, dampening, weight_decay, nesterov, maximize, init_buf) and
    # adam_update(p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps, weight_decay, decoupled,
    # maximize, step_size, bias_correction2_sqrt): the bindings themselves (same arguments), no Python layer.
    sgd_update = staticmethod(_C.sgd_update)
    adam_update = staticmethod(_C.adam_update)

cpu = CpuBackend()


# ---- recurrent layers (appended: issue 15) ------------------------------------------------------------------
def _rnn_forward(self, mode, gates, h0, c0, w_hh, b_hh, batch_sizes, save, reverse, b_x):
    """One layer and direction over a packed sequence (csrc/kernels/recurrent.h): (out, h_n, c_n or None,
    saved or None); ``gates`` (the input projections, without bias) is overwritten with the gate activations;
    b_x is the input-side bias (b_ih + b_hh; the GRU: b_ih) or None; h0 / c0 None mean zeros."""
    return _C.rnn_forward(mode, gates, h0, c0, w_hh, b_hh, batch_sizes, save, reverse, b_x)


def _rnn_backward(self, mode, grad_out, grad_h_n, grad_c_n, gates, saved, w_hh, with_bias, batch_sizes, reverse,
                  zero_h0, need_state_grads):
    """(d gates, d w_hh, d b_hh or None, d h0 or None, d c0 or None) for rnn_forward's results."""
    return _C.rnn_backward(mode, grad_out, grad_h_n, grad_c_n, gates, saved, w_hh, with_bias, batch_sizes, reverse,
                           zero_h0, need_state_grads)


CpuBackend.rnn_forward = _rnn_forward
CpuBackend.rnn_backward = _rnn_backward


def _embedding_backward(self, grad_out, indices, num_embeddings, padding_idx):
    """(num_embeddings, D) zeros with grad_out's rows (n, D) scatter-added at indices (n,) int64, padding_idx
    (-1: none) skipped."""
    return _C.embedding_backward(grad_out, indices, num_embeddings, padding_idx)


CpuBackend.embedding_backward = _embedding_backward
