"""axonal._C pooling kernels: fast vs reference at awkward sizes, vs torch, accumulation, and errors."""
import numpy as np
import pytest

from axonal import _C

DTYPES = [np.float32, np.float64]
# (kernel, stride, padding) grid of the brief; padding must stay <= kernel // 2.
GEOMS = [
    (k, s, p)
    for k in [(2, 2), (3, 3), (3, 2), (1, 1)]
    for s in [(1, 1), (2, 2), (3, 3)]
    for p in [(0, 0), (1, 1)]
    if p[0] <= k[0] // 2 and p[1] <= k[1] // 2
]
# Odd and even planes, single rows/columns, and one case big enough for parallel_for to use threads.
SHAPES = [(1, 1, 1, 1), (3, 5, 7, 17), (1, 5, 28, 28), (3, 1, 17, 2), (1, 1, 2, 7), (3, 5, 28, 7), (4, 9, 28, 28)]


def out_size(n, k, s, p):
    return (n + 2 * p - k) // s + 1


def fits(shape, k, s, p):
    return out_size(shape[2], k[0], s[0], p[0]) >= 1 and out_size(shape[3], k[1], s[1], p[1]) >= 1


def distinct(shape, dtype, seed=0):
    """Random values with no ties (so max pooling has one winner per window), in [-1, 1)."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    return (2.0 * rng.permutation(n) / n - 1.0).reshape(shape).astype(dtype)


def geom_id(g):
    k, s, p = g
    return f"k{k[0]}x{k[1]}-s{s[0]}-p{p[0]}"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geom", GEOMS, ids=geom_id)
def test_fast_matches_reference(geom, dtype):
    k, s, p = geom
    rng = np.random.default_rng(1)
    for shape in SHAPES:
        if not fits(shape, k, s, p):
            continue
        x = distinct(shape, dtype)
        out, am = _C.max_pool2d_forward(x, k, s, p)
        out_r, am_r = _C.max_pool2d_forward(x, k, s, p, reference=True)
        np.testing.assert_array_equal(out, out_r, err_msg=str(shape))
        np.testing.assert_array_equal(am, am_r, err_msg=str(shape))
        g = rng.standard_normal(out.shape).astype(dtype)
        np.testing.assert_array_equal(
            _C.max_pool2d_backward(g, am, shape), _C.max_pool2d_backward(g, am, shape, reference=True)
        )
        for cip in (True, False):
            a = _C.avg_pool2d_forward(x, k, s, p, count_include_pad=cip)
            a_r = _C.avg_pool2d_forward(x, k, s, p, count_include_pad=cip, reference=True)
            np.testing.assert_allclose(a, a_r, rtol=1e-6, atol=0, err_msg=str(shape))
            d = _C.avg_pool2d_backward(g, shape, k, s, p, count_include_pad=cip)
            d_r = _C.avg_pool2d_backward(g, shape, k, s, p, count_include_pad=cip, reference=True)
            np.testing.assert_allclose(d, d_r, rtol=1e-6, atol=0, err_msg=str(shape))


def compare_with_torch(kind, x, k, s, p, count_include_pad=True):
    """Forward output (and argmax for max) plus the input gradient for a random upstream gradient."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    tol = dict(rtol=1e-5, atol=1e-6) if x.dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    if kind == "max":
        yt, it = F.max_pool2d(xt, k, s, p, return_indices=True)
        y, am = _C.max_pool2d_forward(x, k, s, p)
        np.testing.assert_array_equal(am, it.numpy().astype(np.int32))
    else:
        yt = F.avg_pool2d(xt, k, s, p, count_include_pad=count_include_pad)
        y = _C.avg_pool2d_forward(x, k, s, p, count_include_pad=count_include_pad)
    np.testing.assert_allclose(y, yt.detach().numpy(), **tol)
    g = np.random.default_rng(2).standard_normal(y.shape).astype(x.dtype)
    yt.backward(torch.from_numpy(g))
    if kind == "max":
        dx = _C.max_pool2d_backward(g, am, x.shape)
    else:
        dx = _C.avg_pool2d_backward(g, x.shape, k, s, p, count_include_pad=count_include_pad)
    np.testing.assert_allclose(dx, xt.grad.numpy(), **tol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geom", GEOMS, ids=geom_id)
def test_matches_torch(geom, dtype):
    k, s, p = geom
    for shape in [(3, 5, 7, 17), (1, 1, 2, 7), (4, 9, 28, 28)]:
        if not fits(shape, k, s, p):
            continue
        x = distinct(shape, dtype, seed=3)
        compare_with_torch("max", x, k, s, p)
        compare_with_torch("avg", x, k, s, p, count_include_pad=True)
        compare_with_torch("avg", x, k, s, p, count_include_pad=False)


@pytest.mark.parametrize("reference", [False, True])
def test_max_nan_and_neg_inf_like_torch(reference):
    torch = pytest.importorskip("torch")
    x = distinct((2, 3, 9, 8), np.float32, seed=4)
    x[0, 0, 1, 1] = np.nan
    x[0, 0, 2, 2] = np.nan  # two NaNs in one 3x3 window: torch reports the last
    x[1, 2, 5, 7] = np.nan
    x[1, 1, :3, :3] = -np.inf  # a window of only -inf reports its first real cell
    for k, s, p in [((2, 2), (2, 2), (0, 0)), ((3, 3), (1, 1), (1, 1)), ((3, 2), (2, 3), (1, 1))]:
        y, am = _C.max_pool2d_forward(x, k, s, p, reference=reference)
        yt, it = torch.nn.functional.max_pool2d(torch.from_numpy(x), k, s, p, return_indices=True)
        np.testing.assert_array_equal(y, yt.numpy())  # NaNs compare equal position by position
        np.testing.assert_array_equal(am, it.numpy())
        assert np.isnan(y).any()


@pytest.mark.parametrize("reference", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_backward_accumulates(dtype, reference):
    shape = (3, 5, 7, 17)
    x = distinct(shape, dtype, seed=5)
    for k, s, p in [((2, 2), (2, 2), (0, 0)), ((3, 3), (2, 2), (1, 1))]:
        y, am = _C.max_pool2d_forward(x, k, s, p)
        g = np.random.default_rng(6).standard_normal(y.shape).astype(dtype)
        once = _C.max_pool2d_backward(g, am, shape, reference=reference)
        acc = np.zeros(shape, dtype)
        for _ in range(2):
            ret = _C.max_pool2d_backward(g, am, shape, reference=reference, grad_input=acc)
            assert ret is acc
        np.testing.assert_allclose(acc, 2 * once, rtol=1e-5, atol=1e-7)  # overlapping windows round differently

        once = _C.avg_pool2d_backward(g, shape, k, s, p, reference=reference)
        acc = np.zeros(shape, dtype)
        for _ in range(2):
            _C.avg_pool2d_backward(g, shape, k, s, p, reference=reference, grad_input=acc)
        np.testing.assert_allclose(acc, 2 * once, rtol=1e-5, atol=1e-7)  # overlapping windows round differently


def test_output_dtypes_and_shapes():
    x = distinct((2, 3, 9, 8), np.float32)
    y, am = _C.max_pool2d_forward(x, [3, 2], [2, 3], [1, 1])
    assert y.dtype == np.float32 and am.dtype == np.int32 and y.shape == am.shape == (2, 3, 5, 3)
    assert y.flags.c_contiguous and am.flags.c_contiguous
    assert _C.avg_pool2d_forward(x.astype(np.float64), (2, 2), (2, 2), (0, 0)).dtype == np.float64
    # numpy integers are accepted as sizes
    assert _C.avg_pool2d_forward(x, (np.int64(2), 2), (2, np.int32(2)), (0, 0)).shape == (2, 3, 4, 4)


X = distinct((2, 3, 8, 8), np.float32)
Y, AM = _C.max_pool2d_forward(X, (2, 2), (2, 2), (0, 0))
HUGE_PLANE = np.lib.stride_tricks.as_strided(np.zeros(1, np.float32), (1, 1, 65536, 32769), (0, 0, 4 * 32769, 4))

ERRORS = [
    # (callable, exception, op name in the message, fragment of the message)
    (lambda: _C.max_pool2d_forward(X.astype(np.int32), (2, 2), (2, 2), (0, 0)), TypeError, "max_pool2d", "float32"),
    (lambda: _C.max_pool2d_forward(X.tolist(), (2, 2), (2, 2), (0, 0)), TypeError, "max_pool2d", "ndarray"),
    (lambda: _C.max_pool2d_forward(X[0], (2, 2), (2, 2), (0, 0)), ValueError, "max_pool2d", "4-D"),
    (lambda: _C.max_pool2d_forward(X[:, :, :, ::2], (2, 2), (2, 2), (0, 0)), ValueError, "max_pool2d", "contiguous"),
    (lambda: _C.max_pool2d_forward(X, (0, 2), (2, 2), (0, 0)), ValueError, "max_pool2d", "kernel_size"),
    (lambda: _C.max_pool2d_forward(X, (2, 2), (2, 0), (0, 0)), ValueError, "max_pool2d", "stride"),
    (lambda: _C.max_pool2d_forward(X, (2, 2), (2, 2), (-1, 0)), ValueError, "max_pool2d", "padding"),
    (lambda: _C.max_pool2d_forward(X, (3, 3), (1, 1), (2, 1)), ValueError, "max_pool2d", "half of kernel_size"),
    (lambda: _C.max_pool2d_forward(X, (9, 2), (1, 1), (0, 0)), ValueError, "max_pool2d", "output size"),
    (lambda: _C.max_pool2d_forward(X[:0], (2, 2), (2, 2), (0, 0)), ValueError, "max_pool2d", "zero-sized"),
    (lambda: _C.max_pool2d_forward(X, (2, 2, 2), (2, 2), (0, 0)), ValueError, "max_pool2d", "2 values"),
    (lambda: _C.max_pool2d_forward(X, (2.0, 2), (2, 2), (0, 0)), TypeError, "max_pool2d", "ints"),
    (lambda: _C.max_pool2d_forward(X, None, (2, 2), (0, 0)), TypeError, "max_pool2d", "kernel_size"),
    (lambda: _C.max_pool2d_forward(X, (2, 2), (2, 2), (2**70, 0)), ValueError, "max_pool2d", "too large"),
    (lambda: _C.max_pool2d_forward(HUGE_PLANE, (2, 2), (2, 2), (0, 0)), ValueError, "max_pool2d", "int32"),
    (lambda: _C.max_pool2d_backward(Y, AM[:, :2].copy(), X.shape), ValueError, "max_pool2d_backward", "same shape"),
    (lambda: _C.max_pool2d_backward(Y, AM.astype(np.int64), X.shape), TypeError, "max_pool2d_backward", "int32"),
    (lambda: _C.max_pool2d_backward(Y, AM + 64, X.shape), ValueError, "max_pool2d_backward", "outside"),
    (lambda: _C.max_pool2d_backward(Y, AM - AM - 1, X.shape), ValueError, "max_pool2d_backward", "outside"),
    (lambda: _C.max_pool2d_backward(Y, AM, (2, 4, 8, 8)), ValueError, "max_pool2d_backward", "channels"),
    (lambda: _C.max_pool2d_backward(Y, AM, (2, 3, 8)), ValueError, "max_pool2d_backward", "4 values"),
    (lambda: _C.max_pool2d_backward(Y, AM, (2, 3, 0, 8)), ValueError, "max_pool2d_backward", "zero-sized"),
    (lambda: _C.max_pool2d_backward(Y, AM, (2, 3, 65536, 65536)), ValueError, "max_pool2d_backward", "int32"),
    (lambda: _C.max_pool2d_backward(Y.astype(np.float16), AM, X.shape), TypeError, "max_pool2d_backward", "float32"),
    (
        lambda: _C.max_pool2d_backward(Y, AM, X.shape, grad_input=np.zeros(X.shape, np.float64)),
        TypeError,
        "max_pool2d_backward",
        "dtype",
    ),
    (
        lambda: _C.max_pool2d_backward(Y, AM, X.shape, grad_input=np.zeros((2, 3, 8, 7), np.float32)),
        ValueError,
        "max_pool2d_backward",
        "grad_input",
    ),
    (lambda: _C.avg_pool2d_forward(X.astype(np.float16), (2, 2), (2, 2), (0, 0)), TypeError, "avg_pool2d", "float32"),
    (lambda: _C.avg_pool2d_forward(X, (2, 2), (2, 2), (2, 0)), ValueError, "avg_pool2d", "half of kernel_size"),
    (lambda: _C.avg_pool2d_forward(X, (2, 20), (1, 1), (0, 1)), ValueError, "avg_pool2d", "output size"),
    (lambda: _C.avg_pool2d_forward(X[:, :0], (2, 2), (2, 2), (0, 0)), ValueError, "avg_pool2d", "zero-sized"),
    (lambda: _C.avg_pool2d_forward(X.T, (2, 2), (2, 2), (0, 0)), ValueError, "avg_pool2d", "contiguous"),
    (lambda: _C.avg_pool2d_backward(Y, X.shape, (3, 3), (1, 1), (1, 1)), ValueError, "avg_pool2d_backward", "shape"),
    (lambda: _C.avg_pool2d_backward(Y, X.shape, (2, 2), (2, 2), (0, 0), grad_input=Y), ValueError,
     "avg_pool2d_backward", "grad_input"),
    (lambda: _C.avg_pool2d_backward(Y, "abcd", (2, 2), (2, 2), (0, 0)), TypeError, "avg_pool2d_backward", "sequence"),
    (lambda: _C.avg_pool2d_backward(Y, X.shape, (2, 2), (0, 2), (0, 0)), ValueError, "avg_pool2d_backward", "stride"),
]


@pytest.mark.parametrize("call, exc, op, fragment", ERRORS, ids=[f"e{i}" for i in range(len(ERRORS))])
def test_errors_name_the_op(call, exc, op, fragment):
    with pytest.raises(exc) as info:
        call()
    msg = str(info.value)
    assert msg.startswith(f"[{op}] "), msg
    assert fragment in msg, msg


def test_grad_input_overlapping_grad_out_is_refused():
    buf = np.zeros(2 * 3 * 8 * 8, np.float32)
    grad = buf[: 2 * 3 * 4 * 4].reshape(2, 3, 4, 4)
    with pytest.raises(ValueError, match=r"^\[max_pool2d_backward\] .*overlaps"):
        _C.max_pool2d_backward(grad, AM, X.shape, grad_input=buf.reshape(X.shape))
