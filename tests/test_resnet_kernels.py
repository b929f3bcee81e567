"""axonal._C kernels for the layers of a ResNet beside the convolution: batch norm (training statistics and
running-stat update, eval folded into a scale and shift, backward, each optionally with ReLU), the residual
add + ReLU, and adaptive / global average pooling. Fast vs naive reference at awkward sizes (both the
per-channel plane layout and the row layout of small spatial sizes), float32 and float64; against
PyTorch; accumulation; thread counts; validation errors."""
import numpy as np
import pytest

from axonal import _C

DTYPES = [np.float32, np.float64]
RTOL = {np.float32: 2e-5, np.float64: 1e-12}
# (N, C, *spatial): HW = 1 and < 16 take the row layout, >= 16 the plane layout; C > 64 spans row blocks.
BN_SHAPES = [(2, 1), (7, 3), (64, 17), (5, 65), (3, 130), (4, 7, 3), (2, 5, 1, 1), (3, 7, 4, 4), (2, 3, 5, 5),
             (1, 17, 9, 7), (5, 1, 17, 3), (2, 65, 17, 17)]


def assert_close(actual, expected, rtol):
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    scale = max(float(np.abs(expected).max()), 1e-30)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


def bn_inputs(shape, dtype, seed=0, affine=True):
    rng = np.random.default_rng(seed)
    C = shape[1]
    # An offset per channel far from zero: the variance must not come from E[x^2] - E[x]^2.
    x = (rng.standard_normal(shape) * 0.5 + rng.uniform(-20, 20, size=(1, C) + (1,) * (len(shape) - 2)))
    gamma = rng.uniform(0.5, 2.0, C) if affine else None
    beta = rng.standard_normal(C) if affine else None
    rm, rv = rng.standard_normal(C), rng.uniform(0.5, 2.0, C)
    g = rng.standard_normal(shape)
    cast = (lambda a: None if a is None else np.ascontiguousarray(a, dtype=dtype))
    return cast(x), cast(gamma), cast(beta), cast(rm), cast(rv), cast(g)


def shape_id(s):
    return "x".join(map(str, s))


# ---------------------------------------------------------------- batch norm


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("relu", [False, True], ids=["plain", "relu"])
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "noaffine"])
@pytest.mark.parametrize("shape", BN_SHAPES, ids=shape_id)
def test_batch_norm_training_matches_reference(shape, affine, relu, dtype):
    x, gamma, beta, rm, rv, g = bn_inputs(shape, dtype, affine=affine)
    results = []
    for reference in (False, True):
        rm_k, rv_k = rm.copy(), rv.copy()
        y, mean, invstd = _C.batch_norm_forward(x, gamma, beta, rm_k, rv_k, True, 0.3, 1e-5, relu=relu,
                                                reference=reference)
        gi, gw, gb = _C.batch_norm_backward(g, x, mean, invstd, gamma, True, out=y if relu else None,
                                            reference=reference)
        results.append((y, mean, invstd, rm_k, rv_k, gi, gw, gb))
    for got, ref in zip(*results):
        assert_close(got, ref, RTOL[dtype])
    y = results[0][0]
    assert y.shape == x.shape and y.dtype == x.dtype
    if relu:
        assert (y >= 0).all()


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("relu", [False, True], ids=["plain", "relu"])
@pytest.mark.parametrize("shape", BN_SHAPES, ids=shape_id)
def test_batch_norm_eval_matches_reference(shape, relu, dtype):
    x, gamma, beta, rm, rv, g = bn_inputs(shape, dtype, seed=1)
    outs = []
    for reference in (False, True):
        y, mean, invstd = _C.batch_norm_forward(x, gamma, beta, rm, rv, False, 0.1, 1e-3, relu=relu,
                                                reference=reference)
        gi, gw, gb = _C.batch_norm_backward(g, x, mean, invstd, gamma, False, out=y if relu else None,
                                            reference=reference)
        outs.append((y, mean, invstd, gi, gw, gb))
    for got, ref in zip(*outs):
        assert_close(got, ref, RTOL[dtype])
    np.testing.assert_array_equal(outs[0][1], rm)  # eval returns the running statistics it used
    assert_close(outs[0][2], (1 / np.sqrt(rv.astype(np.float64) + 1e-3)).astype(dtype), RTOL[dtype])


