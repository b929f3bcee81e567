"""The fused convolution + bias + ReLU: kernel flag, autograd Function, and nn.Sequential's use of it."""
import numpy as np
import pytest

import axonal as ax
import axonal.nn.functional as F
from axonal import _C, nn

CASES = [  # (N, C, H, W, K, R, stride, padding)
    (2, 1, 28, 28, 8, 3, 1, 1),
    (3, 5, 14, 14, 7, 3, 1, 1),
    (2, 3, 9, 11, 4, 5, 2, 2),
    (1, 2, 6, 6, 3, 1, 1, 0),  # pointwise path
    (3, 8, 14, 14, 16, 3, 1, 1),  # Winograd (float32)
]


def arrays(case, dtype, seed=0):
    N, C, H, W, K, R, st, pd = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((K, C, R, R)).astype(dtype)
    b = rng.standard_normal(K).astype(dtype)
    return x, w, b, (st, st), (pd, pd), (1, 1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES)
def test_kernel_relu_flag_matches_reference_and_unfused(case, dtype):
    x, w, b, st, pd, dl = arrays(case, dtype)
    plain = _C.conv2d_forward(x, w, b, st, pd, dl)
    fused = _C.conv2d_forward(x, w, b, st, pd, dl, relu=True)
    ref = _C.conv2d_forward(x, w, b, st, pd, dl, reference=True, relu=True)
    assert (fused >= 0).all() and (plain < 0).any()  # the flag has something to do
    np.testing.assert_array_equal(fused, np.maximum(plain, 0))
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(fused, ref, rtol=tol, atol=tol)


@pytest.mark.parametrize("case", [CASES[1], CASES[4]], ids=["implicit", "winograd"])
def test_kernel_relu_keeps_nan_like_torch(case):
    x, w, b, st, pd, dl = arrays(case, np.float32)
    x[0, 0, 3, 3] = np.nan
    fused = _C.conv2d_forward(x, w, b, st, pd, dl, relu=True)
    plain = _C.conv2d_forward(x, w, b, st, pd, dl)
    np.testing.assert_array_equal(np.isnan(fused), np.isnan(plain))
    assert np.isnan(fused).any()


@pytest.mark.parametrize("case", CASES)
def test_functional_values_and_gradients_match_conv_then_relu(case):
    x, w, b, st, pd, dl = arrays(case, np.float64, seed=1)
    grads = []
    for fused in (True, False):
        tx, tw, tb = (ax.tensor(a.copy(), requires_grad=True) for a in (x, w, b))
        y = F.conv2d_relu(tx, tw, tb, st, pd) if fused else F.relu(F.conv2d(tx, tw, tb, st, pd))
        g = np.random.default_rng(2).standard_normal(y.shape)
        y.backward(ax.tensor(g))
        grads.append([y.numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()])
    for a, b_ in zip(*grads):
        np.testing.assert_allclose(a, b_, rtol=1e-12, atol=1e-12)


def test_functional_gradcheck():
    x, w, b, st, pd, dl = arrays(CASES[2], np.float64, seed=3)
    tx, tw, tb = (ax.tensor(a, requires_grad=True) for a in (x[:1, :, :5, :6], w[:2], b[:2]))
    assert ax.autograd.gradcheck(lambda x, w, b: F.conv2d_relu(x, w, b, 1, 1), (tx, tw, tb))


def test_functional_matches_torch():
    torch = pytest.importorskip("torch")
    x, w, b, st, pd, dl = arrays(CASES[1], np.float32, seed=4)
    tx, tw, tb = (ax.tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.conv2d_relu(tx, tw, tb, st, pd)
    y.sum().backward()
    rx, rw, rb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ry = torch.relu(torch.nn.functional.conv2d(rx, rw, rb, stride=st, padding=pd))
    ry.sum().backward()
    np.testing.assert_allclose(y.numpy(), ry.detach().numpy(), rtol=1e-4, atol=1e-4)
    for mine, ref in ((tx, rx), (tw, rw), (tb, rb)):
        np.testing.assert_allclose(mine.grad.numpy(), ref.grad.numpy(), rtol=1e-4, atol=1e-3)


class CountingConv(nn.Conv2d):
    calls = 0

    def forward(self, x):
        CountingConv.calls += 1
        return super().forward(x)


def test_sequential_fuses_conv_relu_with_identical_results():
    ax.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3), nn.ReLU(),
                          nn.Flatten(), nn.Linear(6 * 12 * 12, 3))
    x = ax.tensor(np.random.default_rng(0).standard_normal((2, 1, 28, 28)).astype(np.float32))
    fused = model(x)
    fused.sum().backward()
    g_fused = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    h = x
    for layer in model:  # the unfused reference: every layer on its own
        h = layer(h)
    h.sum().backward()
    np.testing.assert_array_equal(fused.numpy(), h.numpy())
    for a, b in zip(g_fused, (p.grad.numpy() for p in model.parameters())):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_sequential_leaves_subclasses_alone():
    CountingConv.calls = 0
    model = nn.Sequential(CountingConv(1, 2, 3), nn.ReLU())
    y = model(ax.tensor(np.ones((1, 1, 5, 5), np.float32)))
    assert CountingConv.calls == 1 and (y.numpy() >= 0).all()
