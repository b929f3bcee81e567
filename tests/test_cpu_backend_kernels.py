"""The CPU backend runs BatchNorm, grouped / depthwise convolution, the residual add + ReLU and adaptive average
pooling on the C++ kernels: values and gradients against torch, and a spy on each ``_C`` function proving the
CPU path calls it (a silent fall back to the generic NumPy code would still pass the value tests)."""
import numpy as np
import pytest

import axonal as ax
import axonal.nn.functional as F
from axonal import _C, nn
from axonal.ops.activation import add_relu
from torch_compare import compare_with_torch

torch = pytest.importorskip("torch")


def _rand(shape, seed, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# ---- BatchNorm ---------------------------------------------------------------------------------------------
def _bn_pair(dim, channels, dtype, seed=0, **kw):
    ours = (nn.BatchNorm1d if dim == 1 else nn.BatchNorm2d)(channels, **kw)
    theirs = (torch.nn.BatchNorm1d if dim == 1 else torch.nn.BatchNorm2d)(channels, **kw)
    if dtype == np.float64:
        ours, theirs = ours.double(), theirs.double()
    if ours.weight is not None:  # non-trivial affine parameters, the same in both
        w, b = _rand((channels,), seed, dtype) + 1, _rand((channels,), seed + 1, dtype)
        ours.weight.data[...], ours.bias.data[...] = w, b
        with torch.no_grad():
            theirs.weight.copy_(torch.from_numpy(w)), theirs.bias.copy_(torch.from_numpy(b))
    return ours, theirs


def _step(ours, theirs, x, relu, seed, device="cpu"):
    """One forward + backward through both with the same upstream gradient; the arrays to compare."""
    for p in list(ours.parameters()) + list(theirs.parameters()):
        p.grad = None
    xa = ax.tensor(x.copy(), device=device, requires_grad=True)
    xt = torch.tensor(x.copy(), requires_grad=True)
    oa = ours(xa)
    ot = theirs(xt)
    if relu:
        oa, ot = F.relu(oa), torch.relu(ot)
    g = _rand(oa.shape, seed, x.dtype)
    oa.backward(ax.tensor(g, device=device))
    ot.backward(torch.from_numpy(g))
    got = [oa.cpu().numpy(), xa.grad.cpu().numpy()] + [p.grad.cpu().numpy() for p in ours.parameters()] \
        + [b.cpu().numpy() for b in ours.buffers()]
    want = [ot.detach().numpy(), xt.grad.numpy()] + [p.grad.numpy() for p in theirs.parameters()] \
        + [b.numpy() for b in theirs.buffers()]
    return got, want


BN_SHAPES = [(1, (8, 3)), (1, (5, 4, 7)), (2, (4, 3, 5, 6))]


@pytest.mark.parametrize("dim, shape", BN_SHAPES, ids=["1d", "1d-seq", "2d"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("momentum", [0.1, None], ids=["momentum", "cumulative"])
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
def test_batchnorm_train_then_eval_matches_torch(dim, shape, dtype, momentum, affine):
    ours, theirs = _bn_pair(dim, shape[1], dtype, momentum=momentum, affine=affine)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    # Three training steps (momentum=None: the running statistics are the average of all three batches), then eval.
    for step, training in enumerate([True, True, True, False]):
        ours.train(training), theirs.train(training)
        x = _rand(shape, 10 + step, dtype) * (step + 1) + step
        got, want = _step(ours, theirs, x, False, 20 + step)
        for i, (a, b) in enumerate(zip(got, want)):
            np.testing.assert_allclose(a, b, err_msg=f"step {step} item {i}", **tol)


@pytest.mark.parametrize("dim, shape", BN_SHAPES, ids=["1d", "1d-seq", "2d"])
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_fused_batchnorm_relu_matches_torch(device, dim, shape, training):
    """On every device: the CUDA backend keeps the generic evaluation-mode backward of the base class."""
    ours, theirs = _bn_pair(dim, shape[1], np.float32)
    ours.running_mean.data[...] = 0.3  # eval with non-trivial statistics
    ours.running_var.data[...] = 2.0
    with torch.no_grad():
        theirs.running_mean.fill_(0.3), theirs.running_var.fill_(2.0)
    ours.train(training), theirs.train(training)
    fused = nn.Sequential(ours, nn.ReLU()).to(device)  # runs as one BatchNorm(relu=True) node
    tseq = torch.nn.Sequential(theirs, torch.nn.ReLU())
    got, want = _step(fused, tseq, _rand(shape, 3), False, 4, device)
    for i, (a, b) in enumerate(zip(got, want)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=f"item {i}")
    assert (got[0] >= 0).all() and (got[0] == 0).any()


def test_batchnorm_on_a_transposed_input_matches_torch():
    """A non-contiguous input (a channels-last view) is copied for the kernel, not refused."""
    ours, theirs = _bn_pair(2, 3, np.float32)
    x = np.ascontiguousarray(_rand((4, 5, 6, 3), 7).transpose(0, 3, 1, 2))
    xa = ax.tensor(_rand((4, 5, 6, 3), 7)).permute(0, 3, 1, 2).requires_grad_()
    assert not xa.data.flags.c_contiguous
    oa, ot = ours(xa), theirs(torch.from_numpy(x).requires_grad_())
    np.testing.assert_allclose(oa.numpy(), ot.detach().numpy(), rtol=1e-4, atol=1e-5)


# ---- grouped and depthwise convolution -------------------------------------------------------------------
CONV_CASES = [  # (input, weight, stride, padding, dilation, groups)
    ((2, 4, 9, 8), (6, 2, 3, 3), 1, 1, 1, 2),
    ((2, 4, 11, 10), (4, 2, 3, 2), (2, 1), (1, 2), (2, 1), 2),
    ((2, 6, 9, 9), (6, 1, 3, 3), 2, 1, 1, 6),             # depthwise
    ((1, 5, 10, 7), (10, 1, 3, 3), (1, 2), 2, 2, 5),      # depthwise, channel multiplier 2
    ((3, 6, 7, 7), (9, 2, 1, 1), 1, 0, 1, 3),             # grouped 1x1
]


@pytest.mark.parametrize("xs, ws, stride, padding, dilation, groups", CONV_CASES)
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
def test_grouped_conv2d_matches_torch(xs, ws, stride, padding, dilation, groups, bias):
    inputs = [_rand(xs, 0), _rand(ws, 1)] + ([_rand((ws[0],), 2)] if bias else [])
    one = lambda b: b[0] if b else None  # noqa: E731
    compare_with_torch(lambda x, w, *b: F.conv2d(x, w, one(b), stride, padding, dilation, groups),
                       lambda x, w, *b: torch.nn.functional.conv2d(x, w, one(b), stride, padding, dilation, groups),
                       inputs, [True] * len(inputs), grad_rtol=1e-4, grad_atol=1e-4)


@pytest.mark.parametrize("xs, ws, stride, padding, dilation, groups", CONV_CASES[:3])
def test_grouped_conv2d_relu_matches_torch(xs, ws, stride, padding, dilation, groups):
    compare_with_torch(lambda x, w, b: F.conv2d_relu(x, w, b, stride, padding, dilation, groups),
                       lambda x, w, b: torch.relu(torch.nn.functional.conv2d(x, w, b, stride, padding, dilation,
                                                                             groups)),
                       [_rand(xs, 0), _rand(ws, 1), _rand((ws[0],), 2)], [True] * 3, grad_rtol=1e-4, grad_atol=1e-4)


def test_grouped_conv1d_same_padding_matches_torch():
    compare_with_torch(lambda x, w: F.conv1d(x, w, padding="same", dilation=2, groups=4),
                       lambda x, w: torch.nn.functional.conv1d(x, w, padding="same", dilation=2, groups=4),
                       [_rand((2, 4, 13), 0), _rand((8, 1, 3), 1)], [True, True])


def test_grouped_conv2d_on_every_device(device):
    """ops/conv.py hands groups to the backend on every device (the CUDA kernels take it too)."""
    x, w, b = _rand((2, 4, 7, 7), 0), _rand((4, 1, 3, 3), 1), _rand((4,), 2)
    xa, wa, ba = (ax.tensor(a, device=device, requires_grad=True) for a in (x, w, b))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out = F.conv2d(xa, wa, ba, 2, 1, 1, 4)
    ref = torch.nn.functional.conv2d(xt, wt, bt, 2, 1, 1, 4)
    g = _rand(tuple(ref.shape), 3)
    out.backward(ax.tensor(g, device=device))
    ref.backward(torch.from_numpy(g))
    np.testing.assert_allclose(out.cpu().numpy(), ref.detach().numpy(), rtol=1e-4, atol=1e-5)
    for a, t in ((xa, xt), (wa, wt), (ba, bt)):
        np.testing.assert_allclose(a.grad.cpu().numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-4)


# ---- residual add + ReLU and adaptive average pooling ------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_add_relu_matches_torch(dtype):
    compare_with_torch(add_relu, lambda a, b: torch.relu(a + b), [_rand((3, 4, 5, 6), 0, dtype),
                                                                   _rand((3, 4, 5, 6), 1, dtype)], [True, True])


@pytest.mark.parametrize("shape, size", [((2, 3, 7, 5), (3, 2)), ((1, 2, 10, 9), (4, 5)), ((2, 3, 5, 6), (7, 8)),
                                         ((2, 3, 8, 6), (4, 3)), ((2, 3, 5, 7), 1), ((1, 2, 6, 9), (None, 4))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adaptive_avg_pool2d_matches_torch(shape, size, dtype):
    compare_with_torch(lambda x: F.adaptive_avg_pool2d(x, size),
                       lambda x: torch.nn.functional.adaptive_avg_pool2d(x, size), [_rand(shape, 0, dtype)], [True])


def test_adaptive_avg_pool2d_on_every_device(device):
    x = _rand((2, 3, 7, 5), 0)
    xa, xt = ax.tensor(x, device=device, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = nn.AdaptiveAvgPool2d((3, 4))(xa), torch.nn.AdaptiveAvgPool2d((3, 4))(xt)
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(out.cpu().numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(xa.grad.cpu().numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)


# ---- the CPU path calls the C++ kernels ------------------------------------------------------------------
@pytest.fixture
def spy(monkeypatch):
    """spy(name): wraps axonal._C.<name>, counting its calls; returns the list of calls, each as
    (positional arguments, keyword arguments)."""
    def wrap(name):
        calls, real = [], getattr(_C, name)
        monkeypatch.setattr(_C, name, lambda *a, **k: calls.append((a, k)) or real(*a, **k))
        return calls
    return wrap


def test_cpu_batchnorm_calls_the_kernels(spy):
    fwd, bwd = spy("batch_norm_forward"), spy("batch_norm_backward")
    bn = nn.BatchNorm2d(3)
    for training in (True, False):
        bn.train(training)
        x = ax.randn(4, 3, 5, 5, requires_grad=True)
        nn.Sequential(bn, nn.ReLU())(x).sum().backward()
    assert len(fwd) == 2 and len(bwd) == 2


def test_cpu_grouped_conv_calls_the_kernels_once_with_groups(spy):
    calls = [spy(n) for n in ("conv2d_forward", "conv2d_backward_input", "conv2d_backward_weight")]
    F.conv2d(ax.randn(2, 4, 6, 6, requires_grad=True), ax.randn(8, 1, 3, 3, requires_grad=True), groups=4).sum() \
        .backward()
    # groups is the kernels' last parameter (the backend passes every argument by position).
    assert [[k.get("groups", a[-1]) for a, k in cs] for cs in calls] == [[4], [4], [4]]


def test_cpu_add_relu_and_adaptive_pool_call_the_kernels(spy):
    add, fwd, bwd = spy("add_relu_forward"), spy("adaptive_avg_pool2d_forward"), spy("adaptive_avg_pool2d_backward")
    a = ax.randn(2, 3, 7, 5, requires_grad=True)
    F.adaptive_avg_pool2d(add_relu(a, ax.randn(2, 3, 7, 5)), (3, 2)).sum().backward()
    assert (len(add), len(fwd), len(bwd)) == (1, 1, 1)


def test_cpu_falls_back_for_what_the_kernels_cannot_take(spy):
    """Running statistics of another dtype than the input take the generic path, with the same values."""
    fwd = spy("batch_norm_forward")
    x = _rand((4, 3, 5), 0)
    rm, rv = ax.zeros(3, dtype=ax.float64), ax.ones(3, dtype=ax.float64)  # float32 input
    out = F.batch_norm(ax.tensor(x), rm, rv, training=True)
    assert not fwd
    mean, var = x.mean(axis=(0, 2), keepdims=True), x.var(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(out.numpy(), (x - mean) / np.sqrt(var + 1e-5), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv.numpy(), 0.9 + 0.1 * x.var(axis=(0, 2), ddof=1), rtol=1e-6)
