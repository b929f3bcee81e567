"""Finite-difference checks (float64) of every differentiable op's backward, plus a check that gradcheck can fail.

Inputs stay away from the points where an op is not differentiable (0 for abs/relu, clamp bounds, ties for
max/min/max_pool2d), so that central differences are meaningful.
"""
import numpy as np
import pytest

import axonal as ax
import axonal.nn.functional as F
from axonal.autograd import Function, gradcheck


def _rng(seed):
    return np.random.default_rng(seed)


def t(shape, seed=0, low=None, high=None, grad=True):
    """A float64 leaf: standard normal, or uniform on [low, high)."""
    rng = _rng(seed)
    data = rng.standard_normal(shape) if low is None else rng.uniform(low, high, shape)
    return ax.tensor(data.astype(np.float64), requires_grad=grad)


def distinct(shape, seed=0):
    """Values at least 4/size apart (no ties) and none 0, shuffled: max/min/max-pool pick a unique element."""
    n = int(np.prod(shape))
    data = (_rng(seed).permutation(n).astype(np.float64) + 0.5) / n * 4 - 2
    return ax.tensor(data.reshape(shape), requires_grad=True)


def away_from_zero(shape, seed=0, scale=1.0):
    rng = _rng(seed)
    data = rng.uniform(0.2, 2.0, shape) * rng.choice([-1.0, 1.0], shape) * scale
    return ax.tensor(data, requires_grad=True)


def check(fn, *inputs):
    assert gradcheck(fn, inputs)


# ---- elementwise -----------------------------------------------------------------------------------------

ELEMENTWISE = [
    pytest.param(lambda a, b: a + b, lambda: [t((3, 4), 0), t((3, 4), 1)], id="add"),
    pytest.param(lambda a, b: a + b, lambda: [t((3, 4), 0), t((4,), 1)], id="add-broadcast"),
    pytest.param(lambda a, b: a + b, lambda: [t((3, 1), 0), t((1, 4), 1)], id="add-broadcast-both"),
    pytest.param(lambda a: a + 2.5, lambda: [t((3,), 0)], id="add-scalar"),
    pytest.param(lambda a, b: a - b, lambda: [t((2, 3), 0), t((2, 1), 1)], id="sub-broadcast"),
    pytest.param(lambda a: 1.5 - a, lambda: [t((4,), 0)], id="rsub-scalar"),
    pytest.param(lambda a, b: a * b, lambda: [t((2, 3), 0), t((3,), 1)], id="mul-broadcast"),
    pytest.param(lambda a, b: a * b, lambda: [t((2, 3), 0), t((), 1)], id="mul-0d"),
    pytest.param(lambda a: a * a, lambda: [t((5,), 0)], id="mul-self"),
    pytest.param(lambda a, b: a / b, lambda: [t((2, 3), 0), t((2, 3), 1, 0.5, 2.0)], id="div"),
    pytest.param(lambda a, b: a / b, lambda: [t((2, 3), 0), t((1, 3), 1, 0.5, 2.0)], id="div-broadcast"),
    pytest.param(lambda a: 2.0 / a, lambda: [t((4,), 0, 0.5, 2.0)], id="rdiv-scalar"),
    pytest.param(lambda a: a ** 3, lambda: [t((2, 3), 0)], id="pow-int-scalar"),
    pytest.param(lambda a: a ** 2.5, lambda: [t((2, 3), 0, 0.5, 2.0)], id="pow-float-scalar"),
    pytest.param(lambda a: a ** -1.5, lambda: [t((4,), 0, 0.5, 2.0)], id="pow-negative-scalar"),
    pytest.param(lambda a, b: a ** b, lambda: [t((2, 3), 0, 0.5, 2.0), t((2, 3), 1)], id="pow-tensor"),
    pytest.param(lambda a, b: a ** b, lambda: [t((2, 3), 0, 0.5, 2.0), t((3,), 1)], id="pow-tensor-broadcast"),
    pytest.param(lambda b: 2.0 ** b, lambda: [t((4,), 1)], id="rpow-scalar-base"),
    pytest.param(lambda a: ax.pow(a, 2), lambda: [t((3,), 0)], id="pow-function"),
    pytest.param(lambda a: -a, lambda: [t((2, 3), 0)], id="neg"),
    pytest.param(lambda a: a.exp(), lambda: [t((2, 3), 0)], id="exp"),
    pytest.param(lambda a: ax.log(a), lambda: [t((2, 3), 0, 0.2, 3.0)], id="log"),
    pytest.param(lambda a: ax.sqrt(a), lambda: [t((2, 3), 0, 0.2, 3.0)], id="sqrt"),
    pytest.param(lambda a: ax.abs(a), lambda: [away_from_zero((3, 4))], id="abs"),
    pytest.param(lambda a: a.clamp(-0.5, 0.5), lambda: [away_from_zero((4, 5), 3, scale=0.4)], id="clamp-both"),
    pytest.param(lambda a: ax.clamp(a, min=0.1), lambda: [away_from_zero((4, 5))], id="clamp-min"),
    pytest.param(lambda a: ax.clamp(a, max=-0.1), lambda: [away_from_zero((4, 5))], id="clamp-max"),
    pytest.param(lambda a: ((a * 2 + 1).exp() / (a * a + 1)).sqrt(), lambda: [t((3,), 4)], id="composite"),
    pytest.param(lambda a: a.double(), lambda: [t((3,), 0)], id="cast-same"),
]


