"""axonal._C fused optimizer kernels (sgd_update, adam_update): fast vs reference for every option at awkward
sizes, thread-count independence, the errors of the binding, and axonal.optim's C++ path vs its NumPy path."""
import itertools
import math
import platform

import numpy as np
import pytest

import axonal as ax
import axonal.optim as optim
from axonal import _C

DTYPES = [np.float32, np.float64]
SIZES = [1, 7, 1000, 100003]
# Without FMA contraction (baseline x86-64) the fast kernels, the reference kernels and the NumPy path do the
# same rounded operations in the same order, so they agree bit for bit; elsewhere allow a few ulps.
EXACT = platform.machine().lower() in ("x86_64", "amd64")


def assert_same(actual, expected, what=""):
    if EXACT:
        np.testing.assert_array_equal(actual, expected, err_msg=what)
    else:
        rtol = 1e-6 if actual.dtype == np.float32 else 1e-14
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol, err_msg=what)


def _arrays(n, dtype, count, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(n).astype(dtype) for _ in range(count)]


# ---- fast vs reference ----------------------------------------------------------------------------

SGD_OPTIONS = list(itertools.product([0.0, 0.9], [0.0, 0.3], [False, True], [0.0, 0.1], [False, True], [False, True]))


def _sgd_id(o):
    momentum, dampening, nesterov, wd, maximize, init = o
    return f"mom{momentum}-damp{dampening}-nest{int(nesterov)}-wd{wd}-max{int(maximize)}-init{int(init)}"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", SGD_OPTIONS, ids=_sgd_id)
def test_sgd_fast_matches_reference(options, dtype):
    momentum, dampening, nesterov, wd, maximize, init = options
    for n in SIZES:
        p, g, buf = _arrays(n, dtype, 3, seed=n)
        buf_arg = buf if momentum else None
        fast = [p.copy(), None if buf_arg is None else buf.copy()]
        ref = [p.copy(), None if buf_arg is None else buf.copy()]
        for arrs, reference in ((fast, False), (ref, True)):
            _C.sgd_update(arrs[0], g, arrs[1], 0.05, momentum, dampening, wd, nesterov, maximize, init,
                          reference=reference)
        assert_same(fast[0], ref[0], f"param, n={n}")
        if momentum:
            assert_same(fast[1], ref[1], f"momentum_buffer, n={n}")
        else:
            np.testing.assert_array_equal(buf, _arrays(n, dtype, 3, seed=n)[2])  # untouched
        assert not np.array_equal(fast[0], p)


ADAM_OPTIONS = list(itertools.product([False, True], [0.0, 0.1], [False, True], [False, True]))


def _adam_id(o):
    amsgrad, wd, decoupled, maximize = o
    return f"ams{int(amsgrad)}-wd{wd}-{'decoupled' if decoupled else 'coupled'}-max{int(maximize)}"


def _adam_state(n, dtype, amsgrad, seed):
    p, g, m, v, mx = _arrays(n, dtype, 5, seed)
    v, mx = v * v, mx * mx  # second moments are non-negative
    return p, g, [p, m, v, mx if amsgrad else None]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", ADAM_OPTIONS, ids=_adam_id)
