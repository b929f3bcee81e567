"""Tensor basics: creation, interop, arithmetic and dtypes, shape ops, indexing, grad modes and the engine."""
import os
import subprocess
import sys

import numpy as np
import pytest

import axonal as ax

# ---- creation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, dtype",
    [
        ([1.0, 2.0], np.float32),  # Python floats -> the default float dtype
        ([1, 2], np.int64),
        ([[1, 2], [3, 4]], np.int64),
        (3.5, np.float32),
        (7, np.int64),
        ([True, False], np.bool_),
        (np.zeros(3, dtype=np.float64), np.float64),  # an array keeps its dtype
        (np.zeros(3, dtype=np.int32), np.int32),
    ],
)
def test_tensor_infers_dtype(data, dtype):
    t = ax.tensor(data)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.asarray(data))


def test_tensor_explicit_dtype_and_copy():
    a = np.arange(4, dtype=np.float64)
    t = ax.tensor(a, dtype=ax.float32)
    assert t.dtype == np.float32
    a[0] = 100.0
    assert t.numpy()[0] == 0.0  # tensor() copies
    t2 = ax.tensor(t)
    t2.numpy()[1] = 50.0
    assert t.numpy()[1] == 1.0


@pytest.mark.parametrize("fn, value", [(ax.zeros, 0.0), (ax.ones, 1.0)])
def test_zeros_ones(fn, value):
    for t in (fn(2, 3), fn((2, 3)), fn([2, 3])):
        assert t.shape == (2, 3) and t.dtype == np.float32
        assert np.all(t.numpy() == value)
    assert fn(2, dtype=ax.float64).dtype == np.float64
    assert fn(2, dtype=ax.int64).dtype == np.int64
    assert fn(0).shape == (0,)
    assert fn(()).shape == ()


def test_full_dtypes():
    t = ax.full((2, 2), 1.5)
    assert t.dtype == np.float32 and np.all(t.numpy() == 1.5)
    assert ax.full((3,), 7).dtype == np.int64  # as torch: an int fill gives int64
    assert ax.full((3,), True).dtype == np.bool_
    assert ax.full((2,), 2, dtype=ax.float64).dtype == np.float64
    assert ax.full(4, 0.5).shape == (4,)


def test_empty():
    t = ax.empty(3, 4)
    assert t.shape == (3, 4) and t.dtype == np.float32
    assert ax.empty(2, dtype=ax.int64).dtype == np.int64


def test_arange():
    t = ax.arange(5)
    assert t.dtype == np.int64 and t.tolist() == [0, 1, 2, 3, 4]
    assert ax.arange(2, 8, 3).tolist() == [2, 5]
    f = ax.arange(0.0, 1.0, 0.25)
    assert f.dtype == np.float32 and f.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert ax.arange(5, dtype=ax.float64).dtype == np.float64
    assert ax.arange(5, 0, -2).tolist() == [5, 3, 1]


def test_rand_randn_shapes_and_ranges():
    ax.manual_seed(1)
    r = ax.rand(1000)
    assert r.dtype == np.float32 and r.shape == (1000,)
    assert r.numpy().min() >= 0.0 and r.numpy().max() < 1.0
    n = ax.randn(2, 500)
    assert n.dtype == np.float32 and n.shape == (2, 500)
    assert abs(float(n.numpy().mean())) < 0.2 and 0.8 < float(n.numpy().std()) < 1.2
    assert ax.randn(3, dtype=ax.float64).dtype == np.float64
    assert ax.rand((2, 3)).shape == (2, 3)


def test_manual_seed_reproducible():
    ax.manual_seed(123)
    a, b = ax.rand(5), ax.randn(3, 2)
    ax.manual_seed(123)
    c, d = ax.rand(5), ax.randn(3, 2)
    np.testing.assert_array_equal(a.numpy(), c.numpy())
    np.testing.assert_array_equal(b.numpy(), d.numpy())
    ax.manual_seed(124)
    assert not np.array_equal(ax.rand(5).numpy(), a.numpy())


def test_creation_requires_grad():
    for t in (ax.zeros(2, requires_grad=True), ax.ones(2, requires_grad=True), ax.randn(2, requires_grad=True),
              ax.tensor([1.0], requires_grad=True), ax.full((2,), 1.0, requires_grad=True)):
        assert t.requires_grad and t.is_leaf and t.grad is None
    with pytest.raises(TypeError, match=r"^\[requires_grad_\]"):
        ax.tensor([1, 2], requires_grad=True)


