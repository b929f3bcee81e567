"""Property tests (hypothesis) of the C++ kernels: random sizes, layouts and dtypes, fast vs naive reference.

Every kernel of axonal._C has a naive reference beside it (reference=True); these tests draw the problem (sizes
including 0 and 1 and non-multiples of every tile, strided and transposed operands, float32 and float64,
values with mixed magnitudes) and require the fast kernel to agree with the reference, and both with NumPy
where NumPy has the operation. Forward and backward kernels both.

Examples per test: AXONAL_PROPERTY_EXAMPLES (default 25, the slow lane runs 300: tests/test_property_slow.py).
The default lane is derandomized, so a failure in CI replays; the slow lane draws fresh examples each run.
"""
import os

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from axonal import _C  # noqa: E402

EXAMPLES = int(os.environ.get("AXONAL_PROPERTY_EXAMPLES", "25"))
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    derandomize=not os.environ.get("AXONAL_PROPERTY_RANDOM"),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])

DTYPES = st.sampled_from([np.float32, np.float64])
# Tile-awkward sizes: the GEMM micro-kernels block by 6/8/16, conv by output rows and channels.
SIZES = st.one_of(st.sampled_from([1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 65]), st.integers(1, 40))


def eps(dtype):
    return float(np.finfo(dtype).eps)


def values(draw, shape, dtype):
    """Random values whose scale varies by example (1e-3 .. 1e3), some exact zeros."""
    seed = draw(st.integers(0, 2**32 - 1))
    g = np.random.default_rng(seed)
    scale = draw(st.sampled_from([1.0, 1.0, 1e-3, 1e3]))
    a = np.asarray(g.standard_normal(shape) * scale)
    if a.size and draw(st.booleans()):
        a[np.asarray(g.random(shape)) < 0.2] = 0.0
    return a.astype(dtype)


def positive(draw, shape, dtype):
    return np.asarray(np.abs(values(draw, shape, dtype)))


def layout(draw, a):
    """``a`` itself, or the same values in a strided view: a slice of a wider array, or a transposed copy."""
    kind = draw(st.sampled_from(["c", "c", "wide", "transposed"])) if a.ndim == 2 else "c"
    if kind == "wide":
        wide = np.zeros((a.shape[0], a.shape[1] + draw(st.integers(1, 5))), dtype=a.dtype)
        wide[:, : a.shape[1]] = a
        return wide[:, : a.shape[1]]
    if kind == "transposed":
        return np.ascontiguousarray(a.T).T
    return a


def close(fast, ref, scale, dtype, terms):
    """|fast - ref| within a rounding bound: terms summed, each of magnitude <= scale."""
    tol = 8 * eps(dtype) * max(terms, 1) * max(scale, np.finfo(dtype).tiny)
    np.testing.assert_allclose(fast, ref, rtol=0, atol=tol)


# ---------------------------------------------------------------------------------------------- GEMM
@PROPERTY
@given(st.data(), SIZES, SIZES, st.one_of(st.just(0), SIZES), DTYPES, st.booleans(), st.booleans(),
       st.sampled_from([1.0, -0.5, 2.0]), st.sampled_from([0.0, 1.0, -1.5]))
def test_gemm_fast_equals_reference_and_numpy(data, m, n, k, dtype, ta, tb, alpha, beta):
    a = layout(data.draw, values(data.draw, (k, m) if ta else (m, k), dtype))
    b = layout(data.draw, values(data.draw, (n, k) if tb else (k, n), dtype))
    c0 = values(data.draw, (m, n), dtype)
    fast, ref = c0.copy(), c0.copy()
    _C.gemm(a, b, fast, ta, tb, alpha, beta)
    _C.gemm(a, b, ref, ta, tb, alpha, beta, True)
    opa, opb = (a.T if ta else a).astype(np.float64), (b.T if tb else b).astype(np.float64)
    exact = alpha * (opa @ opb) + beta * c0.astype(np.float64)
    scale = max(np.abs(opa).max(initial=0) * np.abs(opb).max(initial=0) * abs(alpha), np.abs(c0).max(initial=0))
    close(fast, ref, scale, dtype, k + 1)
    close(fast, exact, scale, dtype, k + 1)


