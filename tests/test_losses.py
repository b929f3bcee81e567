"""Losses against torch.nn.functional (forward and input gradient, float32 and float64), the module forms,
float64 gradchecks and the error messages."""
import itertools

import numpy as np
import pytest

import axonal as ax
import axonal.nn.functional as F
from axonal import nn
from axonal.autograd import gradcheck

try:
    import torch
    import torch.nn.functional as TF

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    torch = TF = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")

REDUCTIONS = ["mean", "sum", "none"]
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}


def rng(seed=0):
    return np.random.default_rng(seed)


def to_t(a):
    """numpy -> torch (None and scalars pass through)."""
    return torch.from_numpy(np.array(a)) if isinstance(a, np.ndarray) else a


def to_ax(a):
    return ax.tensor(a) if isinstance(a, np.ndarray) else a


def compare(fn_name, x, target, dtype, target_grad=False, seed=1, tol=None, **kw):
    """Runs F.<fn_name> and torch's with the same arrays; compares the loss, its dtype and the input's (and
    optionally the target's) gradient for a random upstream gradient."""
    tol = tol or TOL[dtype]
    x = x.astype(dtype)
    if target.dtype.kind == "f":
        target = target.astype(dtype)
    xa, xt = ax.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ta, tt = ax.tensor(target, requires_grad=target_grad), torch.tensor(target, requires_grad=target_grad)
    kw_a = {k: to_ax(v.astype(dtype) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
    kw_t = {k: to_t(v.astype(dtype) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
    out_a = getattr(F, fn_name)(xa, ta, **kw_a)
    out_t = getattr(TF, fn_name)(xt, tt, **kw_t)
    assert out_a.shape == tuple(out_t.shape)
    assert out_a.dtype == dtype, f"loss dtype {out_a.dtype} for {dtype} input"
    np.testing.assert_allclose(out_a.data, out_t.detach().numpy(), **tol, err_msg="forward")
    g = rng(seed).uniform(0.5, 1.5, out_t.shape).astype(dtype)
    out_a.backward(ax.tensor(g))
    out_t.backward(torch.tensor(g))
    np.testing.assert_allclose(xa.grad.data, xt.grad.numpy(), **tol, err_msg="input grad")
    assert xa.grad.dtype == dtype
    if target_grad:
        np.testing.assert_allclose(ta.grad.data, tt.grad.numpy(), **tol, err_msg="target grad")
    return out_a, out_t


def probs(shape, seed):
    """Random class probabilities along axis 1."""
    e = np.exp(rng(seed).standard_normal(shape))
    return e / e.sum(axis=1, keepdims=True)


def log_probs(shape, seed):
    return np.log(probs(shape, seed))


DTYPES = [np.float32, np.float64]
dtype_ids = ["f32", "f64"]


# ---- mse / l1 -----------------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_ids)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("fn", ["mse_loss", "l1_loss"])
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4), (7,)])
def test_regression_losses_match_torch(fn, shape, reduction, dtype):
    x, t = rng(0).standard_normal(shape), rng(1).standard_normal(shape)
    compare(fn, x, t, dtype, target_grad=True, reduction=reduction)


@needs_torch
def test_l1_loss_gradient_at_zero_difference_is_zero_like_torch():
    x = np.array([[1.0, -2.0, 0.5]], dtype=np.float32)
    t = np.array([[1.0, 0.0, 0.5]], dtype=np.float32)
    compare("l1_loss", x, t, np.float32, target_grad=True)


# ---- cross_entropy --------------------------------------------------------------------------------
def _ce_case(shape, kind, weight, ignore, smoothing, seed=0):
    """Builds (x, target, kwargs) for one cross_entropy case."""
    C = shape[1]
    x = rng(seed).standard_normal(shape) * 2
    kw = {"label_smoothing": smoothing}
    if weight:
        kw["weight"] = rng(seed + 1).uniform(0.2, 2.0, C)
    if kind == "index":
        t_shape = (shape[0],) + shape[2:]
        t = rng(seed + 2).integers(0, C, t_shape).astype(np.int64)
        if ignore == "default":  # torch's default ignore_index -100 appears in the target
            t.reshape(-1)[::3] = -100
        elif ignore == "custom":
            kw["ignore_index"] = 1
            t.reshape(-1)[::4] = 1
    else:
        t = probs(shape, seed + 3)
    return x, t, kw


CE_SHAPES = [(6, 5), (3, 4, 2, 3)]
CE_INDEX_CASES = list(itertools.product(CE_SHAPES, [False, True], [None, "default", "custom"], [0.0, 0.2]))
CE_PROB_CASES = list(itertools.product(CE_SHAPES, [False, True], [0.0, 0.2]))


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_ids)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,weight,ignore,smoothing", CE_INDEX_CASES,
                         ids=[f"{len(s)}d-w{int(w)}-ign{i}-ls{ls}" for s, w, i, ls in CE_INDEX_CASES])
