"""The fused activation/loss kernels of csrc/kernels/activation.cpp (through axonal._C): the fast versions against
their naive references and against NumPy / a float64 definition at awkward sizes, bit for bit where NumPy's
result is the contract (ReLU, bias+ReLU), and the bindings' errors."""
import threading

import numpy as np
import pytest

from axonal import _C

SIZES = [1, 3, 7, 17, 65, 16385, 300_007]  # 16385: two kernel blocks; 300007: enough for a thread team
DTYPES = [np.float32, np.float64]


def rng(seed=0):
    return np.random.default_rng(seed)


def randn(*shape, dtype=np.float32, seed=0):
    return rng(seed).standard_normal(shape).astype(dtype)


def with_specials(a):
    """Signed zeros, NaN and infinities sprinkled in (the cases where a select and a max could differ)."""
    a = a.copy()
    flat = a.reshape(-1)
    specials = np.array([0.0, -0.0, np.nan, np.inf, -np.inf], dtype=a.dtype)
    flat[: min(flat.size, 5)] = specials[: min(flat.size, 5)]
    return a


def same_bits(a, b):
    """Equal including NaN positions and the sign of zeros."""
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(np.signbit(a), np.signbit(b))
    np.testing.assert_array_equal(a, b)


# ---- kernels against their references and NumPy --------------------------------------------------------
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_forward_kernel_is_numpy_maximum(n, dtype):
    x = with_specials(randn(n, dtype=dtype))
    expected = np.maximum(x, 0)
    same_bits(_C.relu_forward(x), expected)
    same_bits(_C.relu_forward(x, reference=True), expected)
    inplace = x.copy()
    assert _C.relu_forward(inplace, inplace) is inplace
    same_bits(inplace, expected)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_backward_kernel_is_numpy_mask_product(n, dtype):
    out = np.maximum(with_specials(randn(n, dtype=dtype, seed=1)), 0)
    g = with_specials(randn(n, dtype=dtype, seed=2)[::-1].copy())  # NaN/inf gradients meet zeros of out too
    with np.errstate(invalid="ignore"):  # inf * 0 where out <= 0: NaN, which the kernel must reproduce
        expected = g * (out > 0)
    same_bits(_C.relu_backward(g, out), expected)
    same_bits(_C.relu_backward(g, out, reference=True), expected)
    acc = randn(n, dtype=dtype, seed=3)
    want = acc + expected
    for reference in (False, True):
        buf = acc.copy()
        assert _C.relu_backward(g, out, buf, reference=reference) is buf
        same_bits(buf, want)


@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (65, 17), (64, 256), (300, 1100)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_bias_relu_kernel_is_add_then_maximum(shape, dtype):
    y = with_specials(randn(*shape, dtype=dtype))
    b = randn(shape[-1], dtype=dtype, seed=1)
    expected = np.maximum(y + b, 0)
    for reference in (False, True):
        buf = y.copy()
        assert _C.bias_relu_forward(buf, b, reference=reference) is buf
        same_bits(buf, expected)


def _xent_float64(logits, target, weight, ignore_index, smoothing):
    """The definition in float64 NumPy: per-row losses, their sum, the weight total and d(sum)/d(logits)."""
    x = logits.astype(np.float64)
    M, C = x.shape
    w = np.ones(C) if weight is None else weight.astype(np.float64)
    valid = target != ignore_index
    t = np.where(valid, target, 0)
    q = np.zeros((M, C))
    q[np.arange(M), t] = (1 - smoothing) * w[t]
    q += smoothing / C * w
    q *= valid[:, None]
    logp = x - x.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    rows = -(q * logp).sum(1)
    grad = np.exp(logp) * q.sum(1, keepdims=True) - q
    return rows, rows.sum(), w[t][valid].sum(), grad


@pytest.mark.parametrize("M, C", [(1, 1), (1, 3), (7, 10), (64, 10), (65, 17), (3, 1000), (2000, 17)])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_cross_entropy_kernel_matches_definition(M, C, weighted, smoothing, dtype):
    r = rng(M * 1000 + C)
    logits = (r.standard_normal((M, C)) * 4).astype(dtype)
    target = r.integers(0, C, M).astype(np.int64)
    if M > 2:
        target[1] = -100  # an ignored row
    weight = r.uniform(0.5, 2.0, C).astype(dtype) if weighted else None
    rows_ref, sum_ref, wsum_ref, grad_ref = _xent_float64(logits, target, weight, -100, smoothing)
    tol = 2e-5 if dtype == np.float32 else 1e-12
    for reference in (False, True):
        rows, loss_sum, weight_sum, grad = _C.softmax_cross_entropy(
            logits, target, weight, -100, smoothing, True, reference)
        assert rows.dtype == dtype and grad.dtype == dtype and rows.shape == (M,) and grad.shape == (M, C)
        np.testing.assert_allclose(rows, rows_ref, rtol=tol, atol=tol)
        np.testing.assert_allclose(loss_sum, sum_ref, rtol=tol, atol=tol)
        np.testing.assert_allclose(weight_sum, wsum_ref, rtol=1e-12)
        np.testing.assert_allclose(grad, grad_ref, rtol=tol, atol=tol)
        if M > 2:
            assert rows[1] == 0 and not grad[1].any()
    rows, loss_sum, _, grad = _C.softmax_cross_entropy(logits, target, weight, -100, smoothing, False)
    assert grad is None
    np.testing.assert_allclose(rows, rows_ref, rtol=tol, atol=tol)


