"""Forward and every input gradient against PyTorch in float32 (rtol 1e-4), all through torch_compare."""
import numpy as np
import pytest

import axonal as ax
import axonal.nn.functional as F
from torch_compare import compare_with_torch

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def randn(*shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def distinct(*shape, seed=0):
    """No ties (max pooling picks one element; a tie would let the frameworks choose different ones), no 0."""
    n = int(np.prod(shape))
    return ((np.random.default_rng(seed).permutation(n).astype(np.float32) + 0.5) / n * 4 - 2).reshape(shape)


# ---- matmul and linear ------------------------------------------------------------------------------------

MATMUL_SHAPES = [
    ((7,), (7,)),
    ((5,), (5, 3)),
    ((4, 6), (6,)),
    ((1, 1), (1, 1)),
    ((17, 33), (33, 9)),
    ((65, 3), (3, 70)),
    ((3, 5, 7), (7, 4)),
    ((2, 1, 5, 7), (3, 7, 6)),
    ((4, 6), (2, 6, 3)),
]


@pytest.mark.parametrize("sa, sb", MATMUL_SHAPES, ids=[f"{a}@{b}" for a, b in MATMUL_SHAPES])
def test_matmul(sa, sb):
    compare_with_torch(lambda a, b: a @ b, lambda a, b: a @ b, [randn(*sa, seed=1), randn(*sb, seed=2)], [True, True])


def test_matmul_transposed_operands():
    compare_with_torch(
        lambda a, b: a.T @ b.transpose(0, 1), lambda a, b: a.T @ b.transpose(0, 1),
        [randn(9, 5, seed=1), randn(4, 9, seed=2)], [True, True],
    )


def test_matmul_one_side_requires_grad():
    compare_with_torch(lambda a, b: a @ b, lambda a, b: a @ b, [randn(3, 4, seed=1), randn(4, 2, seed=2)], [False, True])


@pytest.mark.parametrize("x_shape", [(10,), (1, 10), (7, 10), (3, 5, 10)], ids=["1d", "batch1", "2d", "3d"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
def test_linear(x_shape, bias):
    inputs = [randn(*x_shape, seed=1), randn(6, 10, seed=2)] + ([randn(6, seed=3)] if bias else [])
    compare_with_torch(
        lambda x, w, *b: F.linear(x, w, *b), lambda x, w, *b: TF.linear(x, w, *b), inputs, [True] * len(inputs)
    )


# ---- conv2d ----------------------------------------------------------------------------------------------

CONV_CASES = [
    # (x shape, w shape, stride, padding, dilation)
    ((2, 3, 8, 8), (4, 3, 3, 3), 1, 0, 1),
    ((1, 3, 9, 9), (5, 3, 3, 3), 2, 1, 1),
    ((3, 2, 11, 7), (4, 2, 3, 3), 1, 1, 2),
    ((1, 1, 13, 9), (2, 1, 5, 3), 2, 0, 1),
    ((2, 4, 7, 10), (3, 4, 2, 4), (2, 1), (1, 2), (1, 2)),
    ((1, 5, 15, 17), (6, 5, 3, 2), 2, 1, 2),
    ((4, 1, 28, 28), (8, 1, 5, 5), 1, 2, 1),
    ((1, 16, 5, 5), (7, 16, 1, 1), 1, 0, 1),
    ((2, 3, 4, 4), (2, 3, 4, 4), 1, 0, 1),
]


@pytest.mark.parametrize("xs, ws, stride, padding, dilation", CONV_CASES)
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
def test_conv2d(xs, ws, stride, padding, dilation, bias):
    kw = dict(stride=stride, padding=padding, dilation=dilation)
    inputs = [randn(*xs, seed=1), randn(*ws, seed=2)] + ([randn(ws[0], seed=3)] if bias else [])
    compare_with_torch(
        lambda x, w, *b: F.conv2d(x, w, b[0] if b else None, **kw),
        lambda x, w, *b: TF.conv2d(x, w, b[0] if b else None, **kw),
        inputs, [True] * len(inputs),
    )


def test_conv2d_only_weight_requires_grad():
    compare_with_torch(
        lambda x, w, b: F.conv2d(x, w, b, padding=1), lambda x, w, b: TF.conv2d(x, w, b, padding=1),
        [randn(2, 3, 6, 5, seed=1), randn(2, 3, 3, 3, seed=2), randn(2, seed=3)], [False, True, False],
    )


def test_conv2d_padding_same():
    compare_with_torch(
        lambda x, w: F.conv2d(x, w, padding="same", dilation=2),
        lambda x, w: TF.conv2d(x, w, padding="same", dilation=2),
        [randn(1, 2, 9, 8, seed=1), randn(3, 2, 3, 3, seed=2)], [True, True],
    )


# ---- pooling ---------------------------------------------------------------------------------------------

POOL_CASES = [
    # (x shape, kernel, stride, padding)
    ((2, 3, 8, 8), 2, None, 0),
    ((1, 2, 9, 7), 3, 2, 1),
    ((3, 1, 11, 11), 3, 2, 0),
    ((1, 4, 7, 10), (2, 3), (1, 2), (1, 1)),
    ((2, 2, 5, 5), 5, 1, 2),
    ((1, 1, 1, 1), 1, 1, 0),
    ((2, 3, 13, 6), (4, 2), 3, (2, 0)),
]


@pytest.mark.parametrize("xs, k, s, p", POOL_CASES)
def test_max_pool2d(xs, k, s, p):
    compare_with_torch(
        lambda x: F.max_pool2d(x, k, s, p), lambda x: TF.max_pool2d(x, k, s, p), [distinct(*xs, seed=4)], [True]
    )


@pytest.mark.parametrize("xs, k, s, p", POOL_CASES)
@pytest.mark.parametrize("cip", [True, False], ids=["include-pad", "exclude-pad"])
def test_avg_pool2d(xs, k, s, p, cip):
    compare_with_torch(
        lambda x: F.avg_pool2d(x, k, s, p, count_include_pad=cip),
        lambda x: TF.avg_pool2d(x, k, s, p, count_include_pad=cip),
        [randn(*xs, seed=4)], [True],
    )


def test_max_pool2d_return_indices():
    ax_out, t_out = compare_with_torch(
        lambda x: F.max_pool2d(x, 3, 2, 1, return_indices=True),
        lambda x: TF.max_pool2d(x, 3, 2, 1, return_indices=True),
        [distinct(2, 2, 7, 9, seed=5)], [True],
    )
    assert ax_out[1].dtype == np.int64


def test_conv_relu_pool_chain():
    def net(F_conv, F_pool, F_relu):
        return lambda x, w, b: F_pool(F_relu(F_conv(x, w, b, stride=1, padding=1)), 2)

    compare_with_torch(
        net(F.conv2d, F.max_pool2d, F.relu), net(TF.conv2d, TF.max_pool2d, TF.relu),
        [randn(2, 3, 9, 9, seed=1), randn(4, 3, 3, 3, seed=2), randn(4, seed=3)], [True, True, True],
    )


# ---- activations -----------------------------------------------------------------------------------------

ACTIVATIONS = [
    ("relu", F.relu, TF.relu),
    ("leaky_relu", F.leaky_relu, TF.leaky_relu),
    ("leaky_relu_0.2", lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2)),
    ("sigmoid", F.sigmoid, torch.sigmoid),
    ("tanh", F.tanh, torch.tanh),
    ("step", F.step, lambda x: (x > 0).to(x.dtype) + 0 * x),  # torch has no differentiable step: grad 0
    ("softmax_dim1", lambda x: F.softmax(x, dim=1), lambda x: TF.softmax(x, dim=1)),
    ("softmax_dim0", lambda x: F.softmax(x, dim=0), lambda x: TF.softmax(x, dim=0)),
    ("softmax_dim-1", lambda x: F.softmax(x, dim=-1), lambda x: TF.softmax(x, dim=-1)),
    ("log_softmax_dim1", lambda x: F.log_softmax(x, dim=1), lambda x: TF.log_softmax(x, dim=1)),
    ("log_softmax_dim-1", lambda x: F.log_softmax(x, dim=-1), lambda x: TF.log_softmax(x, dim=-1)),
]


ACTIVATION_CASES = [
    pytest.param(ax_fn, torch_fn, shape, id=f"{name}-{len(shape)}d")
    for name, ax_fn, torch_fn in ACTIVATIONS
    for shape in [(7,), (3, 5), (2, 3, 4, 5)]
    if not (name.endswith("dim1") and len(shape) < 2)
]


@pytest.mark.parametrize("ax_fn, torch_fn, shape", ACTIVATION_CASES)
def test_activation(ax_fn, torch_fn, shape):
    compare_with_torch(ax_fn, torch_fn, [randn(*shape, seed=6, scale=3.0)], [True])


def test_activations_at_large_magnitudes():
    x = np.array([-1000.0, -50.0, -20.0, 0.5, 20.0, 50.0, 1000.0], dtype=np.float32)
    for ax_fn, torch_fn in [(F.sigmoid, torch.sigmoid), (F.tanh, torch.tanh), (F.relu, TF.relu)]:
        ax_out, _ = compare_with_torch(ax_fn, torch_fn, [x], [True])
        assert np.all(np.isfinite(ax_out[0]))


@pytest.mark.parametrize("center", [1000.0, -1000.0, 0.0])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_numerically_stable(center, name):
    x = (center + randn(4, 6, seed=7, scale=5.0)).astype(np.float32)
    ax_out, _ = compare_with_torch(
        lambda t: getattr(F, name)(t, dim=1), lambda t: getattr(TF, name)(t, dim=1), [x], [True],
    )
    assert np.all(np.isfinite(ax_out[0]))


def test_softmax_extreme_spread():
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]], dtype=np.float32)
    for name in ("softmax", "log_softmax"):
        ax_out, _ = compare_with_torch(
            lambda t: getattr(F, name)(t, dim=-1), lambda t: getattr(TF, name)(t, dim=-1), [x], [True]
        )
        assert np.all(np.isfinite(ax_out[0]))