def test_cross_entropy_class_indices_match_torch(shape, weight, ignore, smoothing, reduction, dtype):
    x, t, kw = _ce_case(shape, "index", weight, ignore, smoothing)
    compare("cross_entropy", x, t, dtype, reduction=reduction, **kw)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_ids)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,weight,smoothing", CE_PROB_CASES,
                         ids=[f"{len(s)}d-w{int(w)}-ls{ls}" for s, w, ls in CE_PROB_CASES])
def test_cross_entropy_probabilities_match_torch(shape, weight, smoothing, reduction, dtype):
    x, t, kw = _ce_case(shape, "prob", weight, None, smoothing)
    compare("cross_entropy", x, t, dtype, reduction=reduction, **kw)


@needs_torch
def test_cross_entropy_large_logits_are_stable():
    x = np.array([[1000.0, -1000.0, 0.0], [-500.0, 500.0, 499.0]])
    t = np.array([1, 2])
    out, _ = compare("cross_entropy", x, t, np.float32, reduction="none")
    assert np.isfinite(out.data).all()


@needs_torch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_every_target_ignored(reduction):
    x = rng(0).standard_normal((3, 4))
    t = np.full(3, -100)
    a = F.cross_entropy(ax.tensor(x), ax.tensor(t), reduction=reduction)
    b = TF.cross_entropy(torch.tensor(x), torch.tensor(t), reduction=reduction)
    np.testing.assert_array_equal(np.isnan(a.data), np.isnan(b.numpy()))  # mean of nothing is nan, as in torch
    np.testing.assert_allclose(a.data, b.numpy())


def test_cross_entropy_value_by_hand():
    x = ax.tensor([[0.0, np.log(3.0)]])  # softmax = [1/4, 3/4]
    assert F.cross_entropy(x, ax.tensor([1])).item() == pytest.approx(-np.log(0.75), rel=1e-6)
    assert F.cross_entropy(x, ax.tensor([0])).item() == pytest.approx(-np.log(0.25), rel=1e-6)


# ---- nll_loss ------------------------------------------------------------------------------------
NLL_CASES = list(itertools.product([(6, 5), (3, 4, 7), (2, 3, 2, 2)], [False, True], [None, "default", "custom"]))


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_ids)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,weight,ignore", NLL_CASES,
                         ids=[f"{len(s)}d-w{int(w)}-ign{i}" for s, w, i in NLL_CASES])
def test_nll_loss_matches_torch(shape, weight, ignore, reduction, dtype):
    _, t, kw = _ce_case(shape, "index", weight, ignore, 0.0)
    del kw["label_smoothing"]
    compare("nll_loss", log_probs(shape, 5), t, dtype, reduction=reduction, **kw)


@needs_torch
def test_log_softmax_then_nll_equals_cross_entropy():
    x = rng(0).standard_normal((5, 4)).astype(np.float32)
    t = np.array([0, 3, 1, 1, 2])
    w = np.array([1.0, 2.0, 0.5, 1.5], dtype=np.float32)
    a = F.nll_loss(F.log_softmax(ax.tensor(x), dim=1), ax.tensor(t), weight=ax.tensor(w))
    b = F.cross_entropy(ax.tensor(x), ax.tensor(t), weight=ax.tensor(w))
    assert a.item() == pytest.approx(b.item(), rel=1e-6)