def test_negative_size_raises():
    with pytest.raises(ValueError, match=r"^\[size\]"):
        ax.zeros(2, -1)


# ---- interop ----------------------------------------------------------------------------------------


def test_from_numpy_shares_memory():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = ax.from_numpy(a)
    assert t.dtype == np.float32 and t.shape == (2, 3)
    a[0, 0] = 42.0
    assert t.numpy()[0, 0] == 42.0
    t.numpy()[1, 2] = -1.0
    assert a[1, 2] == -1.0
    assert np.shares_memory(t.numpy(), a)
    assert ax.from_numpy(np.zeros(2, dtype=np.float64)).dtype == np.float64


def test_numpy_of_tensor_shares_memory():
    t = ax.zeros(3)
    t.numpy()[0] = 5.0
    assert t.tolist() == [5.0, 0.0, 0.0]


def test_item_and_properties():
    t = ax.tensor([[2.5]])
    assert t.item() == 2.5 and isinstance(t.item(), float)
    assert isinstance(ax.tensor(3).item(), int)
    x = ax.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.ndim == 3 and x.dtype == ax.float32
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.numel() == 24 and len(x) == 2
    with pytest.raises(ValueError, match=r"^\[item\]"):
        ax.zeros(2).item()
    assert float(ax.tensor(1.5)) == 1.5 and int(ax.tensor(3)) == 3


# ---- arithmetic, broadcasting, dtypes ----------------------------------------------------------------


def test_arithmetic_with_broadcasting():
    a = np.arange(6, dtype=np.float32).reshape(2, 3) + 1
    b = np.array([1.0, 2.0, 4.0], dtype=np.float32)
    ta, tb = ax.tensor(a), ax.tensor(b)
    np.testing.assert_allclose((ta + tb).numpy(), a + b)
    np.testing.assert_allclose((ta - tb).numpy(), a - b)
    np.testing.assert_allclose((ta * tb).numpy(), a * b)
    np.testing.assert_allclose((ta / tb).numpy(), a / b)
    np.testing.assert_allclose((ta ** tb).numpy(), a ** b, rtol=1e-6)
    np.testing.assert_allclose((ta @ ax.tensor(b)).numpy(), a @ b, rtol=1e-6)
    np.testing.assert_allclose((-ta).numpy(), -a)
    col = ax.tensor(np.array([[1.0], [2.0]], dtype=np.float32))
    assert (col + tb).shape == (2, 3)


@pytest.mark.parametrize("op", ["add", "radd", "sub", "rsub", "mul", "rmul", "div", "rdiv", "pow", "rpow"])
def test_python_scalar_keeps_float32(op):
    t = ax.tensor([1.0, 2.0, 3.0])
    s = 2.5
    out = {
        "add": lambda: t + s, "radd": lambda: s + t, "sub": lambda: t - s, "rsub": lambda: s - t,
        "mul": lambda: t * s, "rmul": lambda: s * t, "div": lambda: t / s, "rdiv": lambda: s / t,
        "pow": lambda: t ** s, "rpow": lambda: s ** t,
    }[op]()
    assert out.dtype == np.float32
    ref = {
        "add": t.numpy() + s, "radd": s + t.numpy(), "sub": t.numpy() - s, "rsub": s - t.numpy(),
        "mul": t.numpy() * s, "rmul": s * t.numpy(), "div": t.numpy() / s, "rdiv": s / t.numpy(),
        "pow": t.numpy() ** s, "rpow": s ** t.numpy(),
    }[op]
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-6)


def test_python_int_scalar_and_scalar_tensor_keep_float32():
    t = ax.tensor([1.0, 2.0])
    assert (t + 1).dtype == np.float32 and (t * 3).dtype == np.float32
    assert (t + ax.tensor(1.5)).dtype == np.float32
    assert (ax.tensor(2.0) * 1.5).dtype == np.float32


def test_dtype_promotion_follows_torch():
    f32, f64 = ax.tensor([1.0, 2.0]), ax.tensor([1.0, 2.0], dtype=ax.float64)
    i64 = ax.tensor([1, 2])
    assert (f32 + f64).dtype == np.float64
    assert (f32 + i64).dtype == np.float32  # an integer tensor does not widen a float one
    assert (i64 * f32).dtype == np.float32
    assert (i64 + i64).dtype == np.int64
    assert (i64 + 2).dtype == np.int64
    assert (i64 + 2.5).dtype == np.float32  # int tensor with a Python float -> default float dtype
    assert (i64 / i64).dtype == np.float32  # true division of integers gives the default float dtype
    assert (i64 / 2).dtype == np.float32
    np.testing.assert_allclose((i64 / 2).numpy(), [0.5, 1.0])


