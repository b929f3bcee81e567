"""Every CUDA kernel (csrc/cuda/*.cu), compiled for the CPU under the emulation header (axonal._C_cuda_emu),
against the CPU references (axonal._C with reference=True; NumPy where the CPU has none; torch for grouped
convolutions) at awkward sizes (1, 3, 7, 17, 65, non-multiples of the 128 / 64 / 32 tiles), float32 and
float64, under each thread schedule (forward, reverse, shuffled). Where the CPU kernel is exact (ReLU, bias,
pooling forward, average-pooling backward, optimizer updates) the comparison is bit for bit."""
import numpy as np
import pytest

import cuda_emu_ops as ops
from axonal import _C
from axonal import _C_cuda_emu as E
from cuda_emu_ops import ptr, schedule  # noqa: F401  (schedule is a fixture)

DTYPES = [np.float32, np.float64]
DT_IDS = ["f32", "f64"]
RTOL = {np.float32: 3e-5, np.float64: 1e-12}


def assert_close(actual, expected, rtol):
    """Elementwise, relative to the array's largest magnitude (sums of mixed signs can cancel to ~0)."""
    assert actual.shape == expected.shape and actual.dtype == expected.dtype, (actual.shape, expected.shape)
    scale = max(float(np.abs(expected).max()) if expected.size else 0.0, 1e-30)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