# ---- binary cross entropy ------------------------------------------------------------------------
def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


BCE_WEIGHTS = [None, "row", "full"]


def _bce_weight(kind, shape, seed=3):
    if kind is None:
        return {}
    wshape = shape[-1:] if kind == "row" else shape
    return {"weight": rng(seed).uniform(0.1, 2.0, wshape)}


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_ids)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", BCE_WEIGHTS)
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4)])
def test_binary_cross_entropy_matches_torch(shape, weight, reduction, dtype):
    x = _sigmoid(rng(0).standard_normal(shape) * 2)
    t = rng(1).uniform(0, 1, shape)
    t.reshape(-1)[::2] = np.round(t.reshape(-1)[::2])  # hard and soft labels
    compare("binary_cross_entropy", x, t, dtype, reduction=reduction, **_bce_weight(weight, shape))


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_ids)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_inputs_exactly_zero_and_one(reduction, dtype):
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5, 0.0, 1.0])
    t = np.array([0.0, 1.0, 1.0, 0.0, 0.3, 0.5, 0.25])
    out, _ = compare("binary_cross_entropy", x, t, dtype, reduction=reduction,
                     tol=dict(rtol=1e-6, atol=1e-6))
    assert np.isfinite(out.data).all()
    if reduction == "none":
        # log clamped at -100, as torch: a confident wrong answer costs exactly 100
        np.testing.assert_allclose(out.data[[0, 1, 2, 3]], [0, 0, 100, 100], atol=1e-6)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_ids)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("pos_weight", [False, True])
@pytest.mark.parametrize("weight", BCE_WEIGHTS)
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 5)])
def test_bce_with_logits_matches_torch(shape, weight, pos_weight, reduction, dtype):
    x = rng(0).standard_normal(shape) * 3
    t = rng(1).uniform(0, 1, shape)
    t.reshape(-1)[::2] = np.round(t.reshape(-1)[::2])
    kw = _bce_weight(weight, shape)
    if pos_weight:
        kw["pos_weight"] = rng(4).uniform(0.5, 3.0, shape[-1:])
    compare("binary_cross_entropy_with_logits", x, t, dtype, reduction=reduction, **kw)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES, ids=dtype_ids)
@pytest.mark.parametrize("pos_weight", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_large_logits_are_stable(reduction, pos_weight, dtype):
    x = np.array([100.0, -100.0, 100.0, -100.0, 80.0, -80.0, 1000.0, -1000.0])
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.5, 0.5, 0.0, 1.0])
    kw = {"pos_weight": np.full(8, 2.0)} if pos_weight else {}
    out, _ = compare("binary_cross_entropy_with_logits", x, t, dtype, reduction=reduction, **kw)
    assert np.isfinite(out.data).all()
    if reduction == "none" and not pos_weight:
        np.testing.assert_allclose(out.data[:4], [0, 0, 100, 100], rtol=1e-6, atol=1e-6)


def test_bce_with_logits_equals_bce_of_sigmoid():
    x = rng(0).standard_normal((3, 4))
    t = rng(1).uniform(0, 1, (3, 4))
    a = F.binary_cross_entropy_with_logits(ax.tensor(x), ax.tensor(t))
    b = F.binary_cross_entropy(F.sigmoid(ax.tensor(x)), ax.tensor(t))
    assert a.item() == pytest.approx(b.item(), rel=1e-10)