def test_mixed_dtype_gradient_keeps_input_dtype():
    w = ax.tensor([1.0, 2.0], requires_grad=True)
    mask = ax.tensor([1, 0])
    (w * mask).sum().backward()
    assert w.grad.dtype == np.float32
    assert w.grad.tolist() == [1.0, 0.0]


def test_comparisons_give_bool_without_graph():
    a = ax.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = ax.tensor([3.0, 2.0, 1.0])
    for out, ref in [
        (a < b, [True, False, False]), (a <= b, [True, True, False]), (a > b, [False, False, True]),
        (a >= b, [False, True, True]), (a == b, [False, True, False]), (a != b, [True, False, True]),
        (a > 1.5, [False, True, True]),
    ]:
        assert out.dtype == np.bool_ and out.tolist() == ref and not out.requires_grad
    assert ((a > 1) & (a < 3)).tolist() == [False, True, False]
    assert (~(a > 1)).tolist() == [True, False, False]


def test_math_functions():
    x = np.array([0.5, 1.0, 4.0], dtype=np.float32)
    t = ax.tensor(x)
    np.testing.assert_allclose(ax.exp(t).numpy(), np.exp(x), rtol=1e-6)
    np.testing.assert_allclose(t.log().numpy(), np.log(x), rtol=1e-6)
    np.testing.assert_allclose(t.sqrt().numpy(), np.sqrt(x), rtol=1e-6)
    np.testing.assert_allclose(ax.abs(-t).numpy(), x)
    np.testing.assert_allclose(t.clamp(0.7, 2.0).numpy(), [0.7, 1.0, 2.0])
    np.testing.assert_allclose(ax.clamp(t, min=1.0).numpy(), [1.0, 1.0, 4.0])
    np.testing.assert_allclose(t.clamp(max=1.0).numpy(), [0.5, 1.0, 1.0])
    for out in (ax.exp(t), t.log(), t.sqrt(), abs(t), t.clamp(0, 1)):
        assert out.dtype == np.float32


def test_reductions_forward():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t = ax.tensor(a)
    assert t.sum().shape == () and t.sum().item() == a.sum()
    np.testing.assert_allclose(t.sum(1).numpy(), a.sum(1))
    np.testing.assert_allclose(t.sum((0, 2), keepdim=True).numpy(), a.sum((0, 2), keepdims=True))
    np.testing.assert_allclose(t.mean(-1).numpy(), a.mean(-1))
    np.testing.assert_allclose(t.var(1).numpy(), a.var(1, ddof=1), rtol=1e-6)
    np.testing.assert_allclose(t.var(1, unbiased=False).numpy(), a.var(1), rtol=1e-6)
    values, indices = t.max(2)
    np.testing.assert_array_equal(values.numpy(), a.max(2))
    assert indices.dtype == np.int64 and indices.tolist() == a.argmax(2).tolist()
    assert t.min(0, keepdim=True).values.shape == (1, 3, 4)
    assert t.max().item() == 23.0 and t.min().item() == 0.0
    assert t.argmax().item() == 23 and t.argmax(1).shape == (2, 4)


# ---- shape ops ----------------------------------------------------------------------------------------


def test_reshape_view_flatten():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t = ax.tensor(a)
    assert t.reshape(6, 4).shape == (6, 4)
    assert t.reshape((4, -1)).shape == (4, 6)
    assert t.view(-1).shape == (24,)
    assert t.view(2, 12).shape == (2, 12)
    assert t.flatten().shape == (24,)
    assert t.flatten(1).shape == (2, 12)
    assert t.flatten(0, 1).shape == (6, 4)
    np.testing.assert_array_equal(t.reshape(4, 6).numpy(), a.reshape(4, 6))
    with pytest.raises(ValueError, match=r"^\[reshape\].*\(2, 3, 4\)"):
        t.reshape(5, 5)


