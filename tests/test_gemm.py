"""axonal._C gemm / matmul: the fast kernel against a float64 NumPy reference and the naive reference
kernel at awkward sizes, every transpose combination, alpha/beta, sub-matrix views, thread counts,
batched matmul, and the binding's validation errors.

This process runs the widest kernels the CPU has; tests/test_isa_levels.py re-runs this file under every
lower level (AXONAL_ISA=avx2, generic) in a subprocess, and test_kernel_selection checks the switch took effect.
"""
import itertools
import os

import numpy as np
import pytest

from axonal import _C

SIZES = [1, 2, 3, 5, 7, 13, 17, 31, 64, 65, 97, 127, 128, 129, 255, 300]
# Every size appears as M, as N and as K (rotations of the list), plus shapes that reach each path of
# the driver (gemm_driver.h): the small path; N mode (op(A) read in place while M x kc floats fit in
# 400 KiB at the AVX2 level, 800 KiB at AVX-512), with several k-chunks and with its threads split by rows; M
# mode (Goto's loop nest, shared B panel), with several k-chunks and several NC panels; and exact multiples of
# the 6 x 16 (AVX2) and 8 x 32 (AVX-512) tiles. Shape tuples are (M, N, K).
SHAPES = sorted(
    {(SIZES[i], SIZES[(i + 5) % 16], SIZES[(i + 11) % 16]) for i in range(16)}
    | {
        (300, 300, 300),  # N mode, M x K = 352 KiB of float32
        (1, 300, 255),
        (300, 1, 129),
        (255, 129, 1),
        (6, 16, 256),
        (144, 96, 600),  # N mode, 2 k-chunks
        (65, 127, 1000),  # N mode, 4 k-chunks
        (300, 40, 256),  # N mode, 3 column slivers: two threads split the rows instead
        (420, 97, 520),  # M mode, 2 k-chunks (double-buffered shared B)
        (350, 4100, 300),  # M mode, two NC panels (AVX2; N mode at AVX-512)
        (8, 32, 320),  # one AVX-512 tile, one k-chunk
        (660, 97, 640),  # AVX-512: M mode (660 x 320 floats > 800 KiB), 2 k-chunks
        (650, 4130, 320),  # AVX-512: M mode, two NC panels of 4096
        (520, 70, 300),  # AVX-512 float32, transposed A: M mode on 2+ threads (>= 512 rows), N mode on 1
    }
)
TRANS = list(itertools.product([False, True], [False, True]))
DTYPES = [np.float32, np.float64]
EPS = {np.float32: np.finfo(np.float32).eps, np.float64: np.finfo(np.float64).eps}


def make_operands(M, N, K, ta, tb, dtype, rng):
    a = rng.standard_normal((K, M) if ta else (M, K)).astype(dtype)
    b = rng.standard_normal((N, K) if tb else (K, N)).astype(dtype)
    c = rng.standard_normal((M, N)).astype(dtype)
    return a, b, c


def reference(a, b, c, ta, tb, alpha, beta):
    """alpha * op(a) @ op(b) + beta * c in float64, and a bound on the rounding error of a float GEMM."""
    a64 = (a.T if ta else a).astype(np.float64)
    b64 = (b.T if tb else b).astype(np.float64)
    exact = alpha * (a64 @ b64)
    scale = abs(alpha) * (np.abs(a64) @ np.abs(b64))
    if beta != 0:
        exact = exact + beta * c.astype(np.float64)
        scale = scale + abs(beta) * np.abs(c.astype(np.float64))
    return exact, scale


def assert_close(got, exact, scale, K, dtype):
    tol = 4 * EPS[dtype] * (K + 2) * scale + np.finfo(dtype).tiny
    err = np.abs(got.astype(np.float64) - exact)
    worst = np.unravel_index(np.argmax(err - tol), err.shape) if err.size else None
    assert np.all(err <= tol), f"max excess at {worst}: err {err[worst]:.3g} > tol {tol[worst]:.3g}"


def shape_id(s):
    return "x".join(map(str, s))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("ta,tb", TRANS, ids=lambda t: "T" if t else "N")
