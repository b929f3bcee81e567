"""The low-overhead paths: the fused Linear->ReLU / Conv2d->ReLU / cross-entropy ops against the unfused ones and
torch, nn.Sequential's fusion, the engine's gradient ownership (no copies where none are needed, and no aliasing
where one is), and the fast paths' fallbacks. The kernels themselves are tested in test_activation_kernels.py."""
import threading

import numpy as np
import pytest

import axonal as ax
import axonal.nn.functional as F
from axonal import _C, nn
from axonal.autograd import gradcheck
from axonal.ops import conv as conv_ops
from axonal.ops import linear as linear_ops
from axonal.ops import loss as loss_ops
from test_activation_kernels import DTYPES, randn, rng, same_bits, with_specials
from torch_compare import compare_with_torch


# ---- fused ops against the unfused ones ------------------------------------------------------------------
def _grads(*tensors):
    return [None if t.grad is None else t.grad.numpy().copy() for t in tensors]


def _leaves(*arrays):
    return [ax.tensor(a.copy(), requires_grad=True) for a in arrays]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(64, 784, 256), (1, 3, 1), (5, 17, 65), ("1d", 7, 3), ("3d", 9, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_relu_is_linear_then_relu_bit_for_bit(dtype, shape, bias):
    kind = shape[0] if isinstance(shape[0], str) else None
    n_in, n_out = shape[1], shape[2]
    xshape = {"1d": (n_in,), "3d": (2, 3, n_in)}.get(kind, (shape[0], n_in))
    x, w, b = randn(*xshape, dtype=dtype), randn(n_out, n_in, dtype=dtype, seed=1), randn(n_out, dtype=dtype, seed=2)
    g = randn(*(xshape[:-1] + (n_out,)), dtype=dtype, seed=3)
    results = []
    for fused in (False, True):
        xt, wt, bt = _leaves(x, w, b)
        bt = bt if bias else None
        y = linear_ops.linear_relu(xt, wt, bt) if fused else F.relu(F.linear(xt, wt, bt))
        y.backward(ax.tensor(g))
        results.append((y.numpy().copy(), _grads(xt, wt, *( [bt] if bias else []))))
    same_bits(results[0][0], results[1][0])
    for ga, gb in zip(results[0][1], results[1][1]):
        same_bits(ga, gb)


def test_linear_relu_mixed_bias_dtype_and_noncontiguous_input_take_the_fallbacks():
    x = randn(6, 8).T  # (8, 6) column-major view: cloned before the GEMM
    w, b = randn(5, 6, seed=1), randn(5, seed=2).astype(np.float64)
    unfused = F.relu(F.linear(ax.tensor(x), ax.tensor(w), ax.tensor(b)))
    fused = linear_ops.linear_relu(ax.tensor(x), ax.tensor(w), ax.tensor(b))
    same_bits(fused.numpy(), unfused.numpy())


def test_linear_relu_and_conv2d_relu_gradcheck():
    x, w, b = _leaves(randn(4, 5, dtype=np.float64), randn(3, 5, dtype=np.float64, seed=1),
                      randn(3, dtype=np.float64, seed=2))
    assert gradcheck(lambda x, w, b: linear_ops.linear_relu(x, w, b), (x, w, b))
    x, w, b = _leaves(randn(2, 2, 5, 5, dtype=np.float64), randn(3, 2, 3, 3, dtype=np.float64, seed=1),
                      randn(3, dtype=np.float64, seed=2))
    assert gradcheck(lambda x, w, b: conv_ops.conv2d_relu(x, w, b, 1, 1), (x, w, b))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("conf", [dict(), dict(padding=1), dict(stride=2, padding=1), dict(dilation=2, bias=False)])
def test_conv2d_relu_is_conv2d_then_relu_bit_for_bit(dtype, conf):
    conf = dict(conf)
    bias = conf.pop("bias", True)
    x, w, b = randn(3, 2, 9, 9, dtype=dtype), randn(4, 2, 3, 3, dtype=dtype, seed=1), randn(4, dtype=dtype, seed=2)
    results = []
    for fused in (False, True):
        xt, wt, bt = _leaves(x, w, b)
        bt = bt if bias else None
        y = conv_ops.conv2d_relu(xt, wt, bt, **conf) if fused else F.relu(F.conv2d(xt, wt, bt, **conf))
        y.backward(ax.tensor(randn(*y.shape, dtype=dtype, seed=3)))
        results.append((y.numpy().copy(), _grads(xt, wt, *([bt] if bias else []))))
    same_bits(results[0][0], results[1][0])
    for ga, gb in zip(results[0][1], results[1][1]):
        same_bits(ga, gb)


def test_fused_linear_relu_and_conv2d_relu_match_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    compare_with_torch(lambda x, w, b: linear_ops.linear_relu(x, w, b), lambda x, w, b: tf.relu(tf.linear(x, w, b)),
                       [randn(16, 20), randn(8, 20, seed=1), randn(8, seed=2)], [True, True, True])
    compare_with_torch(lambda x, w, b: conv_ops.conv2d_relu(x, w, b, 1, 1),
                       lambda x, w, b: tf.relu(tf.conv2d(x, w, b, 1, 1)),
                       [randn(2, 3, 8, 8), randn(4, 3, 3, 3, seed=1), randn(4, seed=2)], [True, True, True])


# ---- nn.Sequential fusion ----------------------------------------------------------------------------------
def _mlp_and_cnn():
    ax.manual_seed(0)
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(12, 9), nn.ReLU(), nn.Linear(9, 7), nn.ReLU(), nn.Linear(7, 3))
    cnn = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(4 * 2 * 3, 5), nn.ReLU(), nn.Linear(5, 3))
    return [(mlp, (6, 1, 3, 4)), (cnn, (6, 1, 4, 6))]