def test_transpose_permute_T():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t = ax.tensor(a)
    np.testing.assert_array_equal(t.transpose(0, 2).numpy(), a.transpose(2, 1, 0))
    np.testing.assert_array_equal(t.transpose(-1, -2).numpy(), np.swapaxes(a, -1, -2))
    np.testing.assert_array_equal(t.permute(1, 2, 0).numpy(), a.transpose(1, 2, 0))
    np.testing.assert_array_equal(t.permute((2, 0, 1)).numpy(), a.transpose(2, 0, 1))
    m = ax.tensor(a[0])
    np.testing.assert_array_equal(m.T.numpy(), a[0].T)
    assert ax.transpose(t, 0, 1).shape == (3, 2, 4)


def test_squeeze_unsqueeze():
    t = ax.zeros(1, 3, 1, 2)
    assert t.squeeze().shape == (3, 2)
    assert t.squeeze(0).shape == (3, 1, 2)
    assert t.squeeze(2).shape == (1, 3, 2)
    assert t.squeeze(1).shape == (1, 3, 1, 2)  # not size 1: unchanged, as in torch
    assert t.unsqueeze(0).shape == (1, 1, 3, 1, 2)
    assert t.unsqueeze(-1).shape == (1, 3, 1, 2, 1)
    assert ax.zeros(3).unsqueeze(1).shape == (3, 1)


def test_expand():
    t = ax.tensor([[1.0], [2.0]])
    e = t.expand(2, 3)
    assert e.shape == (2, 3) and e.tolist() == [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]
    assert t.expand(4, -1, 3).shape == (4, 2, 3)


# ---- indexing --------------------------------------------------------------------------------------------


def test_basic_indexing():
    a = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    t = ax.tensor(a)
    for key in [0, -1, (1, 2), (slice(None), 1), (slice(1, None), slice(None, None, 2)), (Ellipsis, 3),
                (None, 0), (slice(None, None, -1),), (0, slice(1, 3), 4)]:
        np.testing.assert_array_equal(t[key].numpy(), a[key], err_msg=str(key))


def test_integer_array_indexing():
    a = np.arange(20, dtype=np.float32).reshape(4, 5)
    t = ax.tensor(a)
    idx = [2, 0, 2]
    np.testing.assert_array_equal(t[idx].numpy(), a[idx])
    np.testing.assert_array_equal(t[ax.tensor(idx)].numpy(), a[idx])
    np.testing.assert_array_equal(t[ax.tensor([0, 3]), ax.tensor([1, 4])].numpy(), a[[0, 3], [1, 4]])
    np.testing.assert_array_equal(t[:, ax.tensor([4, 0])].numpy(), a[:, [4, 0]])


def test_boolean_indexing():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = ax.tensor(a)
    np.testing.assert_array_equal(t[t > 5].numpy(), a[a > 5])
    rows = ax.tensor([True, False, True])
    np.testing.assert_array_equal(t[rows].numpy(), a[[True, False, True]])


def test_index_out_of_range():
    with pytest.raises(IndexError, match=r"^\[index\].*\(2, 3\)"):
        ax.zeros(2, 3)[5]


def test_setitem():
    t = ax.zeros(2, 3)
    t[0, 1] = 4.0
    t[1] = ax.tensor([1.0, 2.0, 3.0])
    assert t.tolist() == [[0.0, 4.0, 0.0], [1.0, 2.0, 3.0]]
    p = ax.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^\[setitem\]"):
        p[0] = 1.0
    with ax.no_grad():
        p[0] = 1.0
    assert p.tolist() == [1.0, 0.0]


# ---- cat / stack / where -----------------------------------------------------------------------------


def test_cat_stack():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.arange(9, dtype=np.float32).reshape(3, 3)
    np.testing.assert_array_equal(ax.cat([ax.tensor(a), ax.tensor(b)]).numpy(), np.concatenate([a, b]))
    np.testing.assert_array_equal(ax.cat((ax.tensor(a), ax.tensor(a)), dim=1).numpy(), np.concatenate([a, a], 1))
    np.testing.assert_array_equal(ax.cat([ax.tensor(a), ax.tensor(a)], dim=-1).numpy(), np.concatenate([a, a], -1))
    np.testing.assert_array_equal(ax.stack([ax.tensor(a), ax.tensor(a)]).numpy(), np.stack([a, a]))
    np.testing.assert_array_equal(ax.stack([ax.tensor(a), ax.tensor(a)], dim=2).numpy(), np.stack([a, a], 2))
    np.testing.assert_array_equal(ax.stack([ax.tensor(a), ax.tensor(a)], dim=-1).numpy(), np.stack([a, a], -1))
    with pytest.raises(ValueError, match=r"^\[cat\]"):
        ax.cat([ax.tensor(a), ax.tensor(b)], dim=1)
    with pytest.raises(ValueError, match=r"^\[stack\]"):
        ax.stack([ax.tensor(a), ax.tensor(b)])