def rand(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


# ---------------------------------------------------------------- GEMM

GEMM_SHAPES = [(1, 1, 1), (3, 7, 17), (17, 3, 7), (65, 17, 3), (7, 65, 130), (130, 129, 33), (33, 200, 9),
               (129, 65, 17), (64, 128, 64)]


def gemm_call(dtype, ta, tb, batch, M, N, K, alpha, A, lda, sA, B, ldb, sB, beta, C, ldc, sC):
    E.gemm(np.dtype(dtype).char, ta, tb, batch, M, N, K, alpha, ptr(A), lda, sA, ptr(B), ldb, sB, beta, ptr(C), ldc,
           sC, 0)


@pytest.mark.parametrize("dtype", DTYPES, ids=DT_IDS)
@pytest.mark.parametrize("M,N,K", GEMM_SHAPES, ids=lambda v: str(v))
def test_gemm_transposes_alpha_beta(schedule, dtype, M, N, K):
    rng = np.random.default_rng(M * 10007 + N * 101 + K)
    for ta in (False, True):
        for tb in (False, True):
            A = rand(rng, (K, M) if ta else (M, K), dtype)
            B = rand(rng, (N, K) if tb else (K, N), dtype)
            for alpha, beta in ((1.0, 0.0), (-0.75, 1.5)):
                C0 = rand(rng, (M, N), dtype)
                C = C0.copy()
                gemm_call(dtype, ta, tb, 1, M, N, K, alpha, A, A.shape[1], 0, B, B.shape[1], 0, beta, C, N, 0)
                ref = C0.copy()
                _C.gemm(A, B, ref, trans_a=ta, trans_b=tb, alpha=alpha, beta=beta, reference=True)
                assert_close(C, ref, RTOL[dtype] * 4)


@pytest.mark.parametrize("dtype", DTYPES, ids=DT_IDS)
def test_gemm_leading_dims_batch_strides_and_misalignment(schedule, dtype):
    """Padded leading dimensions (odd ones force the scalar loads), batch strides with a shared (stride 0)
    operand, and buffers one element off 16-byte alignment."""
    rng = np.random.default_rng(3)
    batch, M, N, K = 3, 19, 37, 23
    for ta, tb, pad, shift in ((False, False, 5, 0), (True, False, 4, 1), (False, True, 3, 1), (True, True, 8, 0)):
        rowsA, colsA = (K, M) if ta else (M, K)
        rowsB, colsB = (N, K) if tb else (K, N)
        lda, ldb, ldc = colsA + pad, colsB + pad + 1, N + pad
        sA, sB, sC = rowsA * lda + 3, 0, M * ldc + 2
        Abuf = rand(rng, shift + batch * sA, dtype)[shift:]
        Bbuf = rand(rng, shift + rowsB * ldb, dtype)[shift:]
        Cbuf = rand(rng, shift + batch * sC, dtype)[shift:]
        C0 = Cbuf.copy()
        gemm_call(dtype, ta, tb, batch, M, N, K, 0.5, Abuf, lda, sA, Bbuf, ldb, sB, -2.0, Cbuf, ldc, sC)
        for b in range(batch):
            a = np.lib.stride_tricks.as_strided(Abuf[b * sA:], (rowsA, colsA), (lda * Abuf.itemsize, Abuf.itemsize))
            bm = np.lib.stride_tricks.as_strided(Bbuf, (rowsB, colsB), (ldb * Bbuf.itemsize, Bbuf.itemsize))
            c0 = np.lib.stride_tricks.as_strided(C0[b * sC:], (M, N), (ldc * C0.itemsize, C0.itemsize))
            c = np.lib.stride_tricks.as_strided(Cbuf[b * sC:], (M, N), (ldc * Cbuf.itemsize, Cbuf.itemsize))
            opa = a.T if ta else a
            opb = bm.T if tb else bm
            ref = (0.5 * (opa.astype(np.float64) @ opb.astype(np.float64)) - 2.0 * c0).astype(dtype)
            assert_close(np.ascontiguousarray(c), ref, RTOL[dtype] * 4)
        # The padding between rows and between matrices is untouched.
        mask = np.zeros(Cbuf.shape, bool)
        for b in range(batch):
            for m in range(M):
                mask[b * sC + m * ldc: b * sC + m * ldc + N] = True
        np.testing.assert_array_equal(Cbuf[~mask], C0[~mask])


@pytest.mark.parametrize("dtype", DTYPES, ids=DT_IDS)
def test_gemm_split_k_beta_zero_and_empty_k(schedule, dtype):
    rng = np.random.default_rng(4)
    # Few output tiles and a long reduction: split over blockIdx.z, C scaled first, slices added atomically.
    for M, N, K in ((7, 5, 4099), (1, 130, 2100)):
        A, B = rand(rng, (M, K), dtype), rand(rng, (K, N), dtype)
        C = np.full((M, N), np.nan, dtype)  # beta = 0: NaN must not leak through
        gemm_call(dtype, False, False, 1, M, N, K, 1.0, A, K, 0, B, N, 0, 0.0, C, N, 0)
        assert_close(C, (A.astype(np.float64) @ B.astype(np.float64)).astype(dtype), RTOL[dtype] * 20)
        C0 = rand(rng, (M, N), dtype)
        C = C0.copy()
        gemm_call(dtype, False, False, 1, M, N, K, 2.0, A, K, 0, B, N, 0, 0.5, C, N, 0)
        assert_close(C, (2.0 * (A.astype(np.float64) @ B) + 0.5 * C0).astype(dtype), RTOL[dtype] * 20)
    # K = 0: C = beta * C, and beta = 0 clears NaN.
    C = np.full((5, 6), np.nan, dtype)
    gemm_call(dtype, False, False, 1, 5, 6, 0, 1.0, None, 1, 0, None, 6, 0, 0.0, C, 6, 0)
    np.testing.assert_array_equal(C, 0)
    C0 = rand(rng, (5, 6), dtype)
    C = C0.copy()
    gemm_call(dtype, False, False, 1, 5, 6, 0, 1.0, None, 1, 0, None, 6, 0, 3.0, C, 6, 0)
    np.testing.assert_array_equal(C, C0 * dtype(3.0))


def test_gemm_validation():
    a = np.zeros(16, np.float32)
    with pytest.raises(ValueError, match=r"^\[gemm\] lda must be >= 5, got 4 \(batch 1, op\(A\) 3 x 5"):
        E.gemm("f", False, False, 1, 3, 4, 5, 1.0, ptr(a), 4, 0, ptr(a), 4, 0, 0.0, ptr(a), 4, 0, 0)
    with pytest.raises(ValueError, match=r"^\[gemm\] strideC 0 makes the batch's C matrices overlap"):
        E.gemm("f", False, False, 2, 3, 4, 5, 1.0, ptr(a), 5, 0, ptr(a), 4, 0, 0.0, ptr(a), 4, 0, 0)
    with pytest.raises(ValueError, match=r"^\[gemm\] A is a null pointer"):
        E.gemm("f", False, False, 1, 3, 4, 5, 1.0, 0, 5, 0, ptr(a), 4, 0, 0.0, ptr(a), 4, 0, 0)
    with pytest.raises(ValueError, match=r"^\[gemm\] C pointer 0x[0-9a-f]+ is not aligned to 4 bytes"):
        E.gemm("f", False, False, 1, 3, 4, 5, 1.0, ptr(a), 5, 0, ptr(a), 4, 0, 0.0, ptr(a) + 2, 4, 0, 0)
    with pytest.raises(TypeError, match=r"^\[gemm\] dtype must be 'f' \(float32\) or 'd' \(float64\), got 'i'"):
        E.gemm("i", False, False, 1, 3, 4, 5, 1.0, ptr(a), 5, 0, ptr(a), 4, 0, 0.0, ptr(a), 4, 0, 0)
    with pytest.raises(TypeError, match=r"^\[gemm\] "):
        E.gemm("f", False, False, 1, 3, 4, 5, 1.0, ptr(a), 5, 0, ptr(a), 4, 0, 0.0, -1, 4, 0, 0)


# ---------------------------------------------------------------- convolution

# (N, C, H, W, K, R, S, stride, padding, dilation)
CONV_CASES = [
    (1, 1, 1, 1, 1, 1, 1, (1, 1), (0, 0), (1, 1)),
    (3, 3, 7, 7, 5, 1, 1, (2, 2), (0, 0), (1, 1)),
    (3, 3, 7, 7, 5, 3, 3, (1, 1), (1, 1), (1, 1)),
    (1, 7, 17, 17, 17, 3, 3, (2, 2), (1, 1), (1, 1)),
    (3, 1, 28, 28, 5, 5, 5, (1, 1), (0, 0), (1, 1)),
    (3, 3, 17, 13, 5, 3, 2, (1, 1), (1, 0), (1, 1)),
    (3, 7, 17, 17, 17, 3, 3, (2, 2), (1, 1), (2, 2)),
    (3, 3, 28, 17, 17, 3, 3, (1, 2), (2, 1), (2, 3)),
    (3, 3, 3, 3, 5, 5, 5, (1, 1), (1, 1), (1, 1)),
    (3, 7, 17, 7, 5, 3, 5, (3, 2), (0, 1), (1, 2)),
    (2, 3, 10, 11, 65, 3, 3, (1, 1), (2, 2), (2, 2)),  # 65 output channels: a 128-row tile (float)
    (2, 16, 9, 9, 33, 3, 3, (1, 1), (1, 1), (1, 1)),  # 33 channels: the 64-row tile, K*RS = 297 > 2 steps
]


def conv_id(c):
    n, ch, h, w, k, r, s, st, pd, dl = c
    return f"n{n}c{ch}_{h}x{w}_k{k}_{r}x{s}_s{st[0]}{st[1]}_p{pd[0]}{pd[1]}_d{dl[0]}{dl[1]}"


def conv_make(case, dtype, groups=1, seed=0):
    n, c, h, w, k, r, s, st, pd, dl = case
    rng = np.random.default_rng(seed)
    x = rand(rng, (n, c, h, w), dtype)
    wt = rand(rng, (k, c // groups, r, s), dtype)
    b = rand(rng, k, dtype)
    p, q = ops.conv_out(h, r, st[0], pd[0], dl[0]), ops.conv_out(w, s, st[1], pd[1], dl[1])
    g = rand(rng, (n, k, p, q), dtype)
    return x, wt, b, g, st, pd, dl


@pytest.mark.parametrize("dtype", DTYPES, ids=DT_IDS)
@pytest.mark.parametrize("case", CONV_CASES, ids=conv_id)
def test_conv2d_matches_cpu_reference(schedule, case, dtype):
    x, w, b, g, st, pd, dl = conv_make(case, dtype)
    tol = RTOL[dtype] * 4
    for bias in (b, None):
        ref = _C.conv2d_forward(x, w, bias, st, pd, dl, reference=True)
        assert_close(ops.conv2d_forward(x, w, bias, st, pd, dl), ref, tol)
    np.testing.assert_array_equal(ops.conv2d_forward(x, w, b, st, pd, dl, relu=True),
                                  np.maximum(ops.conv2d_forward(x, w, b, st, pd, dl), 0))
    # Backward kernels accumulate: start from non-zero buffers.
    d0 = rand(np.random.default_rng(9), x.shape, dtype)
    gi = ops.conv2d_backward_input(g, w, x.shape, st, pd, dl, dinp=d0.copy())
    gi_ref = _C.conv2d_backward_input(g, w, x.shape, st, pd, dl, reference=True, grad_input=d0.copy())
    assert_close(gi, gi_ref, tol)
    w0, b0 = rand(np.random.default_rng(10), w.shape, dtype), rand(np.random.default_rng(11), b.shape, dtype)
    gw, gb = ops.conv2d_backward_weight(g, x, w.shape, True, st, pd, dl, dw=w0.copy(), db=b0.copy())
    gw_ref, gb_ref = _C.conv2d_backward_weight(g, x, w.shape, True, st, pd, dl, reference=True, grad_weight=w0.copy(),
                                               grad_bias=b0.copy())
    assert_close(gw, gw_ref, tol)
    assert_close(gb, gb_ref, tol)
    gw2, gb2 = ops.conv2d_backward_weight(g, x, w.shape, False, st, pd, dl)
    assert gb2 is None
    assert_close(gw2, _C.conv2d_backward_weight(g, x, w.shape, False, st, pd, dl, reference=True)[0], tol)


# Grouped convolutions (the CPU kernels have no groups): against torch, float64.
GROUP_CASES = [
    ((2, 4, 9, 8, 6, 3, 3, (1, 1), (1, 1), (1, 1)), 2),
    ((1, 6, 7, 7, 6, 3, 3, (2, 1), (1, 0), (1, 2)), 3),
    ((3, 8, 6, 5, 8, 3, 3, (1, 1), (1, 1), (1, 1)), 8),  # depthwise
    ((2, 3, 11, 7, 9, 1, 3, (1, 2), (0, 1), (1, 1)), 3),
    ((2, 4, 17, 9, 130, 3, 1, (2, 1), (1, 0), (2, 1)), 2),  # 65 channels per group
]


@pytest.mark.parametrize("case,groups", GROUP_CASES, ids=lambda v: conv_id(v) if isinstance(v, tuple) else f"g{v}")
def test_conv2d_groups_match_torch(schedule, case, groups):
    torch = pytest.importorskip("torch")
    for dtype in DTYPES:
        x, w, b, g, st, pd, dl = conv_make(case, dtype, groups=groups, seed=groups)
        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        tout = torch.nn.functional.conv2d(tx, tw, tb, stride=st, padding=pd, dilation=dl, groups=groups)
        tout.backward(torch.tensor(g))
        tol = RTOL[dtype] * 10
        assert_close(ops.conv2d_forward(x, w, b, st, pd, dl, groups), tout.detach().numpy(), tol)
        assert_close(ops.conv2d_backward_input(g, w, x.shape, st, pd, dl, groups), tx.grad.numpy(), tol)
        gw, gb = ops.conv2d_backward_weight(g, x, w.shape, True, st, pd, dl, groups)
        assert_close(gw, tw.grad.numpy(), tol)
        assert_close(gb, tb.grad.numpy(), tol)


@pytest.mark.parametrize("dtype", DTYPES, ids=DT_IDS)
def test_conv2d_weight_grad_split_reduction(schedule, dtype):
    """A long N*P*Q reduction on a small weight: split over blockIdx.z, partial sums added atomically, and the
    bias gradient split over the batch as well."""
    case = (8, 2, 40, 40, 3, 3, 3, (1, 1), (1, 1), (1, 1))
    x, w, b, g, st, pd, dl = conv_make(case, dtype, seed=3)
    gw, gb = ops.conv2d_backward_weight(g, x, w.shape, True, st, pd, dl)
    gw_ref, gb_ref = _C.conv2d_backward_weight(g, x, w.shape, True, st, pd, dl, reference=True)
    assert_close(gw, gw_ref, RTOL[dtype] * 20)
    assert_close(gb, gb_ref, RTOL[dtype] * 20)


def test_conv2d_validation():
    a = np.zeros(64, np.float32)
    p = ptr(a)
    with pytest.raises(ValueError, match=r"^\[conv2d\] groups 3 must divide both the input channels C 4 and the output "
                                         r"channels K 6 \(input \(2, 4, 5, 5\), weight \(6, 4, 3, 3\)"):
        E.conv2d_forward("f", p, p, p, 0, 2, 4, 5, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 3, False, 0)
    with pytest.raises(ValueError, match=r"^\[conv2d\] the output would be 0 x 5: the dilated kernel is larger"):
        E.conv2d_forward("f", p, p, p, 0, 2, 4, 5, 5, 6, 3, 3, 1, 1, 0, 1, 3, 1, 1, False, 0)
    with pytest.raises(ValueError, match=r"^\[conv2d_backward_weight\] stride_h must be >= 1, got 0"):
        E.conv2d_backward_weight("f", p, 0, p, p, 2, 4, 5, 5, 6, 3, 3, 0, 1, 1, 1, 1, 1, 1, 0)
    with pytest.raises(ValueError, match=r"^\[conv2d_backward_input\] pad_w must be >= 0, got -1"):
        E.conv2d_backward_input("f", p, p, p, 2, 4, 5, 5, 6, 3, 3, 1, 1, 1, -1, 1, 1, 1, 0)
    with pytest.raises(ValueError, match=r"^\[conv2d\] the input has more than 2\^60 elements"):
        E.conv2d_forward("f", p, p, p, 0, 2**40, 4, 2**20, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, False, 0)
    with pytest.raises(ValueError, match=r"^\[conv2d\] out is a null pointer"):
        E.conv2d_forward("f", 0, p, p, 0, 2, 4, 5, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, False, 0)
    # N = 0: nothing to do, nothing read.
    E.conv2d_forward("f", 0, 0, 0, 0, 0, 4, 5, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, False, 0)


# ---------------------------------------------------------------- pooling

# (N, C, H, W, kernel, stride, padding)
POOL_CASES = [
    (1, 1, 1, 1, (1, 1), (1, 1), (0, 0)),
    (2, 3, 8, 8, (2, 2), (2, 2), (0, 0)),
    (2, 3, 7, 9, (3, 3), (2, 2), (1, 1)),  # overlapping windows, padding
    (1, 2, 17, 13, (3, 2), (1, 2), (1, 1)),
    (3, 5, 28, 28, (2, 2), (2, 2), (0, 0)),
    (1, 65, 7, 7, (5, 3), (3, 1), (2, 1)),
]


def pool_id(c):
    return f"n{c[0]}c{c[1]}_{c[2]}x{c[3]}_k{c[4][0]}{c[4][1]}_s{c[5][0]}{c[5][1]}_p{c[6][0]}{c[6][1]}"


@pytest.mark.parametrize("dtype", DTYPES, ids=DT_IDS)
@pytest.mark.parametrize("case", POOL_CASES, ids=pool_id)
def test_max_pool_matches_cpu_bit_for_bit(schedule, case, dtype):
    n, c, h, w, k, st, pd = case
    rng = np.random.default_rng(h * w)
    x = rand(rng, (n, c, h, w), dtype)
    x.flat[:: 7] = np.round(x.flat[:: 7])  # ties
    x.flat[3:: 11] = np.nan
    x.flat[5:: 13] = -np.inf
    out, am = ops.max_pool2d_forward(x, k, st, pd)
    ref, am_ref = _C.max_pool2d_forward(x, k, st, pd, reference=True)
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(am, am_ref)
    g = rand(rng, out.shape, dtype)
    d0 = rand(rng, x.shape, dtype)
    d = ops.max_pool2d_backward(g, am, x.shape, dinp=d0.copy())
    d_ref = _C.max_pool2d_backward(g, am_ref, x.shape, reference=True, grad_input=d0.copy())
    if k == st:
        np.testing.assert_array_equal(d, d_ref)  # each cell gets at most one add
    else:
        assert_close(d, d_ref, RTOL[dtype])  # atomic adds of overlapping windows: any order


@pytest.mark.parametrize("dtype", DTYPES, ids=DT_IDS)
@pytest.mark.parametrize("case", POOL_CASES, ids=pool_id)
def test_avg_pool_matches_cpu_bit_for_bit(schedule, case, dtype):
    n, c, h, w, k, st, pd = case
    rng = np.random.default_rng(h + w)
    x = rand(rng, (n, c, h, w), dtype)
    for cip in (True, False):
        out = ops.avg_pool2d_forward(x, k, st, pd, cip)
        np.testing.assert_array_equal(out, _C.avg_pool2d_forward(x, k, st, pd, cip, reference=True))
        g = rand(rng, out.shape, dtype)
        d0 = rand(rng, x.shape, dtype)
        d = ops.avg_pool2d_backward(g, x.shape, k, st, pd, cip, dinp=d0.copy())
        d_ref = _C.avg_pool2d_backward(g, x.shape, k, st, pd, cip, reference=True, grad_input=d0.copy())
        np.testing.assert_array_equal(d, d_ref)


def test_pool_validation():
    a = np.zeros(64, np.float32)
    p = ptr(a)
    with pytest.raises(ValueError, match=r"^\[max_pool2d\] padding must be at most half the kernel size \(input "
                                         r"\(1, 1, 4, 4\), kernel \(2, 2\), stride \(2, 2\), padding \(2, 0\)\)"):
        E.max_pool2d_forward("f", p, p, p, 1, 1, 4, 4, 2, 2, 2, 2, 2, 0, 0)
    with pytest.raises(ValueError, match=r"^\[avg_pool2d\] the output would be 0 x 2"):
        E.avg_pool2d_forward("f", p, p, 1, 1, 2, 4, 3, 3, 1, 1, 0, 0, True, 0)
    with pytest.raises(ValueError, match=r"^\[max_pool2d_backward\] P must be >= 1, got 0"):
        E.max_pool2d_backward("f", p, p, p, 1, 1, 4, 4, 0, 2, 0)


# ---------------------------------------------------------------- elementwise

SIZES = [1, 3, 7, 17, 65, 1000, 70001]


def special(rng, n, dtype):
    x = rand(rng, n, dtype)
    x[::5] = 0.0
    x[1::7] = -0.0
    x[2::11] = np.nan
    x[3::13] = np.inf
    x[4::17] = -np.inf
    return x


@pytest.mark.parametrize("dtype", DTYPES, ids=DT_IDS)
def test_relu_and_add_relu_bit_for_bit(schedule, dtype):
    rng = np.random.default_rng(1)
    for n in SIZES:
        x = special(rng, n, dtype)
        out = np.full(n, 7, dtype)
        E.relu_forward(x.dtype.char, ptr(out), ptr(x), n, 0)
        ref = _C.relu_forward(x, reference=True)
        np.testing.assert_array_equal(out.view(np.uint8), ref.view(np.uint8))  # -0.0 -> +0.0, NaN passes
        g = special(rng, n, dtype)
        for acc in (False, True):
            d0 = rand(rng, n, dtype)
            d = d0.copy()
            E.relu_backward(x.dtype.char, ptr(d), ptr(g), ptr(ref), n, acc, 0)
            exp = _C.relu_backward(g, ref, grad_input=d0.copy() if acc else None, reference=True)
            np.testing.assert_array_equal(d.view(np.uint8), exp.view(np.uint8))
        inplace = x.copy()
        E.relu_forward(x.dtype.char, ptr(inplace), ptr(inplace), n, 0)
        np.testing.assert_array_equal(inplace.view(np.uint8), ref.view(np.uint8))
        b = special(rng, n, dtype)
        out = np.empty(n, dtype)
        E.add_relu_forward(x.dtype.char, ptr(out), ptr(x), ptr(b), n, 0)
        with np.errstate(invalid="ignore"):
            np.testing.assert_array_equal(out.view(np.uint8), np.maximum(x + b, 0).astype(dtype).view(np.uint8))


@pytest.mark.parametrize("dtype", DTYPES, ids=DT_IDS)
@pytest.mark.parametrize("M,N", [(1, 1), (3, 7), (17, 65), (65, 300), (1000, 3)])
def test_bias_relu_bit_for_bit(schedule, dtype, M, N):
    rng = np.random.default_rng(M + N)
    y0 = special(rng, M * N, dtype).reshape(M, N)
    bias = special(rng, N, dtype)
    for relu in (True, False):
        y = y0.copy()
        E.bias_relu_forward(y.dtype.char, ptr(y), ptr(bias), M, N, relu, 0)
        with np.errstate(invalid="ignore"):
            exp = _C.bias_relu_forward(y0.copy(), bias, reference=True) if relu else (y0 + bias).astype(dtype)
        np.testing.assert_array_equal(y.view(np.uint8), exp.view(np.uint8))


@pytest.mark.parametrize("dtype", DTYPES, ids=DT_IDS)
def test_fill(schedule, dtype):
    for n in SIZES:
        out = np.zeros(n + 2, dtype)
        E.fill(out.dtype.char, ptr(out[1:]), n, -2.5, 0)
        np.testing.assert_array_equal(out, np.r_[0, np.full(n, -2.5), 0].astype(dtype))


# ---------------------------------------------------------------- softmax cross-entropy

@pytest.mark.parametrize("dtype", DTYPES, ids=DT_IDS)
@pytest.mark.parametrize("M,C", [(1, 1), (3, 7), (17, 10), (65, 33), (9, 1000)])
def test_softmax_cross_entropy_matches_cpu(schedule, dtype, M, C):
    rng = np.random.default_rng(M * C)
    logits = (rand(rng, (M, C), dtype) * 4).astype(dtype)
    target = rng.integers(0, C, M)
    target[::4] = -100
    weight = rng.uniform(0.5, 2.0, C).astype(dtype)
    for w in (None, weight):
        for smoothing in (0.0, 0.1):
            for need_grad in (True, False):
                loss, ls, ws, dl = ops.softmax_cross_entropy(logits, target, w, -100, smoothing, need_grad)
                r_loss, r_ls, r_ws, r_dl = _C.softmax_cross_entropy(logits, target, w, -100, smoothing, need_grad,
                                                                    reference=True)
                assert_close(loss, r_loss, RTOL[dtype])
                np.testing.assert_allclose(ls, r_ls, rtol=RTOL[dtype], atol=RTOL[dtype])
                assert ws == pytest.approx(r_ws, rel=1e-12)
                if need_grad:
                    assert_close(dl, r_dl, RTOL[dtype])
                else:
                    assert dl is None


def test_softmax_cross_entropy_ignored_rows_and_targets():
    logits = np.ones((4, 3), np.float32)
    target = np.array([-100, -100, -100, -100])
    loss, ls, ws, dl = ops.softmax_cross_entropy(logits, target)
    np.testing.assert_array_equal(loss, 0)
    np.testing.assert_array_equal(dl, 0)
    assert (ls, ws) == (0.0, 0.0)
    assert ops.check_targets(np.array([0, 2, -100, 1]), 3) == -1
    assert ops.check_targets(np.array([0, 2, 3, -1, 7]), 3) == 2
    assert ops.check_targets(np.array([5]), 3, ignore_index=5) == -1
    big = np.zeros(5000, np.int64)
    big[4321] = -2
    big[4999] = 9
    assert ops.check_targets(big, 3) == 4321
    assert ops.check_targets(np.zeros(0, np.int64), 3) == -1
    # M = 0: the sums are written (zeros), nothing else is touched.
    sums = np.full(2, np.nan)
    E.softmax_cross_entropy("f", 0, 0, 0, 0, 0, 0, 3, -100, 0.0, ptr(sums), 0)
    np.testing.assert_array_equal(sums, 0)
    with pytest.raises(ValueError, match=r"^\[cross_entropy\] label_smoothing must be in \[0, 1\], got 1.5"):
        E.softmax_cross_entropy("f", ptr(sums), 0, ptr(sums), ptr(sums), 0, 1, 1, -100, 1.5, ptr(sums), 0)


# ---------------------------------------------------------------- batch norm (no CPU kernel: NumPy in float64)

def bn_reference(x, gamma, beta, eps, relu):
    n, c, hw = x.shape
    xd = x.astype(np.float64)
    mean = xd.mean(axis=(0, 2))
    var = xd.var(axis=(0, 2))
    invstd = 1 / np.sqrt(var + eps)
    xhat = (xd - mean[None, :, None]) * invstd[None, :, None]
    out = xhat * (1 if gamma is None else gamma.astype(np.float64)[None, :, None]) + (
        0 if beta is None else beta.astype(np.float64)[None, :, None])
    return (np.maximum(out, 0) if relu else out), mean, var, invstd, xhat


@pytest.mark.parametrize("dtype", DTYPES, ids=DT_IDS)
@pytest.mark.parametrize("N,C,HW", [(2, 1, 1), (3, 7, 17), (17, 3, 1), (2, 5, 600), (65, 2, 9)])
def test_batchnorm_train_eval_backward(schedule, dtype, N, C, HW):
    rng = np.random.default_rng(N * C * HW)
    x = (rand(rng, (N, C, HW), dtype) * 3 + 1.5).astype(dtype)
    gamma, beta = rand(rng, C, dtype), rand(rng, C, dtype)
    eps, mom = 1e-5, 0.1
    tol = {np.float32: 2e-5, np.float64: 1e-11}[dtype]
    ch = x.dtype.char
    for relu in (False, True):
        for g_, b_ in ((gamma, beta), (None, None)):
            rm0, rv0 = rand(rng, C, dtype), np.abs(rand(rng, C, dtype)) + 0.5
            rm, rv = rm0.copy(), rv0.copy()
            out = np.full_like(x, np.nan)
            sm, si = np.full(C, np.nan, dtype), np.full(C, np.nan, dtype)
            E.batchnorm_forward_train(ch, ptr(out), ptr(sm), ptr(si), ptr(x), ptr(g_), ptr(b_), ptr(rm), ptr(rv),
                                      N, C, HW, eps, mom, relu, 0)
            ref, mean, var, invstd, xhat = bn_reference(x, g_, b_, eps, relu)
            assert_close(out, ref.astype(dtype), tol)
            assert_close(sm, mean.astype(dtype), tol)
            assert_close(si, invstd.astype(dtype), tol)
            cnt = N * HW
            assert_close(rm, ((1 - mom) * rm0 + mom * mean).astype(dtype), tol)
            assert_close(rv, ((1 - mom) * rv0 + mom * var * cnt / (cnt - 1)).astype(dtype), tol)
            # eval with the running statistics: one scale-shift
            ev = np.full_like(x, np.nan)
            E.batchnorm_forward_eval(ch, ptr(ev), ptr(x), ptr(g_), ptr(b_), ptr(rm), ptr(rv), N, C, HW, eps, relu, 0)
            e_ref = (x.astype(np.float64) - rm[None, :, None]) / np.sqrt(rv.astype(np.float64) + eps)[None, :, None]
            e_ref = e_ref * (1 if g_ is None else g_[None, :, None]) + (0 if b_ is None else b_[None, :, None])
            assert_close(ev, (np.maximum(e_ref, 0) if relu else e_ref).astype(dtype), tol)
            # backward (accumulating), the ReLU mask from the saved output
            dout = rand(rng, x.shape, dtype)
            gm = dout.astype(np.float64) * ((out > 0) if relu else 1)
            dg0, db0, dx0 = rand(rng, C, dtype), rand(rng, C, dtype), rand(rng, x.shape, dtype)
            dg, db, dx = dg0.copy(), db0.copy(), dx0.copy()
            E.batchnorm_backward(ch, ptr(dx), ptr(dg if g_ is not None else None), ptr(db if g_ is not None else None),
                                 ptr(dout), ptr(x), ptr(out), ptr(sm), ptr(si), ptr(g_), N, C, HW, relu, 0)
            sg, sgx = gm.sum(axis=(0, 2)), (gm * xhat).sum(axis=(0, 2))
            k = (1 if g_ is None else g_.astype(np.float64)) * invstd
            dx_ref = dx0 + k[None, :, None] * (gm - sg[None, :, None] / cnt - xhat * sgx[None, :, None] / cnt)
            assert_close(dx, dx_ref.astype(dtype), tol * 10)
            if g_ is not None:
                assert_close(db, (db0 + sg).astype(dtype), tol * 10)
                assert_close(dg, (dg0 + sgx).astype(dtype), tol * 10)


def test_batchnorm_matches_torch_training_step():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rand(rng, (4, 3, 5, 6), np.float64)
    bn = torch.nn.BatchNorm2d(3, dtype=torch.float64)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(rand(rng, 3, np.float64)))
        bn.bias.copy_(torch.tensor(rand(rng, 3, np.float64)))
    tx = torch.tensor(x, requires_grad=True)
    tout = bn(tx)
    g = rand(rng, x.shape, np.float64)
    tout.backward(torch.tensor(g))
    gamma, beta = bn.weight.detach().numpy().copy(), bn.bias.detach().numpy().copy()
    rm, rv = np.zeros(3), np.ones(3)
    out, sm, si = np.empty_like(x), np.empty(3), np.empty(3)
    E.batchnorm_forward_train("d", ptr(out), ptr(sm), ptr(si), ptr(x), ptr(gamma), ptr(beta), ptr(rm), ptr(rv), 4, 3,
                              30, 1e-5, 0.1, False, 0)
    assert_close(out, tout.detach().numpy(), 1e-12)
    assert_close(rm, bn.running_mean.numpy(), 1e-12)
    assert_close(rv, bn.running_var.numpy(), 1e-12)
    dx, dg, db = np.zeros_like(x), np.zeros(3), np.zeros(3)
    E.batchnorm_backward("d", ptr(dx), ptr(dg), ptr(db), ptr(g), ptr(x), ptr(out), ptr(sm), ptr(si), ptr(gamma), 4, 3,
                         30, False, 0)
    assert_close(dx, tx.grad.numpy(), 1e-11)
    assert_close(dg, bn.weight.grad.numpy(), 1e-11)
    assert_close(db, bn.bias.grad.numpy(), 1e-11)


def test_batchnorm_validation():
    a = np.zeros(8, np.float32)
    p = ptr(a)
    with pytest.raises(ValueError, match=r"^\[batch_norm\] expected more than 1 value per channel when training, got "
                                         r"input \(1, 3, 1\) as N x C x HW"):
        E.batchnorm_forward_train("f", p, p, p, p, 0, 0, 0, 0, 1, 3, 1, 1e-5, 0.1, False, 0)
    with pytest.raises(ValueError, match=r"^\[batch_norm\] running_mean is a null pointer"):
        E.batchnorm_forward_eval("f", p, p, 0, 0, 0, p, 2, 3, 1, 1e-5, False, 0)
    with pytest.raises(ValueError, match=r"^\[batch_norm_backward\] out is a null pointer"):
        E.batchnorm_backward("f", p, 0, 0, p, p, 0, p, p, 0, 2, 3, 1, True, 0)


# ---------------------------------------------------------------- optimizer updates (bit for bit)

def optim_arrays(rng, n, dtype, k):
    return [rand(rng, n, dtype) for _ in range(k)]


@pytest.mark.parametrize("dtype", DTYPES, ids=DT_IDS)
def test_sgd_update_bit_for_bit(schedule, dtype):
    rng = np.random.default_rng(5)
    for n in (1, 17, 1000, 70001):
        for momentum, dampening, wd, nesterov, maximize, init in ((0, 0, 0, False, False, False),
                                                                  (0.9, 0, 1e-4, True, False, False),
                                                                  (0.9, 0.1, 0.01, False, True, True),
                                                                  (0.5, 0.3, 0, False, False, False)):
            p, g, buf = optim_arrays(rng, n, dtype, 3)
            rp, rbuf = p.copy(), buf.copy()
            _C.sgd_update(rp, g, rbuf if momentum else None, 0.05, momentum, dampening, wd, nesterov, maximize, init,
                          reference=True)
            E.sgd_update(p.dtype.char, ptr(p), ptr(g), ptr(buf) if momentum else 0, n, 0.05, momentum, dampening, wd,
                         nesterov, maximize, init, 0)
            np.testing.assert_array_equal(p, rp)
            if momentum:
                np.testing.assert_array_equal(buf, rbuf)


@pytest.mark.parametrize("dtype", DTYPES, ids=DT_IDS)
def test_adam_update_bit_for_bit(schedule, dtype):
    rng = np.random.default_rng(6)
    for n in (1, 17, 1000, 70001):
        for wd, decoupled, maximize, amsgrad in ((0, False, False, False), (0.01, False, True, True),
                                                (0.01, True, False, False), (0.1, True, True, True)):
            p, g, m1 = optim_arrays(rng, n, dtype, 3)
            m2, mx = np.abs(rand(rng, n, dtype)), np.abs(rand(rng, n, dtype))
            mx[::9] = np.nan
            ref = [a.copy() for a in (p, m1, m2, mx)]
            step, lr, b1, b2 = 3, 1e-3, 0.9, 0.999
            args = (lr, b1, b2, 1e-8, wd, decoupled, maximize, lr / (1 - b1**step), np.sqrt(1 - b2**step))
            _C.adam_update(ref[0], g, ref[1], ref[2], ref[3] if amsgrad else None, *args, reference=True)
            E.adam_update(p.dtype.char, ptr(p), ptr(g), ptr(m1), ptr(m2), ptr(mx) if amsgrad else 0, n, *args, 0)
            for a, r in zip((p, m1, m2, mx), ref):
                np.testing.assert_array_equal(a, r)


def test_optim_validation():
    a = np.zeros(8, np.float32)
    with pytest.raises(ValueError, match=r"^\[sgd_update\] momentum_buffer is a null pointer"):
        E.sgd_update("f", ptr(a), ptr(a), 0, 8, 0.1, 0.9, 0, 0, False, False, False, 0)
    with pytest.raises(ValueError, match=r"^\[adam_update\] n must be >= 0, got -1"):
        E.adam_update("f", ptr(a), ptr(a), ptr(a), ptr(a), 0, -1, 1e-3, 0.9, 0.999, 1e-8, 0, False, False, 1e-3, 1.0, 0)


def test_bad_device_data_never_reads_or_writes_out_of_bounds():
    """Targets and argmax live on the device, so the binding cannot check them: an out-of-range target gives
    a NaN row (and check_targets names it), an argmax outside the plane is skipped."""
    logits = np.zeros((3, 4), np.float32)
    target = np.array([1, 400, -7])
    w = np.ones(4, np.float32)
    loss, ls, ws, dl = ops.softmax_cross_entropy(logits, target, w)
    assert loss[0] == pytest.approx(np.log(4)) and np.isnan(loss[1:]).all() and np.isnan(dl[1:]).all()
    assert np.isnan(ls) and np.isnan(ws)
    assert ops.check_targets(target, 4) == 1
    g = np.ones((1, 1, 2, 2), np.float32)
    am = np.array([0, 3, 16, -1], np.int32).reshape(1, 1, 2, 2)
    d = ops.max_pool2d_backward(g, am, (1, 1, 4, 4))
    assert d.sum() == 2 and d[0, 0, 0, 0] == 1 and d[0, 0, 0, 3] == 1
