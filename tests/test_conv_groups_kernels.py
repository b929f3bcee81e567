"""axonal._C conv2d with groups: depthwise (groups == C, the direct kernel) and grouped (dense kernels one
group at a time) forward, input and weight gradients against the naive reference at awkward sizes, every
stride / padding / dilation, float32 and float64; against PyTorch; accumulation; thread counts; and the
binding's validation of groups."""
import numpy as np
import pytest

from axonal import _C

# (N, C, H, W, K, R, S, stride, padding, dilation, groups)
CASES = [
    (3, 7, 17, 17, 7, 3, 3, (1, 1), (1, 1), (1, 1), 7),  # depthwise 3x3 "same": the unrolled row kernel
    (2, 5, 17, 13, 5, 3, 3, (2, 2), (1, 1), (1, 1), 5),  # depthwise 3x3 stride 2 (unrolled, strided)
    (2, 4, 9, 65, 4, 3, 3, (1, 1), (1, 1), (1, 1), 4),  # 65-wide rows: vector body + tail
    (1, 3, 7, 9, 6, 3, 3, (1, 1), (1, 1), (1, 1), 3),  # depthwise multiplier 2 (K = 2 C)
    (2, 3, 11, 10, 9, 5, 5, (1, 1), (2, 2), (2, 2), 3),  # dilated 5x5, multiplier 3: the generic row kernel
    (2, 5, 13, 11, 5, 3, 3, (3, 2), (0, 1), (1, 1), 5),  # stride 3 x 2, no vertical padding
    (3, 4, 7, 7, 4, 1, 1, (1, 1), (0, 0), (1, 1), 4),  # depthwise 1x1
    (2, 6, 9, 8, 6, 3, 1, (2, 1), (1, 0), (1, 2), 6),  # non-square kernel, stride and dilation per axis
    (1, 2, 3, 3, 2, 3, 3, (1, 1), (2, 2), (1, 1), 2),  # padding as large as the input
    (1, 1, 1, 1, 1, 1, 1, (1, 1), (0, 0), (1, 1), 1),  # groups = 1 with C = 1 (the dense path)
    (2, 6, 9, 9, 9, 3, 3, (1, 1), (1, 1), (1, 1), 3),  # grouped, 2 channels and 3 filters per group
    (2, 6, 7, 7, 3, 3, 3, (1, 1), (1, 1), (1, 1), 3),  # one filter per group
    (2, 16, 14, 14, 16, 3, 3, (1, 1), (1, 1), (1, 1), 2),  # 8 -> 8 per group: Winograd per group (float32)
    (2, 12, 11, 10, 6, 3, 3, (1, 1), (2, 2), (2, 2), 2),  # 6 -> 3 per group, dilated: implicit GEMM per group
    (3, 8, 9, 9, 12, 1, 1, (2, 2), (0, 0), (1, 1), 4),  # grouped 1x1 stride 2
    (3, 8, 9, 9, 12, 1, 1, (1, 1), (0, 0), (1, 1), 4),  # grouped pointwise
    (2, 6, 17, 17, 6, 3, 3, (2, 2), (1, 1), (1, 1), 2),  # grouped 3x3 stride 2
]


def case_id(c):
    n, ch, h, w, k, r, s, st, pd, dl, gr = c
    return f"n{n}c{ch}_{h}x{w}_k{k}_{r}x{s}_s{st[0]}{st[1]}_p{pd[0]}{pd[1]}_d{dl[0]}{dl[1]}_g{gr}"


def out_size(size, kernel, stride, pad, dil):
    return (size + 2 * pad - dil * (kernel - 1) - 1) // stride + 1