def test_adam_fast_matches_reference(options, dtype):
    amsgrad, wd, decoupled, maximize = options
    lr, beta1, beta2, eps, step = 0.01, 0.8, 0.99, 1e-6, 3
    scalars = (lr, beta1, beta2, eps, wd, decoupled, maximize, lr / (1 - beta1**step), math.sqrt(1 - beta2**step))
    for n in SIZES:
        _, g, arrays = _adam_state(n, dtype, amsgrad, seed=n)
        fast = [None if a is None else a.copy() for a in arrays]
        ref = [None if a is None else a.copy() for a in arrays]
        _C.adam_update(fast[0], g, fast[1], fast[2], fast[3], *scalars)
        _C.adam_update(ref[0], g, ref[1], ref[2], ref[3], *scalars, reference=True)
        for name, a, b in zip(["param", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"], fast, ref):
            if a is not None:
                assert_same(a, b, f"{name}, n={n}")
        assert not np.array_equal(fast[0], arrays[0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_adam_nan_and_inf_follow_the_reference(dtype):
    n = 1000
    _, g, arrays = _adam_state(n, dtype, True, seed=5)
    g[3], g[10], g[11] = np.nan, np.inf, -np.inf
    arrays[3][20] = np.nan  # a NaN already in max_exp_avg_sq wins, as in np.maximum
    arrays[2][30] = np.nan
    fast = [a.copy() for a in arrays]
    ref = [a.copy() for a in arrays]
    scalars = (0.01, 0.9, 0.999, 1e-8, 0.1, False, False, 0.1, 0.05)
    _C.adam_update(*fast[:1], g, *fast[1:], *scalars)
    _C.adam_update(*ref[:1], g, *ref[1:], *scalars, reference=True)
    for a, b in zip(fast, ref):
        assert_same(a, b)
    assert np.isnan(fast[3][[3, 20, 30]]).all() and np.isposinf(fast[3][[10, 11]]).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_results_do_not_depend_on_the_thread_count(dtype):
    before = ax.get_num_threads()
    n = 300007
    try:
        results = []
        for threads in (1, 2, 3):
            ax.set_num_threads(threads)
            _, g, arrays = _adam_state(n, dtype, True, seed=1)
            _C.adam_update(arrays[0], g, arrays[1], arrays[2], arrays[3], 0.01, 0.9, 0.999, 1e-8, 0.1, True, False,
                           0.1, 0.05)
            p, gs, buf = _arrays(n, dtype, 3, seed=2)
            _C.sgd_update(p, gs, buf, 0.05, 0.9, 0.1, 0.01, False, True, False)
            results.append(arrays + [p, buf])
    finally:
        ax.set_num_threads(before)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)


def test_empty_and_zero_dimensional_arrays():
    for shape in [(0,), (), (2, 0, 3)]:
        p = np.ones(shape, np.float32)
        g = np.full(shape, 2.0, np.float32)
        buf = np.zeros(shape, np.float32)
        _C.sgd_update(p, g, buf, 0.5, 0.9, 0.0, 0.0, False, False, True)
        np.testing.assert_array_equal(p, np.zeros(shape, np.float32))
        np.testing.assert_array_equal(buf, g)
        m, v = np.zeros(shape, np.float32), np.zeros(shape, np.float32)
        _C.adam_update(p, g, m, v, None, 0.1, 0.9, 0.999, 1e-8, 0.0, False, False, 1.0, 0.0316)
        assert p.shape == shape


# ---- errors of the binding ------------------------------------------------------------------------


def _sgd(p, g, buf=None, momentum=0.0):
    _C.sgd_update(p, g, buf, 0.1, momentum, 0.0, 0.0, False, False, False)


def _adam(p, g, m, v, mx=None):
    _C.adam_update(p, g, m, v, mx, 0.1, 0.9, 0.999, 1e-8, 0.0, False, False, 1.0, 0.1)


def _f32(*shape):
    return np.zeros(shape, np.float32)


def _cases():
    a = _f32(4, 3)
    ro = _f32(4, 3)
    ro.flags.writeable = False
    big = _f32(8, 3)
    return [
        ("int dtype", TypeError, "[sgd_update] param must be float32 or float64",
         lambda: _sgd(np.zeros((4, 3), np.int32), _f32(4, 3))),
        ("mixed dtypes", TypeError, "[sgd_update] grad has dtype float64 but param has dtype float32",
         lambda: _sgd(_f32(4, 3), np.zeros((4, 3)))),
        ("mixed state dtype", TypeError, "[adam_update] exp_avg_sq has dtype float64",
         lambda: _adam(_f32(5), _f32(5), _f32(5), np.zeros(5))),
        ("not an array", TypeError, "[adam_update] grad must be a numpy.ndarray, got list",
         lambda: _adam(_f32(2), [0.0, 0.0], _f32(2), _f32(2))),
        ("shape", ValueError, "[sgd_update] grad has shape (3, 4) but param has shape (4, 3)",
         lambda: _sgd(_f32(4, 3), _f32(3, 4))),
        ("state shape", ValueError, "[adam_update] max_exp_avg_sq has shape (12,) but param has shape (4, 3)",
         lambda: _adam(_f32(4, 3), _f32(4, 3), _f32(4, 3), _f32(4, 3), _f32(12))),
        ("non-contiguous", ValueError, "[sgd_update] grad must be C-contiguous (shape (4, 3))",
         lambda: _sgd(_f32(4, 3), _f32(3, 4).T)),
        ("strided state", ValueError, "[adam_update] exp_avg must be C-contiguous (shape (4,))",
         lambda: _adam(_f32(4), _f32(4), _f32(8)[::2], _f32(4))),
        ("read-only param", ValueError, "[sgd_update] param must be writeable (shape (4, 3))", lambda: _sgd(ro, a)),
        ("read-only state", ValueError, "[sgd_update] momentum_buffer must be writeable",
         lambda: _sgd(_f32(4, 3), _f32(4, 3), ro, momentum=0.9)),
        ("grad is param", ValueError, "[sgd_update] param and grad overlap in memory", lambda: _sgd(a, a)),
        ("states overlap", ValueError, "[adam_update] exp_avg and exp_avg_sq overlap in memory",
         lambda: _adam(_f32(4, 3), _f32(4, 3), big[:4], big[2:6])),
        ("missing buffer", ValueError, "[sgd_update] momentum is 0.9 but no momentum_buffer was given (param (4, 3))",
         lambda: _sgd(_f32(4, 3), _f32(4, 3), None, momentum=0.9)),
        ("stray buffer", ValueError, "[sgd_update] momentum is 0, so momentum_buffer must be None",
         lambda: _sgd(_f32(4, 3), _f32(4, 3), _f32(4, 3))),
    ]


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c[0])
def test_errors(case):
    _, exc, message, call = case
    with pytest.raises(exc) as info:
        call()
    assert message in str(info.value)


def test_errors_leave_the_arrays_alone():
    p = np.ones(5, np.float32)
    with pytest.raises(ValueError):
        _adam(p, np.ones(5, np.float32), np.zeros(5, np.float32), np.zeros(4, np.float32))
    np.testing.assert_array_equal(p, np.ones(5, np.float32))


# ---- axonal.optim: the fused path against the NumPy path --------------------------------------------

OPTIMIZERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5, weight_decay=0.1)),
    ("SGD", dict(lr=0.02, momentum=0.8, nesterov=True, weight_decay=0.05, maximize=True)),
    ("SGD", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.0)),
]
PARAM_SHAPES = [(5, 3), (), (1,), (7,), (100003,), (2, 0)]