def _unfused_forward(seq, x):
    for layer in seq:
        x = layer(x)  # one module at a time: what Sequential did before the fusion
    return x


@pytest.mark.parametrize("which", [0, 1])
def test_sequential_fusion_gives_the_unfused_values_and_gradients(which):
    model, xshape = _mlp_and_cnn()[which]
    x = randn(*xshape)
    target = np.arange(xshape[0]) % 3
    results = []
    for fused in (False, True):
        model.zero_grad()
        xt = ax.tensor(x, requires_grad=True)
        out = model(xt) if fused else _unfused_forward(model, xt)
        F.cross_entropy(out, ax.tensor(target)).backward()
        results.append([out.numpy().copy(), xt.grad.numpy().copy()] + [p.grad.numpy().copy() for p in model.parameters()])
    for a, b in zip(*results):
        same_bits(a, b)


def test_sequential_fuses_only_plain_linear_or_conv_followed_by_plain_relu():
    class MyReLU(nn.ReLU):
        pass

    x = ax.tensor(randn(2, 3), requires_grad=True)
    lin = nn.Linear(3, 4)
    assert "LinearReLU" in repr(nn.Sequential(lin, nn.ReLU())(x))
    assert "LinearReLU" not in repr(nn.Sequential(lin, MyReLU())(x))
    assert "LinearReLU" not in repr(nn.Sequential(lin, nn.Tanh(), nn.ReLU())(x))
    patched = nn.Linear(3, 4)
    patched.forward = lambda inp: F.linear(inp, patched.weight, patched.bias) * 0  # an instance override wins
    assert not nn.Sequential(patched, nn.ReLU())(x).numpy().any()


def test_fashion_models_train_the_same_fused_and_unfused():
    # Two optimizer steps with Adam: the parameters must end bit for bit equal.
    xb = randn(8, 1, 28, 28)
    yb = ax.tensor(np.arange(8) % 10)
    finals = []
    for fused in (False, True):
        ax.manual_seed(3)
        model = ax.models.fashion_cnn()
        opt = ax.optim.Adam(model.parameters())
        for _ in range(2):
            out = model(ax.tensor(xb)) if fused else _unfused_forward(model, ax.tensor(xb))
            nn.CrossEntropyLoss()(out, yb).backward()
            opt.step()
            opt.zero_grad()
        finals.append([p.numpy().copy() for p in model.parameters()])
    for a, b in zip(*finals):
        same_bits(a, b)


# ---- fused cross-entropy against the NumPy path and torch ---------------------------------------------------
def _numpy_path_cross_entropy(x, target, weight, ignore_index, reduction, smoothing):
    w = None if weight is None else np.asarray(weight, dtype=x.dtype)
    return loss_ops.CrossEntropy.apply(x, ax.tensor(target), w, ignore_index, reduction, smoothing)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("dtype", DTYPES)