@pytest.mark.parametrize("fn, make", ELEMENTWISE)
def test_elementwise(fn, make):
    check(fn, *make())


def test_second_operand_without_grad():
    a, b = t((2, 3), 0), t((2, 3), 1, 0.5, 2.0, grad=False)
    check(lambda x: x * b + x / b - b ** x, a)
    check(lambda y: b ** y, t((2, 3), 2))


# ---- reductions --------------------------------------------------------------------------------------------

REDUCTIONS = [
    pytest.param(lambda a: a.sum(), id="sum"),
    pytest.param(lambda a: a.sum(1), id="sum-dim"),
    pytest.param(lambda a: a.sum(-1, keepdim=True), id="sum-dim-keepdim"),
    pytest.param(lambda a: a.sum((0, 2)), id="sum-dims"),
    pytest.param(lambda a: ax.sum(a, (0, 2), keepdim=True), id="sum-dims-keepdim"),
    pytest.param(lambda a: a.mean(), id="mean"),
    pytest.param(lambda a: a.mean(0), id="mean-dim"),
    pytest.param(lambda a: ax.mean(a, (1, 2), keepdim=True), id="mean-dims-keepdim"),
    pytest.param(lambda a: a.var(), id="var"),
    pytest.param(lambda a: a.var(1), id="var-dim"),
    pytest.param(lambda a: a.var(2, keepdim=True, unbiased=False), id="var-dim-keepdim-biased"),
    pytest.param(lambda a: a.var((0, 1)), id="var-dims"),
    pytest.param(lambda a: a.std(1), id="std-dim"),
    pytest.param(lambda a: a.max(), id="max"),
    pytest.param(lambda a: a.max(1).values, id="max-dim"),
    pytest.param(lambda a: a.max(-1, keepdim=True).values, id="max-dim-keepdim"),
    pytest.param(lambda a: a.min(), id="min"),
    pytest.param(lambda a: a.min(0)[0], id="min-dim"),
    pytest.param(lambda a: ax.min(a, 2, keepdim=True).values, id="min-dim-keepdim"),
]


@pytest.mark.parametrize("fn", REDUCTIONS)
def test_reduction(fn):
    check(fn, distinct((2, 3, 4), 5))


def test_full_max_with_ties_splits_gradient():
    # A tie over all elements shares the gradient evenly (torch's rule): check the value, not differences.
    a = ax.tensor(np.array([1.0, 3.0, 3.0, 0.0]), requires_grad=True)
    a.max().backward()
    assert a.grad.tolist() == [0.0, 0.5, 0.5, 0.0]


