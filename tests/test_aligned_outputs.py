"""Arrays the kernels allocate start on a 64-byte boundary (csrc/bindings/aligned_array.h), stay alive as
long as any view of them does, and count as fresh memory for the autograd engine.

NumPy's allocator aligns to 16 bytes only, so each check allocates several arrays of different sizes: with
plain NumPy allocations about three in four would be misaligned and the check would fail.
"""
import copy
import gc
import pickle

import numpy as np
import pytest

import axonal as ax
from axonal import _C

SIZES = [1, 3, 7, 16, 33, 64, 100, 129]


def aligned(a):
    return a.ctypes.data % 64 == 0


def rand(*shape, dtype=np.float32):
    return np.random.default_rng(sum(shape)).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_matmul_outputs_are_aligned(dtype):
    for n in SIZES:
        a, b = rand(n, n + 1, dtype=dtype), rand(n + 1, n + 2, dtype=dtype)
        c = _C.matmul(a, b)
        assert aligned(c), f"matmul output for n={n} at address % 64 = {c.ctypes.data % 64}"
        assert type(c.base) is _C.AlignedBuffer
        assert c.flags.c_contiguous and c.flags.writeable and c.dtype == dtype
        np.testing.assert_allclose(c, a @ b, rtol=1e-4, atol=1e-4)


def test_conv_pool_and_activation_outputs_are_aligned():
    for n in SIZES[:5]:
        x = rand(2, 3, n + 4, n + 5)
        w = rand(4, 3, 3, 3)
        y = _C.conv2d_forward(x, w, None, (1, 1), (1, 1), (1, 1))
        dx = _C.conv2d_backward_input(y, w, x.shape, (1, 1), (1, 1), (1, 1))
        dw, db = _C.conv2d_backward_weight(y, x, w.shape, True, (1, 1), (1, 1), (1, 1))
        p, argmax = _C.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0))
        dp = _C.max_pool2d_backward(p, argmax, x.shape)
        q = _C.avg_pool2d_forward(x, (2, 2), (2, 2), (0, 0))
        dq = _C.avg_pool2d_backward(q, x.shape, (2, 2), (2, 2), (0, 0))
        r = _C.relu_forward(x)
        dr = _C.relu_backward(x, r)
        for name, arr in [("conv", y), ("conv dx", dx), ("conv dw", dw), ("conv db", db), ("max_pool", p),
                          ("max_pool dx", dp), ("avg_pool", q), ("avg_pool dx", dq), ("relu", r), ("relu dx", dr)]:
            assert aligned(arr), f"{name} output for n={n} is not 64-byte aligned"


def test_empty_outputs():
    c = _C.matmul(np.zeros((0, 5), np.float32), np.zeros((5, 3), np.float32))
    assert c.shape == (0, 3) and aligned(c)
    c = _C.matmul(np.ones((2, 0), np.float32), np.ones((0, 3), np.float32))
    np.testing.assert_array_equal(c, np.zeros((2, 3), np.float32))


def test_memory_lives_as_long_as_a_view():
    a, b = rand(40, 30), rand(30, 20)
    expected = a @ b
    c = _C.matmul(a, b)
    view = c[5:, 3:]
    del c
    gc.collect()
    for _ in range(20):  # reuse freed memory, were the buffer released too early
        _C.matmul(b.T.copy(), a.T.copy())
    np.testing.assert_allclose(view, expected[5:, 3:], rtol=1e-5, atol=1e-5)
    assert type(view.base.base) is _C.AlignedBuffer


def test_aligned_arrays_copy_and_pickle():
    c = _C.matmul(rand(8, 9), rand(9, 10))
    for other in (c.copy(), copy.deepcopy(c), pickle.loads(pickle.dumps(c))):
        np.testing.assert_array_equal(other, c)
        assert not np.shares_memory(other, c)


def test_autograd_accumulates_into_aligned_gradients_in_place():
    # The weight gradient of a Linear layer is a matmul output: the engine must treat it as fresh (take it as
    # .grad without a copy and accumulate later contributions into it), exactly like a NumPy-owned array.
    w = ax.tensor(rand(6, 5), requires_grad=True)
    x = ax.tensor(rand(4, 6))
    y = x @ w
    (y.sum() + (y * 2).sum()).backward()
    g = w.grad.numpy()
    assert type(g.base) is _C.AlignedBuffer
    np.testing.assert_allclose(g, 3 * x.numpy().T @ np.ones((4, 5), np.float32), rtol=1e-5)
