"""axonal._C conv2d kernels: fast vs naive reference at awkward sizes, against PyTorch, accumulation,
determinism, and the validation errors of the binding."""
import numpy as np
import pytest

from axonal import _C

# (N, C, H, W, K, R, S, stride, padding, dilation)
CASES = [
    (1, 1, 1, 1, 1, 1, 1, (1, 1), (0, 0), (1, 1)),  # smallest possible, pointwise path
    (3, 3, 7, 7, 5, 1, 1, (1, 1), (0, 0), (1, 1)),  # pointwise, batch-parallel
    (1, 7, 17, 17, 17, 1, 1, (1, 1), (0, 0), (1, 1)),  # pointwise, batch 1
    (3, 7, 7, 7, 5, 1, 1, (2, 2), (0, 0), (1, 1)),  # 1x1 but strided: goes through im2col
    (3, 3, 7, 7, 5, 1, 1, (1, 1), (1, 1), (1, 1)),  # 1x1 with padding
    (3, 3, 7, 7, 5, 3, 3, (1, 1), (1, 1), (1, 1)),
    (1, 7, 17, 17, 17, 3, 3, (2, 2), (1, 1), (1, 1)),
    (3, 1, 28, 28, 5, 5, 5, (1, 1), (0, 0), (1, 1)),
    (1, 3, 28, 28, 17, 5, 5, (2, 2), (2, 2), (1, 1)),
    (3, 3, 17, 13, 5, 3, 2, (1, 1), (1, 0), (1, 1)),  # non-square kernel, input
    (1, 3, 17, 17, 5, 1, 5, (1, 2), (0, 2), (1, 1)),
    (3, 7, 17, 17, 17, 3, 3, (2, 2), (1, 1), (2, 2)),  # stride + padding + dilation
    (3, 3, 7, 9, 1, 3, 3, (1, 1), (1, 1), (2, 2)),
    (3, 3, 28, 17, 17, 3, 3, (1, 2), (2, 1), (2, 3)),
    (3, 1, 1, 1, 5, 3, 3, (1, 1), (1, 1), (1, 1)),  # 1x1 input, only the centre tap is real
    (3, 3, 3, 3, 5, 5, 5, (1, 1), (1, 1), (1, 1)),  # kernel larger than the input, 1x1 output
    (3, 7, 17, 7, 5, 3, 5, (3, 2), (0, 1), (1, 2)),  # stride 3, output rows not a multiple of it
    # stride 1 with Q == W: the "flat taps" im2col/col2im (one span per tap, edge columns zeroed)
    (2, 4, 14, 14, 6, 5, 5, (1, 1), (2, 2), (1, 1)),  # 5x5 "same"
    (2, 3, 9, 8, 4, 3, 3, (1, 1), (0, 1), (1, 1)),  # flat in width only: P = 7 != H
    (2, 3, 10, 11, 5, 3, 3, (1, 1), (2, 2), (2, 2)),  # dilated "same"
    (2, 2, 6, 5, 3, 1, 3, (1, 1), (3, 1), (1, 1)),  # padding taller than the kernel: zero rows
    # float32 flat-taps layers with one image per thread run the implicit-GEMM kernels; with C a multiple
    # of 6 (full register tiles) the input gradient runs as a convolution with the flipped weight
    (2, 6, 11, 10, 7, 3, 3, (1, 1), (2, 2), (2, 2)),  # dilated, flipped-weight input gradient
    (2, 12, 9, 13, 5, 3, 5, (1, 1), (1, 2), (1, 1)),  # non-square kernel
    (2, 6, 9, 8, 4, 3, 3, (1, 1), (0, 1), (1, 1)),  # P != H: the flipped-weight conv pads 2 rows
    (3, 6, 5, 4, 9, 3, 3, (1, 1), (3, 1), (1, 1)),  # padding beyond the kernel: no flipped-weight conv
    # float32 3x3 stride-1 layers with C, K >= 8 run on Winograd F(2x2, 3x3), forward and input gradient
    (2, 8, 14, 14, 16, 3, 3, (1, 1), (1, 1), (1, 1)),
    (3, 9, 7, 11, 10, 3, 3, (1, 1), (0, 0), (1, 1)),  # no padding: odd P and Q, last tiles half outside
    (2, 8, 5, 6, 8, 3, 3, (1, 1), (2, 1), (1, 1)),  # padding 2: the input gradient's conv pads 0
    (2, 16, 9, 37, 12, 3, 3, (1, 1), (1, 1), (1, 1)),  # 19 tiles per tile row: 3 vectors, the last partial
    (5, 8, 6, 6, 8, 3, 3, (1, 1), (1, 1), (1, 1)),  # several images per tile group
    # and 5x5 ones on Winograd F(2x2, 5x5)
    (2, 8, 14, 14, 9, 5, 5, (1, 1), (2, 2), (1, 1)),
    (3, 9, 11, 13, 8, 5, 5, (1, 1), (0, 1), (1, 1)),  # odd P and Q, different paddings
    (2, 8, 7, 23, 10, 5, 5, (1, 1), (4, 3), (1, 1)),  # padding 4: the input gradient's conv pads 0 and 1
    # strided 3x3 / 5x5 layers with C, K >= 8 (a ResNet's downsampling convs): their input gradient is not the
    # stride-1 flipped-weight convolution, so neither Winograd nor implicit GEMM may take it
    (4, 32, 8, 8, 64, 3, 3, (2, 2), (1, 1), (1, 1)),
    (2, 16, 16, 16, 32, 3, 3, (2, 2), (1, 1), (1, 1)),
    (2, 8, 9, 9, 8, 3, 3, (2, 2), (0, 0), (1, 1)),
    (2, 8, 11, 11, 8, 5, 5, (2, 1), (2, 2), (1, 1)),
]