# ---- shape ops and indexing ---------------------------------------------------------------------------------

SHAPE_OPS = [
    pytest.param(lambda a: a.reshape(6, 4), id="reshape"),
    pytest.param(lambda a: a.view(-1), id="view"),
    pytest.param(lambda a: a.flatten(), id="flatten"),
    pytest.param(lambda a: a.flatten(1), id="flatten-start"),
    pytest.param(lambda a: a.transpose(0, 2), id="transpose"),
    pytest.param(lambda a: a.permute(1, 2, 0), id="permute"),
    pytest.param(lambda a: a[0].T, id="T"),
    pytest.param(lambda a: a.unsqueeze(1), id="unsqueeze"),
    pytest.param(lambda a: a[:, :1].squeeze(1), id="squeeze-dim"),
    pytest.param(lambda a: a[:1, :, :1].squeeze(), id="squeeze-all"),
    pytest.param(lambda a: a[:, :, :1].expand(2, 3, 5), id="expand"),
    pytest.param(lambda a: a[0].expand(4, 3, 4), id="expand-new-dim"),
    pytest.param(lambda a: a[1], id="index-int"),
    pytest.param(lambda a: a[:, 1:3], id="index-slice"),
    pytest.param(lambda a: a[..., ::2], id="index-step"),
    pytest.param(lambda a: a[::-1, :, 1], id="index-negative-step"),
    pytest.param(lambda a: a[None, 1, :, -1], id="index-none"),
    pytest.param(lambda a: a[[0, 1, 0]], id="index-int-array-repeats"),
    pytest.param(lambda a: a[:, [2, 2, 0, 2]], id="index-int-array-repeats-dim1"),
    pytest.param(lambda a: a[ax.tensor([1, 0, 1]), ax.tensor([2, 2, 2])], id="index-tensor-pairs-repeats"),
    pytest.param(lambda a: a[a > 0], id="index-bool-mask"),
    pytest.param(lambda a: a[:, ax.tensor([True, False, True])], id="index-bool-dim1"),
]


@pytest.mark.parametrize("fn", SHAPE_OPS)
def test_shape_op(fn):
    check(fn, t((2, 3, 4), 7))


def test_cat():
    check(lambda a, b: ax.cat([a, b]), t((2, 3), 0), t((1, 3), 1))
    check(lambda a, b: ax.cat([a, b, a], dim=1), t((2, 3), 0), t((2, 2), 1))
    check(lambda a, b: ax.cat((a, b), dim=-1), t((2, 1, 3), 0), t((2, 1, 1), 1))


def test_stack():
    check(lambda a, b: ax.stack([a, b]), t((2, 3), 0), t((2, 3), 1))
    check(lambda a, b: ax.stack([a, b, a], dim=2), t((2, 3), 0), t((2, 3), 1))
    check(lambda a, b: ax.stack([a, b], dim=-1), t((3,), 0), t((3,), 1))


def test_where():
    cond = ax.tensor(np.array([[True, False, True], [False, False, True]]))
    check(lambda a, b: ax.where(cond, a, b), t((2, 3), 0), t((2, 3), 1))
    check(lambda a, b: ax.where(cond, a, b), t((3,), 0), t((2, 1), 1))  # broadcast both branches
    check(lambda a: ax.where(a > 0, a, 0.0), away_from_zero((2, 3)))


# ---- matmul and linear ---------------------------------------------------------------------------------------