# ---- elementwise, reductions and shape ops (cheap, but the same helper) ---------------------------------

ELEMENTWISE = [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / (b.abs() + 0.5)),
    ("pow", lambda a, b: (a.abs() + 0.5) ** b),
]


@pytest.mark.parametrize("name, fn", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
def test_elementwise_broadcast(name, fn):
    compare_with_torch(fn, fn, [randn(3, 1, 5, seed=1), randn(4, 1, seed=2)], [True, True])


REDUCE_SHAPE = [
    ("sum_dims", lambda t: t.sum((0, 2), keepdim=True)),
    ("mean_dim", lambda t: t.mean(1)),
    ("var_dim", lambda t: t.var(2)),
    ("max_dim", lambda t: t.max(1)[0]),
    ("min_all", lambda t: t.min()),
    ("index_repeats", lambda t: t[[0, 0, 1], :, 1:3]),
    ("cat_stack", None),
    ("exp_log_sqrt_clamp", lambda t: t.exp().clamp(0.2, 3.0).log() + t.abs().sqrt()),
    ("permute_reshape", lambda t: t.permute(2, 0, 1).reshape(4, -1).flatten()),
]


@pytest.mark.parametrize("name, fn", REDUCE_SHAPE, ids=[r[0] for r in REDUCE_SHAPE])
def test_reduce_and_shape(name, fn):
    x = distinct(2, 3, 4, seed=8)
    if fn is None:
        compare_with_torch(
            lambda t: ax.cat([ax.stack([t, t], 1), t.unsqueeze(1)], 1),
            lambda t: torch.cat([torch.stack([t, t], 1), t.unsqueeze(1)], 1), [x], [True],
        )
        return
    compare_with_torch(fn, fn, [x], [True])


def test_where_against_torch():
    cond = randn(3, 4, seed=3) > 0
    compare_with_torch(
        lambda a, b: ax.where(ax.tensor(cond), a, b), lambda a, b: torch.where(torch.tensor(cond), a, b),
        [randn(3, 4, seed=1), randn(4, seed=2)], [True, True],
    )


@pytest.mark.parametrize("sa, sb", [((0, 3), (3, 4)), ((2, 0), (0, 3)), ((2, 3), (3, 0)), ((0, 2, 3), (3, 4))])
def test_matmul_empty(sa, sb):
    compare_with_torch(lambda a, b: a @ b, lambda a, b: a @ b, [randn(*sa), randn(*sb)], [True, True])


def test_linear_empty_batch():
    compare_with_torch(
        F.linear, TF.linear, [randn(0, 4), randn(3, 4, seed=1), randn(3, seed=2)], [True, True, True]
    )


# ---- the helper itself -----------------------------------------------------------------------------------


def test_helper_catches_wrong_forward():
    with pytest.raises(AssertionError, match="forward output 0"):
        compare_with_torch(F.relu, torch.sigmoid, [randn(3, 4)], [True])


def test_helper_catches_wrong_gradient():
    # Same values forward, but axonal's graph sees x * const: half of torch's gradient of x * x.
    with pytest.raises(AssertionError, match="gradient of input 0"):
        compare_with_torch(lambda x: x * x.detach(), lambda x: x * x, [randn(3, 4)], [True])


def test_helper_catches_wrong_dtype():
    with pytest.raises(AssertionError, match="dtype"):
        compare_with_torch(lambda x: x.double(), lambda x: x * 1, [randn(3)], [False])