def test_where():
    cond = ax.tensor([True, False, True])
    a, b = ax.tensor([1.0, 2.0, 3.0]), ax.tensor([-1.0, -2.0, -3.0])
    out = ax.where(cond, a, b)
    assert out.tolist() == [1.0, -2.0, 3.0] and out.dtype == np.float32
    assert ax.where(a > 1.5, a, 0.0).tolist() == [0.0, 2.0, 3.0]
    assert ax.where(a > 1.5, a, 0.0).dtype == np.float32


# ---- autograd behaviour ------------------------------------------------------------------------------


def test_simple_backward():
    x = ax.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]
    assert x.grad.dtype == np.float32 and not x.grad.requires_grad


def test_no_grad():
    x = ax.tensor([1.0, 2.0], requires_grad=True)
    with ax.no_grad():
        y = x * 2
        assert not ax.is_grad_enabled()
    assert ax.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf

    @ax.no_grad()
    def f(t):
        return t + 1

    assert not f(x).requires_grad
    assert (x * 2).requires_grad


def test_detach():
    x = ax.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3).detach()
    assert not y.requires_grad and y.is_leaf
    assert np.shares_memory(x.detach().numpy(), x.numpy())
    z = (x * y).sum()
    z.backward()
    assert x.grad.tolist() == [3.0, 6.0]


def test_requires_grad_():
    x = ax.tensor([1.0, 2.0])
    assert not x.requires_grad
    assert x.requires_grad_() is x and x.requires_grad
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    x.requires_grad_(False)
    assert not (x * 2).requires_grad


def test_gradient_accumulates_across_backward_calls():
    x = ax.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [3.0 + 2.0, 3.0 + 4.0]
    x.grad = None
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_gradient_accumulates_within_one_graph():
    x = ax.tensor([2.0], requires_grad=True)
    y = x * x + x * 3 + x  # x used several times
    y.backward(ax.tensor([1.0]))
    assert x.grad.tolist() == [2 * 2.0 + 3 + 1]


def test_broadcast_gradients_are_reduced():
    x = ax.tensor(np.ones((4, 3), dtype=np.float32), requires_grad=True)
    row = ax.tensor(np.array([1.0, 2.0, 3.0], dtype=np.float32), requires_grad=True)
    col = ax.tensor(np.ones((4, 1), dtype=np.float32), requires_grad=True)
    s = ax.tensor(2.0, requires_grad=True)
    ((x * row + col) * s).sum().backward()
    assert x.grad.shape == (4, 3) and row.grad.shape == (3,) and col.grad.shape == (4, 1) and s.grad.shape == ()
    np.testing.assert_allclose(row.grad.numpy(), [8.0, 8.0, 8.0])
    np.testing.assert_allclose(col.grad.numpy(), np.full((4, 1), 6.0))
    np.testing.assert_allclose(s.grad.numpy(), 4 * (1 + 2 + 3) + 12)
    np.testing.assert_allclose(x.grad.numpy(), np.tile([2.0, 4.0, 6.0], (4, 1)))


def test_backward_needs_scalar_or_gradient():
    x = ax.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^\[backward\].*\(2,\)"):
        (x * 2).backward()
    with pytest.raises(ValueError, match=r"^\[backward\]"):
        (x * 2).backward(ax.ones(3))
    with pytest.raises(RuntimeError, match=r"^\[backward\]"):
        ax.tensor([1.0]).backward()


def test_retain_graph():
    x = ax.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]
    with pytest.raises(RuntimeError, match=r"^\[backward\].*retain_graph"):
        y.backward()


def test_second_backward_without_retain_graph_fails():
    x = ax.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"^\[backward\].*second time"):
        y.backward()


def test_retain_grad_on_intermediate():
    x = ax.tensor([1.0, 2.0], requires_grad=True)
    h = (x * 2).retain_grad()
    (h * h).sum().backward()
    assert h.grad.tolist() == [4.0, 8.0]
    assert x.grad.tolist() == [8.0, 16.0]