def _run(name, kwargs, dtype, fused, steps=8, shapes=PARAM_SHAPES, grad=None):
    rng = np.random.default_rng(0)
    params = [ax.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in shapes]
    opt = getattr(optim, name)([dict(params=params[:2]), dict(params=params[2:], lr=kwargs.get("lr", 1e-3) / 2)],
                               **kwargs)
    opt._use_fused = fused
    grng = np.random.default_rng(1)
    for _ in range(steps):
        for p in params:
            g = np.asarray(0.5 * p.data + grng.standard_normal(p.shape).astype(dtype), dtype=dtype)
            p.grad = ax.from_numpy(g) if grad is None else grad(g)
        opt.step()
    return params, opt


def _assert_paths_agree(a, b):
    (params_a, opt_a), (params_b, opt_b) = a, b
    for i, (p, q) in enumerate(zip(params_a, params_b)):
        assert_same(p.data, q.data, f"parameter {i}")
        sa, sb = opt_a.state[p], opt_b.state[q]
        assert list(sa) == list(sb)
        for key in sa:
            if isinstance(sa[key], np.ndarray):
                assert sa[key].dtype == sb[key].dtype == p.dtype and sa[key].flags.c_contiguous
                assert_same(sa[key], sb[key], f"state {key!r} of parameter {i}")
            else:
                assert sa[key] == sb[key] and type(sa[key]) is type(sb[key])


def _count_calls(monkeypatch, name):
    """Counts the CPU backend's calls of the fused kernel ``name`` (its sgd_update / adam_update)."""
    from axonal.backend import cpu

    calls = []
    real = getattr(cpu, name)
    monkeypatch.setattr(cpu, name, lambda *a, **k: (calls.append(1), real(*a, **k))[1])
    return calls


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,kwargs", OPTIMIZERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(OPTIMIZERS)])
def test_fused_path_matches_numpy_path(name, kwargs, dtype, monkeypatch):
    calls = _count_calls(monkeypatch, "sgd_update" if name == "SGD" else "adam_update")
    fused = _run(name, kwargs, dtype, True)
    assert len(calls) == 8 * len(PARAM_SHAPES)  # every step of every parameter took the kernel
    numpy_path = _run(name, kwargs, dtype, False)
    assert len(calls) == 8 * len(PARAM_SHAPES)
    _assert_paths_agree(fused, numpy_path)
    sd_a, sd_b = fused[1].state_dict(), numpy_path[1].state_dict()
    assert sd_a["param_groups"] == sd_b["param_groups"]
    assert sd_a["state"].keys() == sd_b["state"].keys()


@pytest.mark.parametrize(
    "grad",
    [lambda g: ax.tensor(g.astype(np.float64)), lambda g: ax.from_numpy(np.repeat(g[..., None], 2, -1)[..., 0])],
    ids=["float64-grad", "strided-grad"],
)
@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.05, momentum=0.9)), ("Adam", dict(lr=0.01, amsgrad=True))])
def test_arrays_the_kernel_cannot_take_keep_the_numpy_path(name, kwargs, grad, monkeypatch):
    calls = _count_calls(monkeypatch, "sgd_update" if name == "SGD" else "adam_update")
    shapes = [(5, 3), (7,), (2, 4)]
    fallback = _run(name, kwargs, np.float32, True, shapes=shapes, grad=grad)
    assert calls == []
    _assert_paths_agree(fallback, _run(name, kwargs, np.float32, False, shapes=shapes, grad=grad))


def test_switching_paths_mid_training_gives_the_same_result():
    """State written by one path is read by the other (same layout), e.g. after load_state_dict."""
    straight = _run("Adam", dict(lr=0.01, amsgrad=True), np.float32, False, steps=6)
    params, opt = _run("Adam", dict(lr=0.01, amsgrad=True), np.float32, True, steps=3)
    grng = np.random.default_rng(1)
    # _run's gradient stream from step 4 on (the first 3 steps' draws are regenerated and skipped); the
    # remaining steps alternate between the NumPy and the fused path.
    for step in range(6):
        for p in params:
            noise = grng.standard_normal(p.shape).astype(np.float32)
            if step >= 3:
                p.grad = ax.from_numpy(np.asarray(0.5 * p.data + noise, dtype=np.float32))
        if step >= 3:
            opt._use_fused = step % 2 == 0
            opt.step()
    _assert_paths_agree(straight, (params, opt))