def case_id(c):
    n, ch, h, w, k, r, s, st, pd, dl = c
    return f"n{n}c{ch}_{h}x{w}_k{k}_{r}x{s}_s{st[0]}{st[1]}_p{pd[0]}{pd[1]}_d{dl[0]}{dl[1]}"


def out_size(size, kernel, stride, pad, dil):
    return (size + 2 * pad - dil * (kernel - 1) - 1) // stride + 1


def make(case, dtype, seed=0):
    n, c, h, w, k, r, s, st, pd, dl = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = rng.standard_normal((k, c, r, s)).astype(dtype)
    b = rng.standard_normal(k).astype(dtype)
    p, q = out_size(h, r, st[0], pd[0], dl[0]), out_size(w, s, st[1], pd[1], dl[1])
    g = rng.standard_normal((n, k, p, q)).astype(dtype)
    return x, wt, b, g, st, pd, dl


def assert_close(actual, expected, rtol):
    """Elementwise, relative to the array's largest magnitude (sums of mixed signs can cancel to ~0)."""
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    scale = max(float(np.abs(expected).max()), 1e-30)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


RTOL = {np.float32: 1e-5, np.float64: 1e-12}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_fast_matches_reference(case, dtype):
    x, w, b, g, st, pd, dl = make(case, dtype)
    for bias in (b, None):
        out = _C.conv2d_forward(x, w, bias, st, pd, dl)
        ref = _C.conv2d_forward(x, w, bias, st, pd, dl, reference=True)
        assert out.shape == g.shape
        assert_close(out, ref, RTOL[dtype])
    gi = _C.conv2d_backward_input(g, w, x.shape, st, pd, dl)
    gi_ref = _C.conv2d_backward_input(g, w, x.shape, st, pd, dl, reference=True)
    assert_close(gi, gi_ref, RTOL[dtype])
    for with_bias in (True, False):
        gw, gb = _C.conv2d_backward_weight(g, x, w.shape, with_bias, st, pd, dl)
        gw_ref, gb_ref = _C.conv2d_backward_weight(g, x, w.shape, with_bias, st, pd, dl, reference=True)
        assert_close(gw, gw_ref, RTOL[dtype])
        if with_bias:
            assert_close(gb, gb_ref, RTOL[dtype])
        else:
            assert gb is None and gb_ref is None