# ---- module forms ----------------------------------------------------------------------------------
def _module_cases():
    x = rng(0).standard_normal((4, 3))
    y = rng(1).standard_normal((4, 3))
    idx = np.array([0, 2, 1, -100])
    p = _sigmoid(x)
    t01 = rng(2).uniform(0, 1, (4, 3))
    w = np.array([0.5, 2.0, 1.0])
    lp = log_probs((4, 3), 3)
    return [
        ("MSELoss", "mse_loss", {}, x, y),
        ("L1Loss", "l1_loss", {"reduction": "sum"}, x, y),
        ("CrossEntropyLoss", "cross_entropy", {}, x, idx),
        ("CrossEntropyLoss", "cross_entropy", {"weight": w, "label_smoothing": 0.1, "reduction": "none"}, x, idx),
        ("CrossEntropyLoss", "cross_entropy", {"ignore_index": 2, "reduction": "sum"}, x, np.array([0, 2, 1, 2])),
        ("NLLLoss", "nll_loss", {"weight": w, "ignore_index": 1}, lp, np.array([0, 1, 2, 2])),
        ("BCELoss", "binary_cross_entropy", {"weight": w, "reduction": "none"}, p, t01),
        ("BCEWithLogitsLoss", "binary_cross_entropy_with_logits", {"pos_weight": w, "weight": w}, x, t01),
        ("BCEWithLogitsLoss", "binary_cross_entropy_with_logits", {"reduction": "sum"}, x, t01),
    ]


@pytest.mark.parametrize("case", _module_cases(), ids=lambda c: f"{c[0]}-{sorted(c[2])}")
def test_loss_modules_equal_functional(case):
    cls, fn, kw, x, t = case
    kw_ax = {k: to_ax(v) for k, v in kw.items()}
    xm, xf = ax.tensor(x, requires_grad=True), ax.tensor(x, requires_grad=True)
    m = getattr(nn, cls)(**kw_ax)
    out_m = m(xm, ax.tensor(t))
    out_f = getattr(F, fn)(xf, ax.tensor(t), **kw_ax)
    np.testing.assert_array_equal(out_m.data, out_f.data)
    out_m.sum().backward()
    out_f.sum().backward()
    np.testing.assert_array_equal(xm.grad.data, xf.grad.data)
    assert isinstance(m, nn.Module) and cls in repr(m)


@needs_torch
@pytest.mark.parametrize("case", _module_cases(), ids=lambda c: f"{c[0]}-{sorted(c[2])}")
def test_loss_modules_equal_torch_modules(case):
    cls, _, kw, x, t = case
    out_a = getattr(nn, cls)(**{k: to_ax(v) for k, v in kw.items()})(ax.tensor(x), ax.tensor(t))
    out_t = getattr(torch.nn, cls)(**{k: to_t(v) for k, v in kw.items()})(torch.tensor(x), torch.tensor(t))
    np.testing.assert_allclose(out_a.data, out_t.numpy(), rtol=1e-10, atol=1e-12)


def test_loss_modules_default_reduction_is_mean():
    for cls in ("MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss"):
        assert getattr(nn, cls)().reduction == "mean"
    assert nn.CrossEntropyLoss().ignore_index == -100 and nn.CrossEntropyLoss().label_smoothing == 0.0


# ---- gradchecks (float64) ----------------------------------------------------------------------------
def _gc(fn, *arrays):
    inputs = tuple(ax.tensor(a, requires_grad=True) for a in arrays)
    assert gradcheck(fn, inputs)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_mse_and_l1(reduction):
    x, y = rng(0).standard_normal((3, 4)), rng(1).standard_normal((3, 4))
    _gc(lambda a, b: F.mse_loss(a, b, reduction=reduction), x, y)
    _gc(lambda a, b: F.l1_loss(a, b, reduction=reduction), x, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 2, 2)])
def test_gradcheck_cross_entropy_indices(shape, reduction):
    x, t, kw = _ce_case(shape, "index", True, "custom", 0.15)
    w = ax.tensor(kw.pop("weight"))
    tt = ax.tensor(t)
    _gc(lambda a: F.cross_entropy(a, tt, weight=w, reduction=reduction, **kw), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_cross_entropy_probabilities(reduction):
    x, t, kw = _ce_case((2, 3, 2, 2), "prob", True, None, 0.1)
    w, tt = ax.tensor(kw.pop("weight")), ax.tensor(t)
    _gc(lambda a: F.cross_entropy(a, tt, weight=w, reduction=reduction, **kw), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 4)])
