"""NumPy wrappers around the raw-pointer API of axonal._C_cuda_emu (the emulated CUDA kernels), for the
tests: each allocates its outputs like the CPU bindings do and passes arrays' .ctypes.data as pointers.
Inputs are made C-contiguous first, so a pointer always means a dense array."""
import numpy as np
import pytest

from axonal import _C_cuda_emu as E

STREAM = 0
SCHEDULES = ["forward", "reverse", "shuffle"]


@pytest.fixture(params=SCHEDULES)
def schedule(request):
    """Runs the test under each order of the emulated threads (and blocks); back to forward afterwards."""
    E.set_schedule(request.param, seed=20240613)
    yield request.param
    E.set_schedule("forward")


def ptr(a):
    return 0 if a is None else a.ctypes.data


def dense(a):
    assert a.flags.c_contiguous, "pass C-contiguous arrays"
    return a


def ch(a):
    return a.dtype.char


def conv_out(size, k, stride, pad, dil):
    return (size + 2 * pad - dil * (k - 1) - 1) // stride + 1


def conv2d_forward(x, w, b, stride, padding, dilation, groups=1, relu=False):
    n, c, h, wd = x.shape
    k, cg, r, s = w.shape
    p, q = conv_out(h, r, stride[0], padding[0], dilation[0]), conv_out(wd, s, stride[1], padding[1], dilation[1])
    out = np.full((n, k, p, q), np.nan, x.dtype)  # overwritten: NaN shows any cell the kernel misses
    E.conv2d_forward(ch(x), ptr(out), ptr(dense(x)), ptr(dense(w)), ptr(b), n, c, h, wd, k, r, s, *stride, *padding,
                     *dilation, groups, relu, STREAM)
    return out


def conv2d_backward_input(g, w, x_shape, stride, padding, dilation, groups=1, dinp=None):
    n, c, h, wd = x_shape
    k, cg, r, s = w.shape
    dinp = np.zeros(x_shape, g.dtype) if dinp is None else dinp
    E.conv2d_backward_input(ch(g), ptr(dinp), ptr(dense(g)), ptr(dense(w)), n, c, h, wd, k, r, s, *stride, *padding,
                            *dilation, groups, STREAM)
    return dinp


def conv2d_backward_weight(g, x, w_shape, with_bias, stride, padding, dilation, groups=1, dw=None, db=None):
    n, c, h, wd = x.shape
    k, cg, r, s = w_shape
    dw = np.zeros(w_shape, g.dtype) if dw is None else dw
    db = (np.zeros(k, g.dtype) if db is None else db) if with_bias else None
    E.conv2d_backward_weight(ch(g), ptr(dw), ptr(db), ptr(dense(g)), ptr(dense(x)), n, c, h, wd, k, r, s, *stride,
                             *padding, *dilation, groups, STREAM)
    return dw, db


def pool_out(size, k, stride, pad):
    return (size + 2 * pad - k) // stride + 1


def max_pool2d_forward(x, kernel, stride, padding):
    n, c, h, w = x.shape
    p, q = pool_out(h, kernel[0], stride[0], padding[0]), pool_out(w, kernel[1], stride[1], padding[1])
    out = np.full((n, c, p, q), np.nan, x.dtype)
    am = np.full((n, c, p, q), -7, np.int32)
    E.max_pool2d_forward(ch(x), ptr(out), ptr(am), ptr(dense(x)), n, c, h, w, *kernel, *stride, *padding, STREAM)
    return out, am


def max_pool2d_backward(g, am, x_shape, dinp=None):
    n, c, h, w = x_shape
    dinp = np.zeros(x_shape, g.dtype) if dinp is None else dinp
    E.max_pool2d_backward(ch(g), ptr(dinp), ptr(dense(g)), ptr(dense(am)), n, c, h, w, g.shape[2], g.shape[3], STREAM)
    return dinp


def avg_pool2d_forward(x, kernel, stride, padding, count_include_pad=True):
    n, c, h, w = x.shape
    p, q = pool_out(h, kernel[0], stride[0], padding[0]), pool_out(w, kernel[1], stride[1], padding[1])
    out = np.full((n, c, p, q), np.nan, x.dtype)
    E.avg_pool2d_forward(ch(x), ptr(out), ptr(dense(x)), n, c, h, w, *kernel, *stride, *padding, count_include_pad,
                         STREAM)
    return out


def avg_pool2d_backward(g, x_shape, kernel, stride, padding, count_include_pad=True, dinp=None):
    n, c, h, w = x_shape
    dinp = np.zeros(x_shape, g.dtype) if dinp is None else dinp
    E.avg_pool2d_backward(ch(g), ptr(dinp), ptr(dense(g)), n, c, h, w, *kernel, *stride, *padding, count_include_pad,
                          STREAM)
    return dinp


def softmax_cross_entropy(logits, target, weight=None, ignore_index=-100, smoothing=0.0, need_grad=True):
    m, c = logits.shape
    loss = np.full(m, np.nan, logits.dtype)
    dl = np.full((m, c), np.nan, logits.dtype) if need_grad else None
    sums = np.full(2, np.nan)
    E.softmax_cross_entropy(ch(logits), ptr(loss), ptr(dl), ptr(dense(logits)), ptr(dense(target)), ptr(weight), m, c,
                            ignore_index, smoothing, ptr(sums), STREAM)
    return loss, float(sums[0]), float(sums[1]), dl


def check_targets(target, c, ignore_index=-100):
    result = np.array([12345], np.int64)
    E.softmax_cross_entropy_check_targets(ptr(dense(target)), target.shape[0], c, ignore_index, ptr(result), STREAM)
    return int(result[0])