# Images whose column matrix exceeds the kernels' block size (~1 MiB): the output rows are processed in
# several blocks. N = 1 runs the gemm across threads; N = 2 gives one image per thread with the weight
# packed once (gemm_with_packed_a).
BLOCKED = [
    (1, 64, 56, 20, 4, 3, 3, (1, 1), (1, 1), (1, 1)),  # flat taps, 3 blocks of 19 + 19 + 18 rows (f32)
    (2, 64, 56, 20, 4, 3, 3, (1, 1), (1, 1), (1, 1)),
    (2, 64, 57, 41, 3, 3, 3, (2, 2), (1, 1), (1, 1)),  # strided: the general im2col, blocks of uneven rows
    (2, 40, 40, 40, 5, 5, 5, (1, 1), (2, 2), (1, 1)),  # 5x5 "same", 7 blocks of 6 rows (f32)
    (3, 16, 40, 40, 16, 3, 3, (1, 1), (1, 1), (1, 1)),  # Winograd, one image per tile group (f32)
    (3, 16, 30, 30, 16, 5, 5, (1, 1), (2, 2), (1, 1)),  # Winograd F(2x2, 5x5) (f32)
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", BLOCKED, ids=case_id)
def test_row_blocks_match_reference(case, dtype):
    x, w, b, g, st, pd, dl = make(case, dtype, seed=5)
    assert_close(_C.conv2d_forward(x, w, b, st, pd, dl), _C.conv2d_forward(x, w, b, st, pd, dl, reference=True),
                 RTOL[dtype] * 10)
    assert_close(_C.conv2d_backward_input(g, w, x.shape, st, pd, dl),
                 _C.conv2d_backward_input(g, w, x.shape, st, pd, dl, reference=True), RTOL[dtype] * 10)
    gw, gb = _C.conv2d_backward_weight(g, x, w.shape, True, st, pd, dl)
    gw_ref, gb_ref = _C.conv2d_backward_weight(g, x, w.shape, True, st, pd, dl, reference=True)
    assert_close(gw, gw_ref, RTOL[dtype] * 10)
    assert_close(gb, gb_ref, RTOL[dtype] * 10)
    relu = _C.conv2d_forward(x, w, b, st, pd, dl, relu=True)
    np.testing.assert_array_equal(relu, np.maximum(_C.conv2d_forward(x, w, b, st, pd, dl), 0))


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_torch_float32(case):
    torch = pytest.importorskip("torch")
    x, w, b, g, st, pd, dl = make(case, np.float32, seed=1)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    tout = torch.nn.functional.conv2d(tx, tw, tb, stride=st, padding=pd, dilation=dl)
    tout.backward(torch.tensor(g))
    assert_close(_C.conv2d_forward(x, w, b, st, pd, dl), tout.detach().numpy(), 1e-4)
    assert_close(_C.conv2d_backward_input(g, w, x.shape, st, pd, dl), tx.grad.numpy(), 1e-4)
    gw, gb = _C.conv2d_backward_weight(g, x, w.shape, True, st, pd, dl)
    assert_close(gw, tw.grad.numpy(), 1e-4)
    assert_close(gb, tb.grad.numpy(), 1e-4)


ACCUMULATE_CASES = [(CASES[1], np.float64), (CASES[6], np.float64), (CASES[11], np.float64),
                    (CASES[21], np.float32), (CASES[26], np.float32)]  # implicit GEMM and Winograd


@pytest.mark.parametrize("reference", [False, True], ids=["fast", "reference"])
@pytest.mark.parametrize("case,dtype", ACCUMULATE_CASES, ids=lambda v: case_id(v) if isinstance(v, tuple) else None)
def test_backward_kernels_accumulate(case, dtype, reference):
    """Backward kernels add into the gradient buffers they are given: calling twice gives 2x."""
    x, w, b, g, st, pd, dl = make(case, dtype, seed=2)
    tol = RTOL[dtype]
    once = _C.conv2d_backward_input(g, w, x.shape, st, pd, dl, reference=reference)
    buf = np.zeros_like(x)
    for _ in range(2):
        res = _C.conv2d_backward_input(g, w, x.shape, st, pd, dl, reference=reference, grad_input=buf)
        assert res is buf
    assert_close(buf, 2 * once, tol)

    gw1, gb1 = _C.conv2d_backward_weight(g, x, w.shape, True, st, pd, dl, reference=reference)
    gw, gb = np.zeros_like(w), np.zeros_like(b)
    for _ in range(2):
        rw, rb = _C.conv2d_backward_weight(g, x, w.shape, True, st, pd, dl, reference=reference, grad_weight=gw,
                                           grad_bias=gb)
        assert rw is gw and rb is gb
    assert_close(gw, 2 * gw1, tol)
    assert_close(gb, 2 * gb1, tol)
    # A batch holding the same images twice sums to 2x as well (the batch reduction is a sum).
    gw2, gb2 = _C.conv2d_backward_weight(np.concatenate([g, g]), np.concatenate([x, x]), w.shape, True, st, pd,
                                         dl, reference=reference)
    assert_close(gw2, 2 * gw1, tol)
    assert_close(gb2, 2 * gb1, tol)


@pytest.mark.parametrize("case", [(4, 3, 17, 17, 17, 3, 3, (1, 1), (1, 1), (1, 1)),
                                  (5, 8, 13, 11, 9, 3, 3, (1, 1), (1, 1), (1, 1))],
                         ids=["implicit", "winograd"])
def test_num_threads_do_not_change_results(case):
    """Batch-parallel (threads <= N) and gemm-parallel (one thread, or N < threads) paths agree, and
    repeated runs with a fixed thread count are bitwise identical (fixed-order dweight reduction)."""
    x, w, b, g, st, pd, dl = make(case, np.float32, seed=3)
    saved = _C.get_num_threads()
    results = {}
    try:
        for nt in sorted({1, 2, 3, saved}):
            _C.set_num_threads(nt)
            runs = [(_C.conv2d_forward(x, w, b, st, pd, dl),
                     _C.conv2d_backward_input(g, w, x.shape, st, pd, dl),
                     *_C.conv2d_backward_weight(g, x, w.shape, True, st, pd, dl)) for _ in range(2)]
            for a, b2 in zip(*runs):
                np.testing.assert_array_equal(a, b2)
            results[nt] = runs[0]
    finally:
        _C.set_num_threads(saved)
    for nt, res in results.items():
        for a, ref in zip(res, results[1]):
            assert_close(a, ref, 1e-5)


def test_kernel_output_written_fully():
    """forward overwrites its output and backward_input accumulates only into real input taps: a
    strided conv that skips input pixels leaves their gradient exactly zero."""
    x = np.ones((1, 1, 5, 5), np.float64)
    w = np.ones((1, 1, 1, 1), np.float64)
    g = np.ones((1, 1, 3, 3), np.float64)
    gi = _C.conv2d_backward_input(g, w, x.shape, (2, 2), (0, 0), (1, 1))
    expected = np.zeros((5, 5))
    expected[::2, ::2] = 1
    np.testing.assert_array_equal(gi[0, 0], expected)
    out = _C.conv2d_forward(x, w, None, (2, 2), (0, 0), (1, 1))
    np.testing.assert_array_equal(out, np.ones((1, 1, 3, 3)))


# ---- validation -------------------------------------------------------------------------------------

X = np.zeros((8, 3, 28, 28), np.float32)
W = np.zeros((32, 3, 3, 3), np.float32)
B = np.zeros(32, np.float32)
G = np.zeros((8, 32, 26, 26), np.float32)
ONE, ZERO = (1, 1), (0, 0)
READONLY_X = np.zeros_like(X)
READONLY_X.flags.writeable = False


def fwd(x=X, w=W, b=B, stride=ONE, padding=ZERO, dilation=ONE):
    return _C.conv2d_forward(x, w, b, stride, padding, dilation)


def bwd_in(g=G, w=W, shape=X.shape, stride=ONE, padding=ZERO, dilation=ONE):
    return _C.conv2d_backward_input(g, w, shape, stride, padding, dilation)


def bwd_w(g=G, x=X, shape=W.shape, with_bias=True, stride=ONE, padding=ZERO, dilation=ONE):
    return _C.conv2d_backward_weight(g, x, shape, with_bias, stride, padding, dilation)


ERRORS = [
    ("channels", lambda: fwd(x=np.zeros((8, 3, 28, 28), np.float32), w=np.zeros((32, 1, 3, 3), np.float32), b=None),
     ValueError, "[conv2d] input has 3 channels but weight expects 1 (input (8, 3, 28, 28), weight (32, 1, 3, 3))"),
    ("input_none", lambda: fwd(x=None), TypeError, "[conv2d] input must be a numpy.ndarray, got NoneType"),
    ("weight_list", lambda: fwd(w=W.tolist()), TypeError, "[conv2d] weight must be a numpy.ndarray, got list"),
    ("bias_list", lambda: fwd(b=[0.0] * 32), TypeError, "[conv2d] bias must be a numpy.ndarray or None, got list"),
    ("bi_grad_none", lambda: bwd_in(g=None), TypeError, "[conv2d_backward_input] grad_out must be a numpy.ndarray"),
    ("bw_input_none", lambda: bwd_w(x=None), TypeError, "[conv2d_backward_weight] input must be a numpy.ndarray"),
    ("big_endian", lambda: fwd(x=X.astype(">f4")), TypeError, "[conv2d] input must be float32 or float64, got >f4"),
    ("int_dtype", lambda: fwd(x=X.astype(np.int32)), TypeError, "[conv2d] input must be float32 or float64"),
    ("float16", lambda: fwd(x=X.astype(np.float16)), TypeError, "[conv2d] input must be float32 or float64"),
    ("mixed_dtype", lambda: fwd(w=W.astype(np.float64)), TypeError, "[conv2d] weight has dtype float64"),
    ("bias_dtype", lambda: fwd(b=B.astype(np.float64)), TypeError, "[conv2d] bias has dtype float64"),
    ("ndim3", lambda: fwd(x=X[0]), ValueError, "[conv2d] input must be 4-D but has shape (3, 28, 28)"),
    ("weight_ndim", lambda: fwd(w=W[0]), ValueError, "[conv2d] weight must be 4-D"),
    ("non_contiguous", lambda: fwd(x=X[:, :, ::2]), ValueError, "[conv2d] input must be C-contiguous"),
    ("transposed", lambda: fwd(x=X.transpose(0, 1, 3, 2)), ValueError, "[conv2d] input must be C-contiguous"),
    ("bias_shape", lambda: fwd(b=np.zeros(5, np.float32)), ValueError,
     "[conv2d] bias has shape (5,) but weight has 32 output channels"),
    ("bias_2d", lambda: fwd(b=np.zeros((32, 1), np.float32)), ValueError, "[conv2d] bias has shape (32, 1)"),
    ("stride0", lambda: fwd(stride=(0, 1)), ValueError, "[conv2d] stride must be >= 1, got (0, 1)"),
    ("dilation0", lambda: fwd(dilation=(1, 0)), ValueError, "[conv2d] dilation must be >= 1"),
    ("padding_neg", lambda: fwd(padding=(-1, 0)), ValueError, "[conv2d] padding must be >= 0"),
    ("stride_len", lambda: fwd(stride=(1, 1, 1)), ValueError, "[conv2d] stride must have 2 values"),
    ("stride_int", lambda: fwd(stride=1), TypeError, "[conv2d] stride must be a sequence of 2 ints"),
    ("stride_float", lambda: fwd(stride=(1.5, 1)), TypeError, "[conv2d] stride must contain ints"),
    ("padding_huge", lambda: fwd(padding=(2 ** 40, 0)), ValueError, "[conv2d] padding must be <="),
    ("padding_overflow", lambda: fwd(padding=(2 ** 70, 0)), ValueError, "[conv2d] padding has a value out of range"),
    ("kernel_too_big", lambda: fwd(w=np.zeros((32, 3, 29, 3), np.float32)), ValueError,
     "[conv2d] kernel (29, 3) with dilation (1, 1) is larger than the padded input"),
    ("dilated_too_big", lambda: fwd(dilation=(14, 1)), ValueError, "[conv2d] kernel (3, 3) with dilation (14, 1)"),
    ("zero_batch", lambda: fwd(x=np.zeros((0, 3, 28, 28), np.float32)), ValueError,
     "[conv2d] input has a zero-sized dimension: shape (0, 3, 28, 28)"),
    ("zero_k", lambda: fwd(w=np.zeros((0, 3, 3, 3), np.float32), b=None), ValueError,
     "[conv2d] weight has a zero-sized dimension"),
    ("bi_shape_neg", lambda: bwd_in(shape=(8, 3, -28, 28)), ValueError,
     "[conv2d_backward_input] input_shape must have sizes >= 1, got (8, 3, -28, 28)"),
    ("bi_shape_len", lambda: bwd_in(shape=(8, 3, 28)), ValueError,
     "[conv2d_backward_input] input_shape must have 4 values"),
    ("bi_channels", lambda: bwd_in(shape=(8, 1, 28, 28)), ValueError,
     "[conv2d_backward_input] input_shape has 1 channels but weight expects 3"),
    ("bi_grad_shape", lambda: bwd_in(g=np.zeros((8, 32, 28, 28), np.float32)), ValueError,
     "[conv2d_backward_input] grad_out has shape (8, 32, 28, 28) but the convolution output is (8, 32, 26, 26)"),
    ("bi_grad_dtype", lambda: bwd_in(g=G.astype(np.float64)), TypeError,
     "[conv2d_backward_input] weight has dtype float32 but grad_out has dtype float64"),
    ("bi_too_big", lambda: bwd_in(shape=(8, 3, 2, 2)), ValueError,
     "[conv2d_backward_input] kernel (3, 3) with dilation (1, 1) is larger than the padded input"),
    ("bw_shape_zero", lambda: bwd_w(shape=(32, 3, 0, 3)), ValueError,
     "[conv2d_backward_weight] weight_shape must have sizes >= 1"),
    ("bw_channels", lambda: bwd_w(shape=(32, 4, 3, 3)), ValueError,
     "[conv2d_backward_weight] input has 3 channels but weight_shape expects 4"),
    ("bw_grad_shape", lambda: bwd_w(g=np.zeros((8, 16, 26, 26), np.float32)), ValueError,
     "[conv2d_backward_weight] grad_out has shape (8, 16, 26, 26) but the convolution output is (8, 32, 26, 26)"),
    ("bw_grad_batch", lambda: bwd_w(g=np.zeros((7, 32, 26, 26), np.float32)), ValueError,
     "[conv2d_backward_weight] grad_out has shape (7, 32, 26, 26)"),
    ("bw_x_noncontig", lambda: bwd_w(x=np.asfortranarray(X)), ValueError,
     "[conv2d_backward_weight] input must be C-contiguous"),
    ("bw_stride", lambda: bwd_w(stride=(1, -2)), ValueError, "[conv2d_backward_weight] stride must be >= 1"),
    ("bi_buffer_shape", lambda: _C.conv2d_backward_input(G, W, X.shape, ONE, ZERO, ONE,
                                                         grad_input=np.zeros((8, 3, 28, 27), np.float32)),
     ValueError, "[conv2d_backward_input] grad_input has shape (8, 3, 28, 27) but must be (8, 3, 28, 28)"),
    ("bi_buffer_dtype", lambda: _C.conv2d_backward_input(G, W, X.shape, ONE, ZERO, ONE,
                                                         grad_input=np.zeros(X.shape, np.float64)),
     TypeError, "[conv2d_backward_input] grad_input has dtype float64 but grad_out has dtype float32"),
    ("bi_buffer_readonly", lambda: _C.conv2d_backward_input(G, W, X.shape, ONE, ZERO, ONE,
                                                            grad_input=READONLY_X),
     ValueError, "[conv2d_backward_input] grad_input must be writeable"),
    ("bi_buffer_strided", lambda: _C.conv2d_backward_input(G, W, X.shape, ONE, ZERO, ONE,
                                                           grad_input=np.broadcast_to(np.float32(0), X.shape)),
     ValueError, "[conv2d_backward_input] grad_input must be C-contiguous"),
    ("bw_buffer_bias_without_bias", lambda: _C.conv2d_backward_weight(G, X, W.shape, False, ONE, ZERO, ONE,
                                                                      grad_bias=np.zeros(32, np.float32)),
     ValueError, "[conv2d_backward_weight] grad_bias was given but with_bias is False"),
    ("bw_buffer_bias_shape", lambda: _C.conv2d_backward_weight(G, X, W.shape, True, ONE, ZERO, ONE,
                                                               grad_bias=np.zeros(31, np.float32)),
     ValueError, "[conv2d_backward_weight] grad_bias has shape (31,) but must be (32,)"),
    # input (32, 3, 3, 3) has the weight's shape, so it can be passed as grad_weight: an alias the kernel
    # would read while writing.
    ("bw_buffer_alias", lambda: _C.conv2d_backward_weight(np.zeros((32, 32, 1, 1), np.float32), W, W.shape, False,
                                                          ONE, ZERO, ONE, grad_weight=W),
     ValueError, "[conv2d_backward_weight] grad_weight / grad_bias must not overlap"),
    ("bw_shape_huge", lambda: bwd_w(shape=(2 ** 40, 3, 2 ** 30, 3)), ValueError,
     "[conv2d_backward_weight] weight_shape (1099511627776, 3, 1073741824, 3) has too many elements"),
]


@pytest.mark.parametrize("call,exc,message", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors(call, exc, message):
    with pytest.raises(exc) as info:
        call()
    assert str(info.value).startswith(message), str(info.value)


def test_valid_calls_of_the_error_fixtures():
    """The fixtures above are valid apart from the one thing each error case breaks."""
    assert fwd().shape == G.shape
    assert bwd_in().shape == X.shape
    gw, gb = bwd_w()
    assert gw.shape == W.shape and gb.shape == B.shape