def test_gradcheck_nll(shape, reduction):
    _, t, kw = _ce_case(shape, "index", True, "default", 0.0)
    w, tt = ax.tensor(kw.pop("weight")), ax.tensor(t)
    _gc(lambda a: F.nll_loss(a, tt, weight=w, reduction=reduction), log_probs(shape, 2))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_binary_cross_entropy(reduction):
    p = _sigmoid(rng(0).standard_normal((3, 4)))
    t = ax.tensor(rng(1).uniform(0, 1, (3, 4)))
    w = ax.tensor(rng(2).uniform(0.5, 2, (4,)))
    _gc(lambda a: F.binary_cross_entropy(a, t, weight=w, reduction=reduction), p)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_bce_with_logits(reduction):
    x = rng(0).standard_normal((3, 4)) * 2
    t = ax.tensor(rng(1).uniform(0, 1, (3, 4)))
    w = ax.tensor(rng(2).uniform(0.5, 2, (4,)))
    pw = ax.tensor(rng(3).uniform(0.5, 3, (4,)))
    _gc(lambda a: F.binary_cross_entropy_with_logits(a, t, reduction=reduction), x)
    _gc(lambda a: F.binary_cross_entropy_with_logits(a, t, weight=w, pos_weight=pw, reduction=reduction), x)


# ---- errors ----------------------------------------------------------------------------------------
def _x(*shape):
    return ax.tensor(rng(0).standard_normal(shape).astype(np.float32), requires_grad=True)


def test_errors_shape_mismatch():
    for fn in ("mse_loss", "l1_loss", "binary_cross_entropy_with_logits"):
        with pytest.raises(ValueError, match=rf"\[{fn}\].*\(3, 4\).*\(3, 5\)"):
            getattr(F, fn)(_x(3, 4), ax.zeros(3, 5))
    with pytest.raises(ValueError, match=r"\[binary_cross_entropy\].*\(3, 4\).*\(4, 3\)"):
        F.binary_cross_entropy(ax.full((3, 4), 0.5), ax.zeros(4, 3))
    with pytest.raises(ValueError, match=r"\[cross_entropy\].*\(5,\)"):
        F.cross_entropy(_x(4, 3), ax.tensor(np.zeros(5, dtype=np.int64)))
    with pytest.raises(ValueError, match=r"\[cross_entropy\].*\(4, 2\)"):
        F.cross_entropy(_x(4, 3), ax.zeros(4, 2))  # probabilities of the wrong shape
    with pytest.raises(ValueError, match=r"\[cross_entropy\]"):
        F.cross_entropy(_x(4), ax.tensor(np.zeros(4, dtype=np.int64)))
    with pytest.raises(ValueError, match=r"\[nll_loss\].*\(4, 2\)"):
        F.nll_loss(_x(4, 3), ax.tensor(np.zeros((4, 2), dtype=np.int64)))


@pytest.mark.parametrize("fn,args", [
    ("mse_loss", lambda: (_x(2, 2), ax.zeros(2, 2))),
    ("l1_loss", lambda: (_x(2, 2), ax.zeros(2, 2))),
    ("cross_entropy", lambda: (_x(2, 2), ax.tensor([0, 1]))),
    ("nll_loss", lambda: (_x(2, 2), ax.tensor([0, 1]))),
    ("binary_cross_entropy", lambda: (ax.full((2, 2), 0.5), ax.zeros(2, 2))),
    ("binary_cross_entropy_with_logits", lambda: (_x(2, 2), ax.zeros(2, 2))),
])
def test_errors_bad_reduction(fn, args):
    with pytest.raises(ValueError, match=rf"\[{fn}\].*reduction.*'avg'"):
        getattr(F, fn)(*args(), reduction="avg")