def test_fused_cross_entropy_matches_the_numpy_path(reduction, weighted, smoothing, dtype):
    r = rng(11)
    x = (r.standard_normal((64, 10)) * 3).astype(dtype)
    target = r.integers(0, 10, 64)
    target[:3] = 5
    target[3] = -1  # ignore_index below
    weight = r.uniform(0.5, 2, 10).astype(dtype) if weighted else None
    outs = []
    for fused in (False, True):
        xt = ax.tensor(x, requires_grad=True)
        if fused:
            loss = F.cross_entropy(xt, ax.tensor(target), None if weight is None else ax.tensor(weight), -1,
                                   reduction, smoothing)
            assert loss._ctx.fn is loss_ops.SoftmaxCrossEntropy
        else:
            loss = _numpy_path_cross_entropy(xt, target, weight, -1, reduction, smoothing)
        g = randn(*loss.shape, dtype=dtype, seed=4)
        loss.backward(ax.tensor(g))
        outs.append((loss.numpy(), xt.grad.numpy()))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for a, b in zip(*outs):
        assert a.dtype == b.dtype == dtype and a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_fused_cross_entropy_matches_torch_and_keeps_the_error_messages():
    torch = pytest.importorskip("torch")
    target = rng(2).integers(0, 10, 32)
    compare_with_torch(lambda x: F.cross_entropy(x, ax.tensor(target), label_smoothing=0.1),
                       lambda x: torch.nn.functional.cross_entropy(x, torch.tensor(target), label_smoothing=0.1),
                       [randn(32, 10)], [True])
    with pytest.raises(IndexError, match=r"^\[cross_entropy\] target 10 is out of range for 10 classes \(input \(2, 10\)\)"):
        F.cross_entropy(ax.tensor(randn(2, 10)), ax.tensor(np.array([1, 10])))
    with pytest.raises(IndexError, match=r"^\[cross_entropy\] target -3 is out of range"):
        F.cross_entropy(ax.tensor(randn(2, 10)), ax.tensor(np.array([-3, 1])))


def test_fused_cross_entropy_under_no_grad_keeps_no_gradient():
    x = ax.tensor(randn(8, 4), requires_grad=True)
    with ax.no_grad():
        loss = F.cross_entropy(x, ax.tensor(np.arange(8) % 4))
    assert not loss.requires_grad and loss._ctx is None
    np.testing.assert_allclose(loss.item(), F.cross_entropy(x, ax.tensor(np.arange(8) % 4)).item())


def test_cross_entropy_odd_targets_take_the_numpy_path():
    x = randn(6, 4)
    for target in (ax.tensor(np.arange(6, dtype=np.int32) % 4),            # not int64
                   ax.from_numpy((np.arange(12) % 4)[::2])):              # not contiguous
        loss = F.cross_entropy(ax.tensor(x, requires_grad=True), target)
        assert loss._ctx.fn is loss_ops.CrossEntropy
        same = ax.tensor(np.ascontiguousarray(target.numpy(), dtype=np.int64))  # the fused path's case
        np.testing.assert_allclose(loss.item(), F.cross_entropy(ax.tensor(x), same).item(), rtol=1e-6)


# ---- the engine: accumulation, ownership, aliasing ----------------------------------------------------------
def test_tensor_used_twice_or_three_times_accumulates():
    x = ax.tensor(np.array([1.5, -2.0, 3.0]), requires_grad=True)
    (x * x + x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy() + 1)
    x.grad = None
    y = x.relu()
    ((y * 2 + y * 3).sum() + F.linear(y.unsqueeze(0), ax.tensor(np.ones((1, 3)))).sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), (x.numpy() > 0) * 6.0)


def test_leaf_gradients_never_share_memory():
    a = ax.tensor(randn(3, 3), requires_grad=True)
    b = ax.tensor(randn(3, 3), requires_grad=True)
    (a + b).sum().backward()  # Add hands the same array to both inputs
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.numpy()[...] = 7
    np.testing.assert_array_equal(b.grad.numpy(), np.ones((3, 3)))


def test_seed_gradient_is_not_aliased_by_a_leaf_gradient():
    x = ax.tensor(randn(2, 3), requires_grad=True)
    seed = np.ones(6, np.float32)
    x.reshape(6).backward(ax.tensor(seed))  # Reshape passes a view of the seed straight to the leaf
    assert not np.shares_memory(x.grad.numpy(), seed)
    x.grad.numpy()[...] = 5
    assert (seed == 1).all()
    leaf = ax.tensor(randn(4), requires_grad=True)
    seed = np.full(4, 2.0, np.float32)
    leaf.backward(ax.tensor(seed))
    assert not np.shares_memory(leaf.grad.numpy(), seed)


def test_gradients_accumulate_in_place_across_backward_calls():
    lin = nn.Linear(4, 3)
    x = ax.tensor(randn(5, 4))
    lin(x).sum().backward()
    first = lin.weight.grad.numpy().copy()
    grad_array = lin.weight.grad.numpy()
    lin(x).sum().backward()
    assert lin.weight.grad.numpy() is grad_array  # accumulated into, not replaced
    np.testing.assert_allclose(grad_array, 2 * first, rtol=1e-6)


def test_fresh_parameter_gradients_are_owned_and_distinct():
    ax.manual_seed(0)
    model = ax.models.fashion_mlp()
    out = model(ax.tensor(randn(4, 1, 28, 28)))
    F.cross_entropy(out, ax.tensor(np.arange(4))).backward()
    grads = [p.grad.numpy() for p in model.parameters()]
    for i, g in enumerate(grads):
        # Owned: NumPy's own memory, or the aligned memory the kernels allocate (no view of another array).
        assert g.base is None or type(g.base) is _C.AlignedBuffer
        assert g.flags.writeable and g.flags.c_contiguous
        for other in grads[i + 1:]:
            assert not np.shares_memory(g, other)