MATMUL = [
    pytest.param((4,), (4,), id="1d-1d"),
    pytest.param((3,), (3, 5), id="1d-2d"),
    pytest.param((2, 3), (3,), id="2d-1d"),
    pytest.param((2, 3), (3, 4), id="2d-2d"),
    pytest.param((1, 3), (3, 1), id="2d-2d-thin"),
    pytest.param((2, 3, 4), (4, 5), id="batched-2d"),
    pytest.param((4,), (2, 4, 3), id="1d-batched"),
    pytest.param((2, 3, 4), (2, 4, 2), id="batched-batched"),
    pytest.param((2, 1, 3, 4), (3, 4, 2), id="batched-broadcast"),
    pytest.param((3, 2), (2, 1, 2, 3), id="2d-batched-broadcast"),
]


@pytest.mark.parametrize("sa, sb", MATMUL)
def test_matmul(sa, sb):
    check(lambda a, b: a @ b, t(sa, 0), t(sb, 1))


def test_matmul_transposed_views():
    check(lambda a, b: a.T @ b, t((3, 2), 0), t((3, 4), 1))
    check(lambda a, b: ax.matmul(a, b.transpose(0, 1)), t((2, 3), 0), t((4, 3), 1))


@pytest.mark.parametrize("x_shape", [(4,), (3, 4), (2, 3, 4)], ids=["1d", "2d", "3d"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
def test_linear(x_shape, bias):
    inputs = [t(x_shape, 0), t((5, 4), 1)] + ([t((5,), 2)] if bias else [])
    check(lambda x, w, *b: F.linear(x, w, b[0] if b else None), *inputs)


def test_linear_transposed_input():
    check(lambda x, w, b: F.linear(x.T, w, b), t((4, 3), 0), t((2, 4), 1), t((2,), 2))


# ---- conv and pooling -----------------------------------------------------------------------------------------

CONV = [
    pytest.param((2, 3, 5, 5), (4, 3, 3, 3), dict(), id="basic"),
    pytest.param((1, 2, 7, 6), (3, 2, 3, 3), dict(stride=2), id="stride2-batch1"),
    pytest.param((2, 2, 5, 4), (2, 2, 3, 3), dict(padding=1), id="padding1"),
    pytest.param((1, 1, 7, 7), (2, 1, 2, 2), dict(dilation=2), id="dilation2"),
    pytest.param((1, 2, 6, 5), (3, 2, 3, 2), dict(), id="nonsquare-kernel"),
    pytest.param((1, 2, 7, 5), (2, 2, 1, 3), dict(stride=(2, 1), padding=(0, 1)), id="nonsquare-all"),
    pytest.param((2, 1, 7, 9), (2, 1, 3, 2), dict(stride=2, padding=1, dilation=2), id="stride-pad-dilation"),
    pytest.param((1, 3, 3, 3), (2, 3, 3, 3), dict(), id="kernel-equals-input"),
    pytest.param((1, 3, 5, 3), (2, 3, 1, 1), dict(), id="1x1"),
]


@pytest.mark.parametrize("xs, ws, kw", CONV)
def test_conv2d(xs, ws, kw):
    check(lambda x, w, b: F.conv2d(x, w, b, **kw), t(xs, 0), t(ws, 1), t((ws[0],), 2))


def test_conv2d_without_bias_and_non_contiguous_input():
    check(lambda x, w: F.conv2d(x, w, padding=1), t((1, 2, 4, 5), 0), t((2, 2, 3, 3), 1))
    check(lambda x, w: F.conv2d(x.transpose(2, 3), w), t((1, 2, 5, 4), 0), t((2, 2, 2, 3), 1))


POOL = [
    pytest.param((2, 2, 4, 4), dict(kernel_size=2), id="k2"),
    pytest.param((1, 1, 5, 7), dict(kernel_size=3, stride=2), id="k3-s2-odd"),
    pytest.param((1, 2, 5, 5), dict(kernel_size=3, stride=1, padding=1), id="k3-pad1"),
    pytest.param((1, 1, 6, 5), dict(kernel_size=(3, 2), stride=(2, 1)), id="nonsquare"),
    pytest.param((1, 1, 3, 3), dict(kernel_size=3), id="kernel-equals-input"),
]


@pytest.mark.parametrize("xs, kw", POOL)
def test_max_pool2d(xs, kw):
    check(lambda x: F.max_pool2d(x, **kw), distinct(xs, 3))


@pytest.mark.parametrize("xs, kw", POOL)
@pytest.mark.parametrize("cip", [True, False], ids=["include-pad", "exclude-pad"])
def test_avg_pool2d(xs, kw, cip):
    check(lambda x: F.avg_pool2d(x, count_include_pad=cip, **kw), t(xs, 3))


# ---- activations ----------------------------------------------------------------------------------------------

ACTIVATIONS = [
    pytest.param(lambda x: F.step(x), id="step"),
    pytest.param(lambda x: F.step(x, 0.5), id="step-threshold"),
    pytest.param(lambda x: F.sigmoid(x * 4), id="sigmoid"),
    pytest.param(lambda x: F.tanh(x), id="tanh"),
    pytest.param(lambda x: F.relu(x), id="relu"),
    pytest.param(lambda x: F.leaky_relu(x), id="leaky-relu"),
    pytest.param(lambda x: F.leaky_relu(x, 0.2), id="leaky-relu-slope"),
    pytest.param(lambda x: F.softmax(x, dim=1), id="softmax-dim1"),
    pytest.param(lambda x: F.softmax(x, dim=0), id="softmax-dim0"),
    pytest.param(lambda x: F.softmax(x, dim=-1), id="softmax-dim-last"),
    pytest.param(lambda x: F.log_softmax(x, dim=1), id="log-softmax-dim1"),
    pytest.param(lambda x: F.log_softmax(x, dim=-1), id="log-softmax-dim-last"),
    pytest.param(lambda x: F.log_softmax(x * 30, dim=0), id="log-softmax-large"),
    pytest.param(lambda x: ax.sigmoid(x) * ax.tanh(x) + ax.relu(x), id="top-level-names"),
    pytest.param(lambda x: x.softmax(2) + x.log_softmax(1) + x.sigmoid() + x.relu(), id="methods"),
]


@pytest.mark.parametrize("fn", ACTIVATIONS)
def test_activation(fn):
    check(fn, away_from_zero((2, 3, 4), 11))


# ---- gradcheck itself -----------------------------------------------------------------------------------------


class _WrongSquare(Function):
    """x**2 with a backward that forgets the factor 2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return g * x


class _RightSquare(_WrongSquare):
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved
        return 2 * g * x


def test_gradcheck_detects_a_wrong_backward():
    x = t((3,), 0)
    assert gradcheck(_RightSquare.apply, [x])
    with pytest.raises(AssertionError, match=r"^\[gradcheck\] Jacobian mismatch"):
        gradcheck(_WrongSquare.apply, [x])
    assert gradcheck(_WrongSquare.apply, [x], raise_exception=False) is False


def test_gradcheck_rejects_float32_and_no_grad_inputs():
    with pytest.raises(TypeError, match=r"^\[gradcheck\]"):
        gradcheck(lambda a: a * 2, [ax.tensor([1.0, 2.0], requires_grad=True)])
    with pytest.raises(ValueError, match=r"^\[gradcheck\]"):
        gradcheck(lambda a: a * 2, [ax.tensor([1.0, 2.0], dtype=ax.float64)])


class _NanBackward(_WrongSquare):
    @staticmethod
    def backward(ctx, g):
        return g * np.nan


def test_gradcheck_fails_on_nan_gradient():
    with pytest.raises(AssertionError, match=r"^\[gradcheck\]"):
        gradcheck(_NanBackward.apply, [t((2,), 0)])


def test_gradcheck_non_contiguous_input():
    # A Fortran-ordered leaf: the finite differences must perturb the array itself, not a flattened copy.
    a = ax.from_numpy(np.asfortranarray(_rng(0).standard_normal((3, 4)))).requires_grad_()
    assert gradcheck(lambda x: (x * x).sum(1), [a])
    with pytest.raises(AssertionError):
        gradcheck(_WrongSquare.apply, [a])