def test_errors_bad_reduction_in_modules():
    with pytest.raises(ValueError, match=r"\[CrossEntropyLoss\].*'elementwise_mean'"):
        nn.CrossEntropyLoss(reduction="elementwise_mean")
    with pytest.raises(ValueError, match=r"\[MSELoss\]"):
        nn.MSELoss(reduction=None)


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("bad", [3, 7, -1, -5])
def test_errors_class_index_out_of_range(fn, bad):
    with pytest.raises(IndexError, match=rf"\[{fn}\].*{bad}.*3 classes"):
        getattr(F, fn)(_x(4, 3), ax.tensor([0, 1, bad, 2]))
    with pytest.raises(IndexError, match=rf"\[{fn}\]"):
        getattr(F, fn)(_x(2, 3, 2), ax.tensor([[0, 1], [bad, 2]]))


def test_errors_bad_target_dtype():
    with pytest.raises(TypeError, match=r"\[cross_entropy\].*bool"):
        F.cross_entropy(_x(2, 3), ax.tensor(np.array([True, False])))
    with pytest.raises((TypeError, ValueError), match=r"\[nll_loss\].*float"):
        F.nll_loss(_x(2, 3), ax.tensor(np.array([0.0, 1.0], dtype=np.float32)))
    with pytest.raises(ValueError, match=r"\[cross_entropy\]"):
        F.cross_entropy(_x(2, 3), ax.tensor(np.array([0.0, 1.0], dtype=np.float32)))  # floats must be (N, C)


def test_errors_bad_weight_and_options():
    with pytest.raises(ValueError, match=r"\[cross_entropy\].*weight.*\(3,\).*\(2,\)"):
        F.cross_entropy(_x(2, 3), ax.tensor([0, 1]), weight=ax.ones(2))
    with pytest.raises(ValueError, match=r"\[nll_loss\].*weight.*\(3,\).*\(4,\)"):
        F.nll_loss(_x(2, 3), ax.tensor([0, 1]), weight=ax.ones(4))
    with pytest.raises(ValueError, match=r"\[cross_entropy\].*label_smoothing"):
        F.cross_entropy(_x(2, 3), ax.tensor([0, 1]), label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"\[binary_cross_entropy\].*\[0, 1\]"):
        F.binary_cross_entropy(ax.tensor([0.5, 1.2]), ax.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"\[binary_cross_entropy\].*\[0, 1\]"):
        F.binary_cross_entropy(ax.tensor([-0.1, 0.5]), ax.tensor([0.0, 1.0]))


# ---- dtypes and argument forms ---------------------------------------------------------------------
def test_losses_keep_float32_with_float64_numpy_weights():
    x = ax.tensor(np.full((2, 3), 0.3, np.float32), requires_grad=True)
    ones = ax.ones(2, 3)
    w = np.array([1.0, 2.0, 3.0])  # NumPy's default float64
    for out in (
        F.binary_cross_entropy(x, ones, weight=w),
        F.binary_cross_entropy(x, ones, weight=w, reduction="none"),
        F.binary_cross_entropy_with_logits(x, ones, weight=w, pos_weight=w),
        F.cross_entropy(x, ax.tensor([0, 2]), weight=w),
        F.nll_loss(x, ax.tensor([0, 2]), weight=w, reduction="sum"),
    ):
        assert out.dtype == np.float32
        x.grad = None
        out.sum().backward()
        assert x.grad.dtype == np.float32


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_class_weight_may_be_list_array_or_tensor(fn):
    x = _x(3, 3)
    t = ax.tensor([0, 2, 1])
    w = [0.5, 1.0, 2.0]
    ref = getattr(F, fn)(x, t, weight=ax.tensor(w)).item()
    assert getattr(F, fn)(x, t, weight=w).item() == pytest.approx(ref, rel=1e-7)
    assert getattr(F, fn)(x, t, weight=np.array(w)).item() == pytest.approx(ref, rel=1e-7)


def test_targets_may_be_lists_or_arrays():
    x = _x(2, 3)
    ref = F.cross_entropy(x, ax.tensor([0, 2])).item()
    assert F.cross_entropy(x, [0, 2]).item() == pytest.approx(ref)
    assert F.cross_entropy(x, np.array([0, 2])).item() == pytest.approx(ref)
    assert F.mse_loss(x, np.zeros((2, 3))).item() == pytest.approx((x.data ** 2).mean())