@PROPERTY
@given(st.data(), st.integers(1, 4), SIZES, SIZES, SIZES, DTYPES, st.booleans())
def test_batched_matmul_equals_numpy(data, batch, m, n, k, dtype, broadcast_b):
    a = values(data.draw, (batch, m, k), dtype)
    b = values(data.draw, (1 if broadcast_b else batch, k, n), dtype)
    b = np.broadcast_to(b, (batch, k, n))  # a stride-0 batch, as the Python side passes broadcast batches
    out = _C.matmul(a, b)
    exact = a.astype(np.float64) @ b.astype(np.float64)
    close(out, exact, np.abs(a).max() * np.abs(b).max(), dtype, k)
    assert out.flags.c_contiguous and out.dtype == dtype


# ---------------------------------------------------------------------------------------------- conv2d
@st.composite
def conv_problems(draw):
    n, c, k = draw(st.integers(1, 3)), draw(st.integers(1, 5)), draw(st.integers(1, 6))
    r, s = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    pad = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    # The input at least as large as the dilated kernel minus the padding, so the output is non-empty.
    h = draw(st.integers(max(1, dil[0] * (r - 1) + 1 - 2 * pad[0]), 19))
    w = draw(st.integers(max(1, dil[1] * (s - 1) + 1 - 2 * pad[1]), 19))
    dtype = draw(DTYPES)
    return (n, c, h, w), (k, c, r, s), stride, pad, dil, dtype