@pytest.mark.parametrize("shape", [(8, 5), (8, 5, 3), (4, 6, 5, 5), (2, 17, 9, 9)], ids=shape_id)
@pytest.mark.parametrize("relu", [False, True], ids=["plain", "relu"])
def test_batch_norm_matches_torch(shape, relu):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x, gamma, beta, rm, rv, g = bn_inputs(shape, np.float32, seed=2)
    for training in (True, False):
        tx, tg, tb = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
        trm, trv = torch.tensor(rm), torch.tensor(rv)
        ty = F.batch_norm(tx, trm, trv, tg, tb, training, 0.1, 1e-5)
        if relu:
            ty = F.relu(ty)
        ty.backward(torch.tensor(g))
        rm_k, rv_k = rm.copy(), rv.copy()
        y, mean, invstd = _C.batch_norm_forward(x, gamma, beta, rm_k, rv_k, training, 0.1, 1e-5, relu=relu)
        gi, gw, gb = _C.batch_norm_backward(g, x, mean, invstd, gamma, training, out=y if relu else None)
        assert_close(y, ty.detach().numpy(), 1e-4)
        assert_close(rm_k, trm.numpy(), 1e-5)
        assert_close(rv_k, trv.numpy(), 1e-5)
        assert_close(gi, tx.grad.numpy(), 1e-3)
        assert_close(gw, tg.grad.numpy(), 1e-4)
        assert_close(gb, tb.grad.numpy(), 1e-4)