def test_softmax_cross_entropy_kernel_is_stable_for_huge_logits():
    logits = np.array([[1e4, 0.0, -1e4], [-1e30, 1e30, 0.0]], dtype=np.float32)
    rows, _, _, grad = _C.softmax_cross_entropy(logits, np.array([0, 0]))
    assert np.isfinite(grad).all()
    np.testing.assert_allclose(rows, [0.0, 2e30], rtol=1e-6)


def test_kernels_release_the_gil_and_agree_across_threads():
    # Same inputs from four Python threads at once: every result must equal the single-threaded one.
    x = randn(200_000, seed=5)
    logits, target = randn(512, 10, seed=6), rng(7).integers(0, 10, 512)
    want = (_C.relu_forward(x), _C.softmax_cross_entropy(logits, target)[3])
    results = []

    def work():
        results.append((_C.relu_forward(x), _C.softmax_cross_entropy(logits, target)[3]))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4
    for r in results:
        same_bits(r[0], want[0])
        same_bits(r[1], want[1])


# ---- binding errors ------------------------------------------------------------------------------------
def _nc(*shape):
    return np.zeros(shape[:-1] + (2 * shape[-1],), dtype=np.float32)[..., ::2]


BINDING_ERRORS = [
    ("relu-list", lambda: _C.relu_forward([1.0]), TypeError, "relu", ["numpy.ndarray", "list"]),
    ("relu-int", lambda: _C.relu_forward(np.zeros(3, np.int64)), TypeError, "relu", ["int64", "(3,)"]),
    ("relu-noncontig", lambda: _C.relu_forward(_nc(2, 3)), ValueError, "relu", ["C-contiguous", "(2, 3)"]),
    ("relu-out-shape", lambda: _C.relu_forward(np.zeros(3, np.float32), np.zeros(4, np.float32)), ValueError, "relu",
     ["(4,)", "(3,)"]),
    ("relu-out-dtype", lambda: _C.relu_forward(np.zeros(3, np.float32), np.zeros(3)), TypeError, "relu",
     ["float64", "float32"]),
    ("relu-out-readonly", lambda: _readonly(3), ValueError, "relu", ["writeable"]),
    ("relu-out-overlap", lambda: _overlap_call(), ValueError, "relu", ["overlaps"]),
    ("relu_backward-shape", lambda: _C.relu_backward(np.zeros(3, np.float32), np.zeros(4, np.float32)), ValueError,
     "relu_backward", ["(4,)", "(3,)"]),
    ("relu_backward-dtype", lambda: _C.relu_backward(np.zeros(3, np.float32), np.zeros(3)), TypeError,
     "relu_backward", ["float64", "float32"]),
    ("bias_relu-bias-shape", lambda: _C.bias_relu_forward(np.zeros((2, 3), np.float32), np.zeros(4, np.float32)),
     ValueError, "bias_relu", ["(3,)", "(2, 3)", "(4,)"]),
    ("cross_entropy-1d", lambda: _C.softmax_cross_entropy(np.zeros(3, np.float32), np.zeros(3, np.int64)),
     ValueError, "cross_entropy", ["2-D", "(3,)"]),
    ("cross_entropy-target-dtype", lambda: _C.softmax_cross_entropy(np.zeros((2, 3), np.float32), np.zeros(2)),
     TypeError, "cross_entropy", ["int64", "float64"]),
    ("cross_entropy-target-shape", lambda: _C.softmax_cross_entropy(np.zeros((2, 3), np.float32),
                                                                      np.zeros(3, np.int64)),
     ValueError, "cross_entropy", ["(2,)", "(3,)"]),
    ("cross_entropy-target-range", lambda: _C.softmax_cross_entropy(np.zeros((2, 3), np.float32),
                                                                      np.array([0, 3])),
     IndexError, "cross_entropy", ["target 3", "3 classes", "(2, 3)"]),
    ("cross_entropy-weight", lambda: _C.softmax_cross_entropy(np.zeros((2, 3), np.float32), np.array([0, 1]),
                                                                np.ones(2, np.float32)),
     ValueError, "cross_entropy", ["(3,)", "(2,)"]),
    ("cross_entropy-smoothing", lambda: _C.softmax_cross_entropy(np.zeros((2, 3), np.float32), np.array([0, 1]),
                                                                   None, -100, 1.5),
     ValueError, "cross_entropy", ["label_smoothing", "1.5"]),
]


def _readonly(n):
    a = np.zeros(n, np.float32)
    a.flags.writeable = False
    return _C.relu_forward(np.zeros(n, np.float32), a)


def _overlap_call():
    buf = np.zeros(8, np.float32)
    return _C.relu_forward(buf[:6], buf[2:])


@pytest.mark.parametrize("case_id, call, exc, op, parts", BINDING_ERRORS, ids=[c[0] for c in BINDING_ERRORS])
def test_binding_errors_name_the_op_and_shapes(case_id, call, exc, op, parts):
    with pytest.raises(exc) as info:
        call()
    msg = str(info.value)
    assert msg.startswith(f"[{op}] "), msg
    for part in parts:
        assert part in msg, f"{part!r} missing from {msg!r}"