def conv_out(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def conv_numpy(x, w, b, stride, pad, dil):
    """The convolution in float64 from its definition (a sum over taps of shifted, strided input slices)."""
    x, w = x.astype(np.float64), w.astype(np.float64)
    N, C, H, W = x.shape
    K, _, R, S = w.shape
    P, Q = conv_out(H, R, stride[0], pad[0], dil[0]), conv_out(W, S, stride[1], pad[1], dil[1])
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    out = np.zeros((N, K, P, Q))
    for i in range(R):
        for j in range(S):
            hs, ws = i * dil[0], j * dil[1]
            patch = xp[:, :, hs: hs + stride[0] * (P - 1) + 1: stride[0], ws: ws + stride[1] * (Q - 1) + 1: stride[1]]
            out += np.einsum("nchw,kc->nkhw", patch, w[:, :, i, j])
    return out + (0 if b is None else b.astype(np.float64)[None, :, None, None])


@PROPERTY
@given(st.data(), conv_problems(), st.booleans(), st.booleans())
def test_conv2d_forward_fast_equals_reference_and_numpy(data, problem, with_bias, relu):
    xs, ws, stride, pad, dil, dtype = problem
    x, w = values(data.draw, xs, dtype), values(data.draw, ws, dtype)
    b = values(data.draw, (ws[0],), dtype) if with_bias else None
    fast = _C.conv2d_forward(x, w, b, stride, pad, dil, relu=relu)
    ref = _C.conv2d_forward(x, w, b, stride, pad, dil, reference=True, relu=relu)
    exact = conv_numpy(x, w, b, stride, pad, dil)
    if relu:
        exact = np.maximum(exact, 0)
    scale = np.abs(x).max() * np.abs(w).max() + (np.abs(b).max() if b is not None else 0)
    terms = ws[1] * ws[2] * ws[3] + 1
    close(fast, ref, scale, dtype, terms)
    close(fast, exact, scale, dtype, terms)


@PROPERTY
@given(st.data(), conv_problems(), st.booleans())
def test_conv2d_backward_fast_equals_reference(data, problem, with_bias):
    xs, ws, stride, pad, dil, dtype = problem
    x, w = values(data.draw, xs, dtype), values(data.draw, ws, dtype)
    P, Q = conv_out(xs[2], ws[2], stride[0], pad[0], dil[0]), conv_out(xs[3], ws[3], stride[1], pad[1], dil[1])
    g = values(data.draw, (xs[0], ws[0], P, Q), dtype)
    gi = _C.conv2d_backward_input(g, w, xs, stride, pad, dil)
    gi_ref = _C.conv2d_backward_input(g, w, xs, stride, pad, dil, reference=True)
    close(gi, gi_ref, np.abs(g).max() * np.abs(w).max(), dtype, ws[0] * ws[2] * ws[3])
    gw, gb = _C.conv2d_backward_weight(g, x, ws, with_bias, stride, pad, dil)
    gw_ref, gb_ref = _C.conv2d_backward_weight(g, x, ws, with_bias, stride, pad, dil, reference=True)
    close(gw, gw_ref, np.abs(g).max() * np.abs(x).max(), dtype, xs[0] * P * Q)
    if with_bias:
        close(gb, gb_ref, np.abs(g).max(), dtype, xs[0] * P * Q)
        close(gb, g.astype(np.float64).sum(axis=(0, 2, 3)), np.abs(g).max(), dtype, xs[0] * P * Q)
    else:
        assert gb is None and gb_ref is None
    # The adjoint identity <conv(x, w), g> = <x, dL/dx> = <w, dL/dw> ties both gradients to the forward.
    y = conv_numpy(x, w, None, stride, pad, dil)
    inner = float((y * g).sum())
    bound = 64 * eps(dtype) * np.abs(x).max() * np.abs(w).max() * np.abs(g).max() * y.size * ws[1] * ws[2] * ws[3]
    assert abs(float((x.astype(np.float64) * gi).sum()) - inner) <= bound + 1e-300
    assert abs(float((w.astype(np.float64) * gw).sum()) - inner) <= bound + 1e-300


@PROPERTY
@given(st.data(), conv_problems())
def test_conv2d_backward_accumulates_into_given_buffers(data, problem):
    xs, ws, stride, pad, dil, dtype = problem
    w = values(data.draw, ws, dtype)
    P, Q = conv_out(xs[2], ws[2], stride[0], pad[0], dil[0]), conv_out(xs[3], ws[3], stride[1], pad[1], dil[1])
    g = values(data.draw, (xs[0], ws[0], P, Q), dtype)
    start = values(data.draw, xs, dtype)
    acc = start.copy()
    out = _C.conv2d_backward_input(g, w, xs, stride, pad, dil, grad_input=acc)
    assert out is acc
    fresh = _C.conv2d_backward_input(g, w, xs, stride, pad, dil)
    close(acc, start + fresh, max(np.abs(start).max(), np.abs(fresh).max()), dtype, 2)


# ---------------------------------------------------------------------------------------------- pooling
@st.composite
def pool_problems(draw):
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
    h = draw(st.integers(max(1, kh - 2 * ph), 21))
    w = draw(st.integers(max(1, kw - 2 * pw), 21))
    return (n, c, h, w), (kh, kw), (sh, sw), (ph, pw), draw(DTYPES)


@PROPERTY
@given(st.data(), pool_problems())
def test_max_pool_fast_equals_reference(data, problem):
    shape, k, s, p, dtype = problem
    x = values(data.draw, shape, dtype)
    out, am = _C.max_pool2d_forward(x, k, s, p)
    out_r, am_r = _C.max_pool2d_forward(x, k, s, p, reference=True)
    np.testing.assert_array_equal(out, out_r)  # a max picks an element: exact
    np.testing.assert_array_equal(np.take_along_axis(x.reshape(*shape[:2], -1), am.reshape(*shape[:2], -1), 2),
                                  out.reshape(*shape[:2], -1))  # the argmax points at the max
    g = values(data.draw, out.shape, dtype)
    np.testing.assert_array_equal(_C.max_pool2d_backward(g, am, shape),
                                  _C.max_pool2d_backward(g, am_r, shape, reference=True))


@PROPERTY
@given(st.data(), pool_problems(), st.booleans())
def test_avg_pool_fast_equals_reference_and_numpy(data, problem, count_include_pad):
    shape, k, s, p, dtype = problem
    x = values(data.draw, shape, dtype)
    out = _C.avg_pool2d_forward(x, k, s, p, count_include_pad)
    out_r = _C.avg_pool2d_forward(x, k, s, p, count_include_pad, reference=True)
    scale = np.abs(x).max()
    close(out, out_r, scale, dtype, k[0] * k[1])
    # NumPy: the window sums of the zero-padded input, divided by the window size or the count of real cells.
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    ones = np.pad(np.ones(shape[2:]), ((p[0], p[0]), (p[1], p[1])))
    win = np.lib.stride_tricks.sliding_window_view(xp, k, axis=(2, 3))[:, :, :: s[0], :: s[1]]
    cnt = np.lib.stride_tricks.sliding_window_view(ones, k)[:: s[0], :: s[1]].sum(axis=(-1, -2))
    exact = win.sum(axis=(-1, -2)) / (k[0] * k[1] if count_include_pad else cnt)
    close(out, exact[:, :, : out.shape[2], : out.shape[3]], scale, dtype, k[0] * k[1])
    g = values(data.draw, out.shape, dtype)
    close(_C.avg_pool2d_backward(g, shape, k, s, p, count_include_pad),
          _C.avg_pool2d_backward(g, shape, k, s, p, count_include_pad, reference=True), np.abs(g).max(), dtype,
          k[0] * k[1])


# ---------------------------------------------------------------------------------------------- elementwise
SHAPES = st.lists(st.integers(0, 9), min_size=0, max_size=4).map(tuple)


@PROPERTY
@given(st.data(), SHAPES, DTYPES, st.booleans())
def test_relu_kernels_equal_numpy(data, shape, dtype, reference):
    x = values(data.draw, shape, dtype)
    if x.size and data.draw(st.booleans()):
        x.reshape(-1)[0] = np.nan
    y = _C.relu_forward(x, reference=reference)
    np.testing.assert_array_equal(y, np.where(np.isnan(x), x, np.maximum(x, 0)))
    g = values(data.draw, shape, dtype)
    np.testing.assert_array_equal(_C.relu_backward(g, y, reference=reference), g * (y > 0))
    acc = values(data.draw, shape, dtype)
    expect = acc + g * (y > 0)
    _C.relu_backward(g, y, grad_input=acc, reference=reference)
    np.testing.assert_array_equal(acc, expect)


@PROPERTY
@given(st.data(), st.integers(0, 9), SIZES, DTYPES)
def test_bias_relu_equals_numpy(data, m, n, dtype):
    y, b = values(data.draw, (m, n), dtype), values(data.draw, (n,), dtype)
    expect = np.maximum(y + b, 0)
    fast, ref = y.copy(), y.copy()
    _C.bias_relu_forward(fast, b)
    _C.bias_relu_forward(ref, b, reference=True)
    np.testing.assert_array_equal(fast, expect)
    np.testing.assert_array_equal(ref, expect)


@PROPERTY
@given(st.data(), st.integers(0, 12), st.integers(1, 40), DTYPES, st.booleans(), st.sampled_from([0.0, 0.1, 1.0]),
       st.sampled_from([-100, 0]))
def test_softmax_cross_entropy_fast_equals_reference_and_numpy(data, m, c, dtype, weighted, smoothing, ignore):
    logits = values(data.draw, (m, c), dtype)
    seed = data.draw(st.integers(0, 2**32 - 1))
    target = np.random.default_rng(seed).integers(0, c, m).astype(np.int64)
    if m and data.draw(st.booleans()):
        target[0] = ignore
        target[0] = target[0] if ignore < 0 else 0
    weight = np.abs(values(data.draw, (c,), dtype)) + dtype(0.1) if weighted else None
    fast = _C.softmax_cross_entropy(logits, target, weight, ignore, smoothing, True)
    ref = _C.softmax_cross_entropy(logits, target, weight, ignore, smoothing, True, True)
    scale = max(np.abs(logits).max(initial=0), 1.0) * (max(np.abs(weight).max(), 1.0) if weighted else 1.0)
    close(fast[0], ref[0], scale, dtype, 4 * c)
    assert abs(fast[1] - ref[1]) <= 64 * eps(dtype) * scale * max(m, 1) * c
    close(fast[3], ref[3], max(scale, 1.0), dtype, 4 * c)
    # NumPy, the definition: (1 - s) * -log p[target] + s * mean_c(-log p[c]), each row weighted.
    x = logits.astype(np.float64)
    logp = x - x.max(axis=1, keepdims=True) if m else x
    logp = logp - np.log(np.exp(logp).sum(axis=1, keepdims=True)) if m else logp
    keep = target != ignore
    w = np.ones(c) if weight is None else weight.astype(np.float64)
    rows = np.zeros(m)
    for i in np.nonzero(keep)[0]:
        t = target[i]
        smooth = -(w * logp[i]).sum() / c
        rows[i] = (1 - smoothing) * -w[t] * logp[i, t] + smoothing * smooth
    close(fast[0], rows, scale * max(c, 1), dtype, 4 * c)


# ---------------------------------------------------------------------------------------------- optimizers
@PROPERTY
@given(st.data(), SHAPES, DTYPES, st.sampled_from([0.0, 0.9]), st.sampled_from([0.0, 0.5]), st.booleans(),
       st.booleans(), st.booleans(), st.sampled_from([0.0, 1e-2]))
def test_sgd_update_fast_equals_reference(data, shape, dtype, momentum, dampening, nesterov, maximize, init, wd):
    if nesterov and (momentum == 0 or dampening != 0):
        nesterov = False
    p, g = values(data.draw, shape, dtype), values(data.draw, shape, dtype)
    buf = values(data.draw, shape, dtype) if momentum else None
    p2, buf2 = p.copy(), None if buf is None else buf.copy()
    _C.sgd_update(p, g, buf, 0.1, momentum, dampening, wd, nesterov, maximize, init)
    _C.sgd_update(p2, g, buf2, 0.1, momentum, dampening, wd, nesterov, maximize, init, True)
    scale = max(np.abs(p).max(initial=0), np.abs(g).max(initial=0), 1.0)
    close(p, p2, scale, dtype, 4)
    if buf is not None:
        close(buf, buf2, scale, dtype, 4)


@PROPERTY
@given(st.data(), SHAPES, DTYPES, st.booleans(), st.booleans(), st.booleans(), st.integers(1, 50))
def test_adam_update_fast_equals_reference(data, shape, dtype, decoupled, maximize, amsgrad, t):
    p, g = values(data.draw, shape, dtype), values(data.draw, shape, dtype)
    m1, m2 = values(data.draw, shape, dtype), positive(data.draw, shape, dtype)
    mx = positive(data.draw, shape, dtype) if amsgrad else None
    copies = [a.copy() if a is not None else None for a in (p, m1, m2, mx)]
    lr, b1, b2 = 1e-3, 0.9, 0.999
    args = (lr, b1, b2, 1e-8, 1e-2, decoupled, maximize, lr / (1 - b1**t), np.sqrt(1 - b2**t))
    _C.adam_update(p, g, m1, m2, mx, *args)
    _C.adam_update(copies[0], g, copies[1], copies[2], copies[3], *args, True)
    scale = max(np.abs(p).max(initial=0), np.abs(g).max(initial=0) ** 2, 1.0)
    for fast, ref in zip((p, m1, m2, mx), copies):
        if fast is not None:
            close(fast, ref, scale, dtype, 8)


# ---------------------------------------------------------------------------------------------- special
@PROPERTY
@given(st.data(), SHAPES, DTYPES, st.booleans())
def test_erf_family_equals_numpy_where_defined(data, shape, dtype, strided):
    x = np.asarray(np.tanh(values(data.draw, shape, dtype)), dtype=dtype)  # erfinv's domain (-1, 1)
    if strided and x.ndim:
        x = np.repeat(x, 2, axis=-1)[..., ::2]  # not contiguous: the binding copies
    y = _C.erfinv(x)
    np.testing.assert_array_equal(y, _C.erfinv(x, reference=True)) if dtype == np.float64 else \
        np.testing.assert_allclose(y, _C.erfinv(x, reference=True), rtol=8 * eps(dtype), atol=8 * eps(dtype))
    back = _C.erf(y.astype(np.float64))
    finite = np.isfinite(y)
    np.testing.assert_allclose(back[finite], x.astype(np.float64)[finite], rtol=0, atol=64 * eps(dtype))
    np.testing.assert_allclose(_C.erfc(x.astype(np.float64)), 1 - _C.erf(x.astype(np.float64)), atol=4e-16)


@PROPERTY
@given(st.floats(min_value=2.0**-53, max_value=0.5), st.booleans())
def test_erfinv_is_accurate_near_plus_minus_one(d, negative):
    """erfc(erfinv(1 - d)) == d to a few ulps of d: the tail where erf(x) - y cancels (regression: Newton on
    erf stalled there, erfinv(1 - 2**-52) was 5.415 instead of 5.805)."""
    x = np.float64(1.0 - d)
    d = 1.0 - x  # the d that x actually holds
    y = _C.erfinv(np.array([-x if negative else x]))[0]
    assert np.sign(y) == (-1 if negative else 1)
    np.testing.assert_allclose(_C.erfc(np.array([abs(y)]))[0], d, rtol=1e-12)


def test_erfinv_near_plus_minus_one_on_every_device(device):
    import axonal as ax

    x = np.array([1 - 2.0**-53, 1 - 2.0**-52, 1 - 2.0**-40, 1 - 1e-10, 0.75, 0.5000001, 0.3, -(1 - 2.0**-52)])
    y = ax.erfinv(ax.tensor(x, device=device)).cpu().numpy()
    np.testing.assert_allclose(_C.erfc(np.abs(y)), 1 - np.abs(x), rtol=1e-12)
    np.testing.assert_array_equal(np.sign(y), np.sign(x))