def test_retain_graph_twice_doubles_and_saved_arrays_are_not_clobbered():
    x = ax.tensor(randn(6, 5), requires_grad=True)
    w = ax.tensor(randn(3, 5, seed=1), requires_grad=True)
    loss = F.cross_entropy(linear_ops.linear_relu(x, w), ax.tensor(np.arange(6) % 3))
    loss.backward(retain_graph=True)
    first = [x.grad.numpy().copy(), w.grad.numpy().copy()]
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first[0], rtol=1e-6)
    np.testing.assert_allclose(w.grad.numpy(), 2 * first[1], rtol=1e-6)
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


def test_retain_grad_on_a_fused_intermediate_and_detach_cuts_the_edge():
    x = ax.tensor(randn(4, 3), requires_grad=True)
    w = ax.tensor(randn(2, 3, seed=1), requires_grad=True)
    h = linear_ops.linear_relu(x, w).retain_grad()
    (h * 3).sum().backward()
    np.testing.assert_array_equal(h.grad.numpy(), np.full((4, 2), 3.0, np.float32))
    assert not np.shares_memory(h.grad.numpy(), w.grad.numpy())
    x2 = ax.tensor(randn(4, 3), requires_grad=True)
    mid = x2 * 2
    out = (mid * mid).sum()
    mid.detach_()
    out.backward()
    assert x2.grad is None


def test_grad_mode_default_is_on_in_new_threads():
    seen = []
    with ax.no_grad():
        t = threading.Thread(target=lambda: seen.append(ax.is_grad_enabled()))
        t.start()
        t.join()
        assert not ax.is_grad_enabled()
    assert seen == [True] and ax.is_grad_enabled()


# ---- fast paths keep the general semantics --------------------------------------------------------------------
def test_elementwise_fast_path_keeps_dtypes_and_errors():
    x = ax.tensor(randn(2, 3))
    assert (x + 1).dtype == np.float32 and (x * 2.5).dtype == np.float32 and (x / 2).dtype == np.float32
    assert (x + ax.tensor(randn(2, 3, dtype=np.float64))).dtype == np.float64
    assert (x + ax.tensor(np.ones(3, np.int64))).dtype == np.float32
    assert (x + True).dtype == np.float32
    np.testing.assert_allclose((x - ax.tensor(randn(1, 3, seed=1))).numpy(), x.numpy() - randn(1, 3, seed=1))
    with pytest.raises(ValueError, match=r"^\[mul\] shapes \(2, 3\), \(4,\)"):
        x * ax.tensor(np.ones(4, np.float32))
    with pytest.raises(TypeError, match=r"^\[add\] unsupported operand type str"):
        x + "a"


def test_relu_fallbacks_for_views_and_integers():
    base = with_specials(randn(4, 6))
    view = ax.tensor(base, requires_grad=True)[:, ::2]  # not contiguous: NumPy path
    y = view.relu()
    same_bits(y.numpy(), np.maximum(base[:, ::2], 0))
    y.backward(ax.tensor(np.ones((4, 3), np.float32)))
    np.testing.assert_array_equal(ax.tensor(np.array([-2, 0, 3])).relu().numpy(), [0, 0, 3])


def test_matmul_fast_path_falls_back_for_odd_operands():
    a, b = randn(3, 4), randn(4, 5, seed=1)
    want = a @ b
    np.testing.assert_allclose(ax.tensor(a).matmul(ax.tensor(b)).numpy(), want, rtol=1e-5)
    np.testing.assert_allclose((ax.tensor(a) @ ax.tensor(b.astype(np.float64))).numpy(), a @ b.astype(np.float64),
                               rtol=1e-6)
    strided = np.zeros((6, 8), np.float32)
    strided[::2, ::2] = a
    np.testing.assert_allclose((ax.tensor(strided[::2, ::2]) @ ax.tensor(b)).numpy(), want, rtol=1e-5)
    rows = np.broadcast_to(randn(1, 4, seed=2), (3, 4))  # row stride 0: needs a copy before the GEMM
    np.testing.assert_allclose((ax.tensor(rows) @ ax.tensor(b)).numpy(), np.asarray(rows) @ b, rtol=1e-5)
    assert (ax.tensor(np.zeros((0, 4), np.float32)) @ ax.tensor(b)).shape == (0, 5)
    with pytest.raises(ValueError, match=r"^\[matmul\]"):
        ax.tensor(a) @ ax.tensor(a)
    with pytest.raises(TypeError, match=r"^\[matmul\]"):
        ax.tensor(np.ones((2, 2), np.int64)) @ ax.tensor(np.ones((2, 2), np.int64))