def make(case, dtype, seed=0):
    n, c, h, w, k, r, s, st, pd, dl, gr = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = rng.standard_normal((k, c // gr, r, s)).astype(dtype)
    b = rng.standard_normal(k).astype(dtype)
    p, q = out_size(h, r, st[0], pd[0], dl[0]), out_size(w, s, st[1], pd[1], dl[1])
    g = rng.standard_normal((n, k, p, q)).astype(dtype)
    return x, wt, b, g, st, pd, dl, gr


def assert_close(actual, expected, rtol):
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    scale = max(float(np.abs(expected).max()), 1e-30)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


RTOL = {np.float32: 1e-5, np.float64: 1e-12}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_fast_matches_reference(case, dtype):
    x, w, b, g, st, pd, dl, gr = make(case, dtype)
    for bias in (b, None):
        for relu in (False, True):
            out = _C.conv2d_forward(x, w, bias, st, pd, dl, relu=relu, groups=gr)
            ref = _C.conv2d_forward(x, w, bias, st, pd, dl, reference=True, relu=relu, groups=gr)
            assert out.shape == g.shape
            assert_close(out, ref, RTOL[dtype])
    gi = _C.conv2d_backward_input(g, w, x.shape, st, pd, dl, groups=gr)
    assert_close(gi, _C.conv2d_backward_input(g, w, x.shape, st, pd, dl, reference=True, groups=gr), RTOL[dtype])
    for with_bias in (True, False):
        gw, gb = _C.conv2d_backward_weight(g, x, w.shape, with_bias, st, pd, dl, groups=gr)
        gw_ref, gb_ref = _C.conv2d_backward_weight(g, x, w.shape, with_bias, st, pd, dl, reference=True, groups=gr)
        assert_close(gw, gw_ref, RTOL[dtype])
        if with_bias:
            assert_close(gb, gb_ref, RTOL[dtype])
        else:
            assert gb is None


def test_reference_groups_is_a_stack_of_dense_convolutions():
    """The naive reference itself: a grouped convolution equals the dense reference run on each group's slice."""
    x, w, b, g, st, pd, dl, gr = make(CASES[10], np.float64, seed=7)
    got = _C.conv2d_forward(x, w, b, st, pd, dl, reference=True, groups=gr)
    cg, kg = x.shape[1] // gr, w.shape[0] // gr
    for i in range(gr):
        part = _C.conv2d_forward(np.ascontiguousarray(x[:, i * cg:(i + 1) * cg]), w[i * kg:(i + 1) * kg],
                                 b[i * kg:(i + 1) * kg], st, pd, dl, reference=True)
        np.testing.assert_array_equal(got[:, i * kg:(i + 1) * kg], part)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_torch_float32(case):
    torch = pytest.importorskip("torch")
    x, w, b, g, st, pd, dl, gr = make(case, np.float32, seed=1)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    tout = torch.nn.functional.conv2d(tx, tw, tb, stride=st, padding=pd, dilation=dl, groups=gr)
    tout.backward(torch.tensor(g))
    assert_close(_C.conv2d_forward(x, w, b, st, pd, dl, groups=gr), tout.detach().numpy(), 1e-4)
    assert_close(_C.conv2d_backward_input(g, w, x.shape, st, pd, dl, groups=gr), tx.grad.numpy(), 1e-4)
    gw, gb = _C.conv2d_backward_weight(g, x, w.shape, True, st, pd, dl, groups=gr)
    assert_close(gw, tw.grad.numpy(), 1e-4)
    assert_close(gb, tb.grad.numpy(), 1e-4)


@pytest.mark.parametrize("case", [CASES[0], CASES[4], CASES[10], CASES[12]], ids=case_id)
def test_backward_kernels_accumulate(case):
    x, w, b, g, st, pd, dl, gr = make(case, np.float32, seed=2)
    once = _C.conv2d_backward_input(g, w, x.shape, st, pd, dl, groups=gr)
    buf = np.zeros_like(x)
    for _ in range(2):
        assert _C.conv2d_backward_input(g, w, x.shape, st, pd, dl, grad_input=buf, groups=gr) is buf
    assert_close(buf, 2 * once, 1e-5)
    gw1, gb1 = _C.conv2d_backward_weight(g, x, w.shape, True, st, pd, dl, groups=gr)
    gw, gb = np.zeros_like(w), np.zeros_like(b)
    for _ in range(2):
        _C.conv2d_backward_weight(g, x, w.shape, True, st, pd, dl, grad_weight=gw, grad_bias=gb, groups=gr)
    assert_close(gw, 2 * gw1, 1e-5)
    assert_close(gb, 2 * gb1, 1e-5)


@pytest.mark.parametrize("case", [CASES[0], CASES[1], CASES[3], CASES[10]], ids=case_id)
def test_num_threads_do_not_change_results(case):
    """Depthwise layers give the same bits at every thread count (each plane and each filter's sums belong to
    one thread); grouped layers inherit the dense kernels' rule: bitwise repeatable for a fixed count."""
    x, w, b, g, st, pd, dl, gr = make(case, np.float32, seed=3)
    depthwise = gr == x.shape[1]
    saved = _C.get_num_threads()
    results = []
    try:
        for nt in (1, 2, 3):
            _C.set_num_threads(nt)
            runs = [(_C.conv2d_forward(x, w, b, st, pd, dl, groups=gr),
                     _C.conv2d_backward_input(g, w, x.shape, st, pd, dl, groups=gr),
                     *_C.conv2d_backward_weight(g, x, w.shape, True, st, pd, dl, groups=gr)) for _ in range(2)]
            for a, again in zip(*runs):
                np.testing.assert_array_equal(a, again)
            results.append(runs[0])
    finally:
        _C.set_num_threads(saved)
    for res in results[1:]:
        for a, ref in zip(res, results[0]):
            if depthwise:
                np.testing.assert_array_equal(a, ref)
            else:
                assert_close(a, ref, 1e-5)


def f32(*shape):
    return np.zeros(shape, np.float32)


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda: _C.conv2d_forward(f32(1, 6, 5, 5), f32(6, 2, 3, 3), None, (1, 1), (0, 0), (1, 1), groups=4),
         r"^\[conv2d\] groups=4 must divide the 6 input channels and the 6 filters"),
        (lambda: _C.conv2d_forward(f32(1, 6, 5, 5), f32(6, 3, 3, 3), None, (1, 1), (0, 0), (1, 1), groups=3),
         r"^\[conv2d\] input has 6 channels but weight with groups=3 expects 3 x 3 = 9"),
        (lambda: _C.conv2d_forward(f32(1, 6, 5, 5), f32(6, 6, 3, 3), None, (1, 1), (0, 0), (1, 1), groups=0),
         r"^\[conv2d\] groups must be >= 1, got 0"),
        (lambda: _C.conv2d_backward_input(f32(1, 4, 3, 3), f32(4, 2, 3, 3), (1, 6, 5, 5), (1, 1), (0, 0), (1, 1),
                                          groups=4),
         r"^\[conv2d_backward_input\] groups=4 must divide"),
        (lambda: _C.conv2d_backward_weight(f32(1, 4, 3, 3), f32(1, 6, 5, 5), (4, 2, 3, 3), True, (1, 1), (0, 0),
                                           (1, 1), groups=2),
         r"^\[conv2d_backward_weight\] input has 6 channels but weight_shape with groups=2 expects 2 x 2"),
    ],
)
def test_groups_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_groups_must_be_an_int():
    with pytest.raises(TypeError, match=r"^\[conv2d\]"):
        _C.conv2d_forward(f32(1, 4, 5, 5), f32(4, 1, 3, 3), None, (1, 1), (0, 0), (1, 1), groups=2.0)