def test_inplace_on_leaf_requiring_grad_is_refused():
    p = ax.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^\[zero_\]"):
        p.zero_()
    with ax.no_grad():
        p.fill_(3.0)
    assert p.tolist() == [3.0, 3.0]


def test_grad_fn_in_repr():
    x = ax.tensor([1.0], requires_grad=True)
    assert "requires_grad=True" in repr(x)
    assert "grad_fn=<MulBackward>" in repr(x * 2)


# ---- threads -------------------------------------------------------------------------------------------


def test_set_get_num_threads_round_trip():
    before = ax.get_num_threads()
    assert isinstance(before, int) and before >= 1
    if not ax._C.has_openmp():  # a serial build always reports 1
        ax.set_num_threads(3)
        assert ax.get_num_threads() == 1
        return
    try:
        ax.set_num_threads(1)
        assert ax.get_num_threads() == 1
        ax.set_num_threads(3)
        assert ax.get_num_threads() == 3
    finally:
        ax.set_num_threads(before)
    assert ax.get_num_threads() == before
    with pytest.raises(ValueError, match=r"^\[set_num_threads\]"):
        ax.set_num_threads(0)
    with pytest.raises(TypeError, match=r"^\[set_num_threads\]"):
        ax.set_num_threads(2.0)


def test_omp_num_threads_respected():
    if not ax._C.has_openmp():
        pytest.skip("built without OpenMP")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in [_python_dir(), env.get("PYTHONPATH")] if p)
    out = subprocess.run(
        [sys.executable, "-c", "import axonal; print(axonal.get_num_threads())"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1"


def _python_dir():
    return os.path.dirname(os.path.dirname(os.path.abspath(ax.__file__)))


def test_zero_dim_reductions_accept_dim_0():
    s = ax.tensor(2.0, requires_grad=True)
    assert s.sum(0).item() == 2.0 and s.mean(-1).item() == 2.0
    values, indices = s.max(0)
    assert values.shape == () and values.item() == 2.0 and indices.item() == 0
    assert s.argmax(0).item() == 0 and s.min(dim=-1).values.item() == 2.0
    (s.sum(0) * 3).backward()
    assert s.grad.item() == 3.0
    with pytest.raises(IndexError, match=r"^\[sum\]"):
        s.sum(1)


def test_no_grad_bare_decorator():
    @ax.no_grad
    def f(t):
        return t * 2

    x = ax.tensor([1.0], requires_grad=True)
    assert not f(x).requires_grad and f.__name__ == "f"
    assert (x * 2).requires_grad


def test_enable_grad_inside_no_grad():
    x = ax.tensor([1.0], requires_grad=True)
    with ax.no_grad():
        with ax.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad


def test_empty_matmul_gives_zeros():
    a = ax.zeros(2, 0, requires_grad=True)
    b = ax.zeros(0, 3, requires_grad=True)
    out = a @ b
    assert out.shape == (2, 3) and out.tolist() == [[0.0] * 3] * 2
    out.sum().backward()
    assert a.grad.shape == (2, 0) and b.grad.shape == (0, 3)


def test_backward_gradient_is_cast_to_the_output_dtype():
    import axonal.nn.functional as F

    ax.manual_seed(0)
    x = ax.randn(1, 1, 5, 5, requires_grad=True)
    w = ax.randn(2, 1, 3, 3, requires_grad=True)
    y = F.conv2d(x, w)
    y.backward(ax.ones(*y.shape, dtype=ax.float64))
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32
    np.testing.assert_allclose(w.grad.numpy()[0], w.grad.numpy()[1])


def test_zero_dim_shape_ops():
    s = ax.tensor(1.5, requires_grad=True)
    assert s.squeeze(0).shape == () and s.squeeze().shape == ()
    assert s.transpose(0, -1).shape == () and s.T.shape == ()
    assert s.unsqueeze(0).shape == (1,) and s.flatten().shape == (1,)
    assert ax.stack([s, s]).shape == (2,)
    (s.squeeze(0) * s.transpose(0, 0)).backward()
    assert s.grad.item() == 3.0


def test_integer_tensor_with_numpy_float_scalar():
    i64 = ax.tensor([1, 2])
    assert (i64 * np.float32(0.5)).dtype == np.float32
    np.testing.assert_allclose((i64 * np.float32(0.5)).numpy(), [0.5, 1.0])