def test_batch_norm_running_stats_rule():
    """running = (1 - m) running + m batch, with the unbiased variance (n / (n - 1)), as torch documents."""
    x, gamma, beta, rm, rv, _ = bn_inputs((6, 3, 2, 2), np.float64, seed=3)
    rm_k, rv_k = rm.copy(), rv.copy()
    _, mean, invstd = _C.batch_norm_forward(x, gamma, beta, rm_k, rv_k, True, 0.25, 1e-5)
    xs = x.transpose(1, 0, 2, 3).reshape(3, -1)
    np.testing.assert_allclose(mean, xs.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(invstd, 1 / np.sqrt(xs.var(axis=1) + 1e-5), rtol=1e-12)
    np.testing.assert_allclose(rm_k, 0.75 * rm + 0.25 * xs.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(rv_k, 0.75 * rv + 0.25 * xs.var(axis=1, ddof=1), rtol=1e-12)
    # Without running statistics nothing is updated and the batch statistics are still returned.
    y2, mean2, _ = _C.batch_norm_forward(x, gamma, beta, None, None, True)
    np.testing.assert_array_equal(mean2, mean)


@pytest.mark.parametrize("shape", [(5, 65), (3, 7, 4, 4), (2, 17, 9, 9)], ids=shape_id)
def test_batch_norm_fused_relu_is_bitwise_bn_then_relu(shape):
    x, gamma, beta, rm, rv, g = bn_inputs(shape, np.float32, seed=4)
    for training in (True, False):
        y, mean, invstd = _C.batch_norm_forward(x, gamma, beta, rm.copy(), rv.copy(), training)
        yr, _, _ = _C.batch_norm_forward(x, gamma, beta, rm.copy(), rv.copy(), training, relu=True)
        np.testing.assert_array_equal(yr, _C.relu_forward(y))
        gi, gw, gb = _C.batch_norm_backward(_C.relu_backward(g, yr), x, mean, invstd, gamma, training)
        gir, gwr, gbr = _C.batch_norm_backward(g, x, mean, invstd, gamma, training, out=yr)
        np.testing.assert_array_equal(gir, gi)
        np.testing.assert_array_equal(gwr, gw)
        np.testing.assert_array_equal(gbr, gb)


@pytest.mark.parametrize("reference", [False, True], ids=["fast", "reference"])
@pytest.mark.parametrize("shape", [(7, 3), (2, 5, 5, 5)], ids=shape_id)
def test_batch_norm_backward_accumulates_and_skips(shape, reference):
    x, gamma, beta, rm, rv, g = bn_inputs(shape, np.float64, seed=5)
    _, mean, invstd = _C.batch_norm_forward(x, gamma, beta, rm, rv, True)
    gi1, gw1, gb1 = _C.batch_norm_backward(g, x, mean, invstd, gamma, True, reference=reference)
    gi, gw, gb = np.zeros_like(x), np.zeros_like(gamma), np.zeros_like(beta)
    for _ in range(2):
        r = _C.batch_norm_backward(g, x, mean, invstd, gamma, True, grad_input=gi, grad_weight=gw, grad_bias=gb,
                                   reference=reference)
        assert r[0] is gi and r[1] is gw and r[2] is gb
    np.testing.assert_allclose(gi, 2 * gi1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gw, 2 * gw1, rtol=1e-12)
    np.testing.assert_allclose(gb, 2 * gb1, rtol=1e-12)
    only_x = _C.batch_norm_backward(g, x, mean, invstd, gamma, True, need_weight_grad=False, reference=reference)
    assert only_x[1] is None and only_x[2] is None
    np.testing.assert_array_equal(only_x[0], gi1)
    only_w = _C.batch_norm_backward(g, x, mean, invstd, gamma, True, need_input_grad=False, reference=reference)
    assert only_w[0] is None
    np.testing.assert_array_equal(only_w[1], gw1)


@pytest.mark.parametrize("shape", [(64, 130), (3, 7, 4, 4), (6, 33, 9, 9)], ids=shape_id)
def test_batch_norm_thread_counts_give_identical_results(shape):
    x, gamma, beta, rm, rv, g = bn_inputs(shape, np.float32, seed=6)
    saved = _C.get_num_threads()
    res = []
    try:
        for nt in (1, 2, 3):
            _C.set_num_threads(nt)
            rm_k, rv_k = rm.copy(), rv.copy()
            y, mean, invstd = _C.batch_norm_forward(x, gamma, beta, rm_k, rv_k, True, relu=True)
            res.append((y, mean, invstd, rm_k, rv_k, *_C.batch_norm_backward(g, x, mean, invstd, gamma, True, out=y)))
    finally:
        _C.set_num_threads(saved)
    for r in res[1:]:
        for a, b in zip(r, res[0]):
            np.testing.assert_array_equal(a, b)


def f32(*shape):
    return np.zeros(shape, np.float32)


@pytest.mark.parametrize(
    "call,exc,message",
    [
        (lambda: _C.batch_norm_forward(f32(1, 3), None, None, None, None, True), ValueError,
         r"^\[batch_norm\] expected more than 1 value per channel when training"),
        (lambda: _C.batch_norm_forward(f32(4), None, None, None, None, True), ValueError,
         r"^\[batch_norm\] input must have at least 2 dimensions"),
        (lambda: _C.batch_norm_forward(f32(4, 3), f32(4), None, None, None, True), ValueError,
         r"^\[batch_norm\] weight must have shape \(3,\)"),
        (lambda: _C.batch_norm_forward(f32(4, 3), None, None, f32(3), None, True), ValueError,
         r"^\[batch_norm\] running_mean and running_var must both be"),
        (lambda: _C.batch_norm_forward(f32(4, 3), None, None, None, None, False), ValueError,
         r"^\[batch_norm\] eval mode needs running_mean"),
        (lambda: _C.batch_norm_forward(f32(4, 3), np.zeros(3), None, None, None, True), TypeError,
         r"^\[batch_norm\] weight has dtype float64 but input has dtype float32"),
        (lambda: _C.batch_norm_forward(f32(4, 3), None, None, None, None, True, eps=-1.0), ValueError,
         r"^\[batch_norm\] eps must be"),
        (lambda: _C.batch_norm_forward(np.zeros((4, 3), np.int32), None, None, None, None, True), TypeError,
         r"^\[batch_norm\] input must be float32 or float64"),
        (lambda: _C.batch_norm_forward(f32(6, 4)[:, ::2], None, None, None, None, True), ValueError,
         r"^\[batch_norm\] input must be C-contiguous"),
        (lambda: _C.batch_norm_backward(f32(4, 2), f32(4, 3), f32(3), f32(3), None, True), ValueError,
         r"^\[batch_norm_backward\] grad_out has shape \(4, 2\) but input has shape \(4, 3\)"),
        (lambda: _C.batch_norm_backward(f32(4, 3), f32(4, 3), None, f32(3), None, True), ValueError,
         r"^\[batch_norm_backward\] mean and invstd"),
        (lambda: _C.batch_norm_backward(f32(4, 3), f32(4, 3), f32(3), f32(3), None, True, grad_input=f32(4, 2)),
         ValueError, r"^\[batch_norm_backward\] grad_input has shape"),
        (lambda: _C.batch_norm_forward("x", None, None, None, None, True), TypeError,
         r"^\[batch_norm\] input must be a numpy.ndarray"),
    ],
)
def test_batch_norm_errors(call, exc, message):
    with pytest.raises(exc, match=message):
        call()


def test_batch_norm_readonly_running_stats_refused():
    rm = f32(3)
    rm.flags.writeable = False
    with pytest.raises(ValueError, match=r"^\[batch_norm\] running_mean must be writeable"):
        _C.batch_norm_forward(f32(4, 3), None, None, rm, f32(3), True)


# ---------------------------------------------------------------- add + ReLU

SIZES = [0, 1, 3, 7, 17, 65, 300007]


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("n", SIZES)
def test_add_relu_matches_reference_and_numpy(n, dtype):
    rng = np.random.default_rng(n)
    a, b, g = (rng.standard_normal(n).astype(dtype) for _ in range(3))
    if n >= 3:
        a[0], a[1], b[2] = np.nan, -0.0, np.inf
        b[1] = 0.0
    out = _C.add_relu_forward(a, b)
    np.testing.assert_array_equal(out, _C.add_relu_forward(a, b, reference=True))
    np.testing.assert_array_equal(out, np.maximum(a + b, 0))  # NaN passes, -0.0 + 0.0 -> +0.0
    ga, gb = _C.add_relu_backward(g, out)
    np.testing.assert_array_equal(ga, g * (out > 0))
    np.testing.assert_array_equal(gb, ga)
    ra, rb = _C.add_relu_backward(g, out, reference=True)
    np.testing.assert_array_equal(ga, ra)


def test_add_relu_in_place_and_shapes():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((4, 3, 5, 5)).astype(np.float32), rng.standard_normal((4, 3, 5, 5)).astype(np.float32)
    want = np.maximum(a + b, 0)
    assert _C.add_relu_forward(a, b, out=a) is a
    np.testing.assert_array_equal(a, want)


@pytest.mark.parametrize("reference", [False, True], ids=["fast", "reference"])
def test_add_relu_backward_accumulates_and_skips(reference):
    rng = np.random.default_rng(2)
    g, a, b = (rng.standard_normal(1000) for _ in range(3))
    out = _C.add_relu_forward(a, b)
    mask = g * (out > 0)
    ga, gb = np.ones(1000), np.full(1000, 2.0)
    ra, rb = _C.add_relu_backward(g, out, grad_a=ga, grad_b=gb, reference=reference)
    assert ra is ga and rb is gb
    np.testing.assert_array_equal(ga, 1 + mask)
    np.testing.assert_array_equal(gb, 2 + mask)
    ra, rb = _C.add_relu_backward(g, out, need_b=False, reference=reference)
    assert rb is None
    np.testing.assert_array_equal(ra, mask)
    ga = np.ones(1000)
    ra, rb = _C.add_relu_backward(g, out, grad_a=ga, reference=reference)  # a accumulates, b is fresh
    np.testing.assert_array_equal(ga, 1 + mask)
    np.testing.assert_array_equal(rb, mask)
    assert _C.add_relu_backward(g, out, need_a=False, need_b=False) == (None, None)


@pytest.mark.parametrize(
    "call,exc,message",
    [
        (lambda: _C.add_relu_forward(f32(3), f32(4)), ValueError, r"^\[add_relu\] b has shape \(4,\) but a has shape"),
        (lambda: _C.add_relu_forward(f32(3), np.zeros(3)), TypeError, r"^\[add_relu\] b has dtype float64"),
        (lambda: _C.add_relu_backward(f32(3), f32(4)), ValueError, r"^\[add_relu_backward\] output has shape"),
        (lambda: _C.add_relu_backward(f32(3), f32(3), need_a=False, grad_a=f32(3)), ValueError,
         r"^\[add_relu_backward\] grad_a was given but need_a is False"),
    ],
)
def test_add_relu_errors(call, exc, message):
    with pytest.raises(exc, match=message):
        call()


def test_add_relu_backward_refuses_one_buffer_for_both():
    buf = f32(5)
    with pytest.raises(ValueError, match=r"^\[add_relu_backward\] grad_a and grad_b must be separate"):
        _C.add_relu_backward(f32(5), f32(5), grad_a=buf, grad_b=buf)


# ---------------------------------------------------------------- adaptive average pooling

# (N, C, H, W, OH, OW)
ADAPTIVE = [(2, 3, 7, 7, 1, 1), (3, 5, 17, 13, 3, 5), (1, 2, 5, 5, 7, 7), (2, 3, 65, 3, 4, 2), (2, 4, 8, 8, 8, 8),
            (1, 1, 1, 1, 1, 1), (2, 65, 9, 11, 1, 1), (1, 3, 6, 10, 4, 3)]


def adaptive_id(c):
    return "n{}c{}_{}x{}_to_{}x{}".format(*c)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"])
@pytest.mark.parametrize("case", ADAPTIVE, ids=adaptive_id)
def test_adaptive_avg_pool_matches_reference(case, dtype):
    n, c, h, w, oh, ow = case
    rng = np.random.default_rng(h * w)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    g = rng.standard_normal((n, c, oh, ow)).astype(dtype)
    out = _C.adaptive_avg_pool2d_forward(x, (oh, ow))
    assert out.shape == (n, c, oh, ow)
    assert_close(out, _C.adaptive_avg_pool2d_forward(x, (oh, ow), reference=True), RTOL[dtype])
    gi = _C.adaptive_avg_pool2d_backward(g, x.shape)
    assert_close(gi, _C.adaptive_avg_pool2d_backward(g, x.shape, reference=True), RTOL[dtype])
    # Bins by definition: start floor(i H / oh), end ceil((i + 1) H / oh).
    i, j = oh - 1, ow - 1
    h0, h1, w0, w1 = i * h // oh, -(-(i + 1) * h // oh), j * w // ow, -(-(j + 1) * w // ow)
    np.testing.assert_allclose(out[0, 0, i, j], x[0, 0, h0:h1, w0:w1].astype(np.float64).mean(), rtol=RTOL[dtype])
    buf = np.ones_like(x)
    assert _C.adaptive_avg_pool2d_backward(g, x.shape, grad_input=buf) is buf
    assert_close(buf, gi + 1, RTOL[dtype])


@pytest.mark.parametrize("case", ADAPTIVE, ids=adaptive_id)
def test_adaptive_avg_pool_matches_torch(case):
    torch = pytest.importorskip("torch")
    n, c, h, w, oh, ow = case
    rng = np.random.default_rng(3)
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    g = rng.standard_normal((n, c, oh, ow)).astype(np.float32)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.adaptive_avg_pool2d(tx, (oh, ow))
    ty.backward(torch.tensor(g))
    assert_close(_C.adaptive_avg_pool2d_forward(x, (oh, ow)), ty.detach().numpy(), 1e-5)
    assert_close(_C.adaptive_avg_pool2d_backward(g, x.shape), tx.grad.numpy(), 1e-5)


def test_adaptive_avg_pool_int_output_size_and_errors():
    x = np.ones((2, 3, 5, 5), np.float32)
    assert _C.adaptive_avg_pool2d_forward(x, 2).shape == (2, 3, 2, 2)
    with pytest.raises(ValueError, match=r"^\[adaptive_avg_pool2d\] output_size must be >= 1"):
        _C.adaptive_avg_pool2d_forward(x, (0, 2))
    with pytest.raises(ValueError, match=r"^\[adaptive_avg_pool2d\] input must be 4-D"):
        _C.adaptive_avg_pool2d_forward(np.ones((3, 5, 5), np.float32), 1)
    with pytest.raises(ValueError, match=r"^\[adaptive_avg_pool2d_backward\] batch and channels"):
        _C.adaptive_avg_pool2d_backward(np.ones((2, 4, 1, 1), np.float32), (2, 3, 5, 5))