@pytest.mark.parametrize("shape", SHAPES, ids=shape_id)
def test_gemm_matches_float64_and_reference_kernel(shape, ta, tb, dtype):
    M, N, K = shape
    rng = np.random.default_rng(M * 10007 + N * 101 + K)
    a, b, c = make_operands(M, N, K, ta, tb, dtype, rng)
    alpha, beta = 1.5, -0.5
    exact, scale = reference(a, b, c, ta, tb, alpha, beta)
    fast = c.copy()
    _C.gemm(a, b, fast, ta, tb, alpha, beta)
    assert_close(fast, exact, scale, K, dtype)
    if M * N * K <= 5e8:  # the naive triple loop takes seconds beyond that
        naive = c.copy()
        _C.gemm(a, b, naive, ta, tb, alpha, beta, reference=True)
        assert_close(naive, exact, scale, K, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("ta,tb", TRANS, ids=lambda t: "T" if t else "N")
@pytest.mark.parametrize("shape", [(1, 1, 1), (7, 13, 5), (31, 17, 65), (129, 255, 64), (300, 97, 300)], ids=shape_id)
def test_beta_zero_overwrites_nan(shape, ta, tb, dtype):
    M, N, K = shape
    rng = np.random.default_rng(1)
    a, b, _ = make_operands(M, N, K, ta, tb, dtype, rng)
    c = np.full((M, N), np.nan, dtype)
    _C.gemm(a, b, c, ta, tb, 2.0, 0.0)
    exact, scale = reference(a, b, c, ta, tb, 2.0, 0.0)
    assert np.isfinite(c).all()
    assert_close(c, exact, scale, K, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("alpha,beta", [(1.0, 1.0), (0.0, 0.5), (0.0, 0.0), (-2.0, 3.0), (1.0, 0.0)])
def test_alpha_beta(alpha, beta, dtype):
    M, N, K = 65, 31, 129
    rng = np.random.default_rng(2)
    for ta, tb in TRANS:
        a, b, c = make_operands(M, N, K, ta, tb, dtype, rng)
        if beta == 0.0:
            c[0, 0] = np.nan
        exact, scale = reference(a, b, c, ta, tb, alpha, beta)
        got = c.copy()
        _C.gemm(a, b, got, ta, tb, alpha, beta)
        assert_close(got, exact, scale, K, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_k_zero_scales_c(dtype):
    a = np.zeros((5, 0), dtype)
    b = np.zeros((0, 7), dtype)
    c = np.ones((5, 7), dtype)
    _C.gemm(a, b, c, False, False, 1.0, 3.0)
    np.testing.assert_array_equal(c, 3.0)
    c[:] = np.nan
    _C.gemm(a, b, c, False, False, 1.0, 0.0)
    np.testing.assert_array_equal(c, 0.0)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("ta,tb", TRANS, ids=lambda t: "T" if t else "N")
@pytest.mark.parametrize("shape", [(5, 7, 3), (65, 17, 97), (129, 130, 64), (200, 50, 300)], ids=shape_id)
def test_submatrix_views(shape, ta, tb, dtype):
    """Operands and C as windows into larger arrays: leading dimensions larger than the width, and
    transposed (column-major) views; nothing outside C's window may change."""
    M, N, K = shape
    rng = np.random.default_rng(3)
    big_a = rng.standard_normal((K + 7, M + 9) if ta else (M + 7, K + 9)).astype(dtype)
    big_b = rng.standard_normal((N + 5, K + 3) if tb else (K + 5, N + 3)).astype(dtype)
    big_c = rng.standard_normal((M + 4, N + 6)).astype(dtype)
    a = big_a[2 : 2 + (K if ta else M), 3 : 3 + (M if ta else K)]
    b = big_b[1 : 1 + (N if tb else K), 2 : 2 + (K if tb else N)]
    c = big_c[1 : 1 + M, 4 : 4 + N]
    before = big_c.copy()
    exact, scale = reference(a, b, c, ta, tb, 0.75, 0.25)
    _C.gemm(a, b, c, ta, tb, 0.75, 0.25)
    assert_close(c, exact, scale, K, dtype)
    outside = np.ones(big_c.shape, bool)
    outside[1 : 1 + M, 4 : 4 + N] = False
    np.testing.assert_array_equal(big_c[outside], before[outside])
    # A column-major view passed with trans=False is read as the transpose it is.
    at = np.asfortranarray(a.T if ta else a)
    got = np.zeros((M, N), dtype)
    _C.gemm(at, b, got, False, tb, 0.75, 0.0)
    exact0, scale0 = reference(a, b, got, ta, tb, 0.75, 0.0)
    assert_close(got, exact0, scale0, K, dtype)


@pytest.fixture
def restore_threads():
    n = _C.get_num_threads()
    yield
    _C.set_num_threads(n)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize(
    "shape",
    [(300, 300, 300), (64, 784, 256), (144, 96, 600), (784, 256, 64), (300, 40, 256), (420, 97, 520), (31, 300, 65), (520, 70, 300)],
    ids=shape_id,
)
def test_thread_counts_give_identical_results(shape, dtype, restore_threads):
    M, N, K = shape
    rng = np.random.default_rng(4)
    for ta, tb in TRANS:
        a, b, c = make_operands(M, N, K, ta, tb, dtype, rng)
        out = []
        for n in (1, 2, 3):
            _C.set_num_threads(n)
            got = c.copy()
            _C.gemm(a, b, got, ta, tb, 1.25, 0.5)
            out.append(got)
        np.testing.assert_array_equal(out[0], out[1])
        np.testing.assert_array_equal(out[0], out[2])


def test_kernel_selection():
    info = _C.cpu_info()
    forced = os.environ.get("AXONAL_ISA", "").lower()
    if forced in info["isa_levels"]:
        expected = forced
    elif not forced and os.environ.get("AXONAL_DISABLE_AVX2", "") not in ("", "0"):
        expected = "generic"
    else:
        expected = info["cpu_isa"]
    assert _C.gemm_kernel() == expected == info["gemm_kernel"] == info["isa"] == _C.isa_level()
    assert _C.avx2_enabled() == (expected in ("avx2", "avx512"))


# ---- batched matmul ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("batch,M,K,N", [(1, 7, 5, 3), (5, 13, 17, 31), (3, 65, 64, 129), (8, 6, 300, 16)])
def test_matmul_batched(batch, M, K, N, dtype, restore_threads):
    rng = np.random.default_rng(5)
    a = rng.standard_normal((batch, M, K)).astype(dtype)
    b = rng.standard_normal((batch, K, N)).astype(dtype)
    exact = np.matmul(a.astype(np.float64), b.astype(np.float64))
    scale = np.matmul(np.abs(a.astype(np.float64)), np.abs(b.astype(np.float64)))
    results = []
    for n in (1, 2):
        _C.set_num_threads(n)
        got = _C.matmul(a, b)
        assert got.shape == (batch, M, N) and got.dtype == dtype
        assert_close(got, exact, scale, K, dtype)
        results.append(got)
    np.testing.assert_array_equal(results[0], results[1])
    # Stride-0 batch views (one matrix broadcast over the batch), and per-batch transposed views.
    b0 = np.broadcast_to(b[0], (batch, K, N))
    got = _C.matmul(a, b0)
    assert_close(got, np.matmul(a.astype(np.float64), b[0].astype(np.float64)), np.abs(a) @ np.abs(b[0]), K, dtype)
    a0 = np.broadcast_to(a[0], (batch, M, K))
    got = _C.matmul(a0, b)
    assert_close(got, np.matmul(a[0].astype(np.float64), b.astype(np.float64)), np.abs(a[0]) @ np.abs(b), K, dtype)
    at = np.swapaxes(np.ascontiguousarray(np.swapaxes(a, 1, 2)), 1, 2)  # column-major per batch
    got = _C.matmul(at, b)
    assert_close(got, exact, scale, K, dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_matmul_2d(dtype):
    rng = np.random.default_rng(6)
    a = rng.standard_normal((97, 65)).astype(dtype)
    b = rng.standard_normal((129, 65)).astype(dtype).T  # a transposed view
    got = _C.matmul(a, b)
    assert_close(got, a.astype(np.float64) @ b.astype(np.float64), np.abs(a) @ np.abs(b), 65, dtype)


# ---- validation ---------------------------------------------------------------------------------------


def f32(*shape):
    return np.zeros(shape, np.float32)


@pytest.mark.parametrize(
    "args,kwargs,exc",
    [
        ((f32(3, 4), f32(5, 6), f32(3, 6)), {}, ValueError),  # inner dimensions differ
        ((f32(3, 4), f32(4, 6), f32(3, 5)), {}, ValueError),  # c has the wrong shape
        ((f32(4, 3), f32(4, 6), f32(3, 6)), {"trans_a": False}, ValueError),
        ((f32(3, 4), np.zeros((4, 6)), f32(3, 6)), {}, TypeError),  # dtype mismatch
        ((np.zeros((3, 4), np.int64), np.zeros((4, 6), np.int64), np.zeros((3, 6), np.int64)), {}, TypeError),
        ((f32(12), f32(4, 6), f32(3, 6)), {}, ValueError),  # 1-D a
        ((f32(3, 4), f32(4, 6), f32(3, 6, 1)), {}, ValueError),  # 3-D c
        ((f32(6, 8)[::2, ::2], f32(4, 6), f32(3, 6)), {}, ValueError),  # neither rows nor columns contiguous
        ((f32(3, 4), f32(4, 6), f32(6, 12)[:, ::2]), {}, ValueError),  # c rows not contiguous
    ],
)
def test_gemm_errors(args, kwargs, exc):
    with pytest.raises(exc, match=r"^\[gemm\]"):
        _C.gemm(*args, **kwargs)


def test_gemm_readonly_c():
    c = f32(3, 6)
    c.flags.writeable = False
    with pytest.raises(ValueError, match=r"^\[gemm\]"):
        _C.gemm(f32(3, 4), f32(4, 6), c)


@pytest.mark.parametrize(
    "a,b,exc",
    [
        (f32(3, 4), f32(5, 6), ValueError),  # inner dimensions differ
        (f32(2, 3, 4), f32(3, 4, 6), ValueError),  # batch sizes differ
        (f32(2, 3, 4), f32(4, 6), ValueError),  # ndim differ
        (f32(4), f32(4), ValueError),  # 1-D
        (f32(1, 2, 3, 4), f32(1, 2, 4, 3), ValueError),  # 4-D
        (f32(3, 4), np.zeros((4, 6)), TypeError),  # dtype mismatch
        (np.zeros((3, 4), np.int32), np.zeros((4, 6), np.int32), TypeError),
    ],
)
def test_matmul_errors(a, b, exc):
    with pytest.raises(exc, match=r"^\[matmul\]"):
        _C.matmul(a, b)
