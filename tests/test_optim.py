"""axonal.optim against torch.optim: parameters after every step, state layout, state_dict round trips,
lr schedules, and the error cases."""
import copy
import json
import math
import warnings

import numpy as np
import pytest

import axonal as ax
import axonal.optim as optim
from axonal.optim import lr_scheduler

SHAPES = [(5, 3), (3,), (2, 2, 2)]
STEPS = 20


def _initial_params(seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in SHAPES]


def _grad_sequence(steps, seed=1, dtype=np.float32):
    """Per step, per parameter: the gradient of sum(c * p**2 / 2) plus a fixed noise, g = c * p + noise."""
    rng = np.random.default_rng(seed)
    scales = [rng.uniform(0.5, 2.0, s).astype(dtype) for s in SHAPES]
    noise = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(steps)]
    return scales, noise


def _ax_params(arrays):
    return [ax.tensor(a.copy(), requires_grad=True) for a in arrays]


def _groups(params, groups):
    if groups is None:
        return params
    return [dict(g, params=[params[i] for i in g["params"]]) for g in groups]


class _AxSide:
    def __init__(self, cls, kwargs, groups, arrays):
        self.params = _ax_params(arrays)
        self.opt = cls(_groups(self.params, groups), **kwargs)

    def set_grads(self, scales, noise):
        for p, c, n in zip(self.params, scales, noise):
            p.grad = ax.tensor(c * p.data + n)

    def arrays(self):
        return [p.data for p in self.params]


class _TorchSide:
    def __init__(self, torch, cls, kwargs, groups, arrays):
        self.torch = torch
        self.params = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
        self.opt = cls(_groups(self.params, groups), **kwargs)

    def set_grads(self, scales, noise):
        for p, c, n in zip(self.params, scales, noise):
            p.grad = self.torch.from_numpy(c * p.detach().numpy() + n)

    def arrays(self):
        return [p.detach().numpy() for p in self.params]


def _assert_close(actual, expected, what):
    for i, (a, e) in enumerate(zip(actual, expected)):
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-5, err_msg=f"{what}, parameter {i}")


def _torch_state_arrays(torch_opt, torch_param):
    return {k: (v.detach().numpy() if v.ndim else v.item()) for k, v in torch_opt.state[torch_param].items()}


# (axonal class name, kwargs, parameter groups (indices into SHAPES + options) or None)
CASES = [
    ("SGD", dict(lr=0.1), None),
    ("SGD", dict(lr=0.05, momentum=0.9), None),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5), None),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True), None),
    ("SGD", dict(lr=0.1, weight_decay=0.1), None),
    ("SGD", dict(lr=0.01, maximize=True), None),
    ("SGD", dict(lr=0.02, momentum=0.8, nesterov=True, weight_decay=0.05, maximize=True), None),
    ("SGD", dict(lr=0.1, momentum=0.9), [dict(params=[0, 1]), dict(params=[2], lr=0.01, momentum=0.5, dampening=0.1)]),
    ("ASGD", dict(), None),
    ("ASGD", dict(lr=0.05), None),
    ("ASGD", dict(lr=0.05, lambd=1e-2, alpha=0.5, t0=5, weight_decay=0.1), None),
    ("ASGD", dict(lr=0.02, t0=3, maximize=True), None),
    ("ASGD", dict(lr=0.05, t0=4), [dict(params=[0]), dict(params=[1, 2], lr=0.01, t0=8)]),
    ("Adagrad", dict(), None),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1), None),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5), None),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, eps=1e-6), None),
    ("Adagrad", dict(lr=0.05, lr_decay=0.05, initial_accumulator_value=0.1, maximize=True), None),
    ("Adagrad", dict(lr=0.1), [dict(params=[0, 2]), dict(params=[1], lr=0.01, lr_decay=0.2)]),
    ("RMSprop", dict(), None),
    ("RMSprop", dict(lr=0.01, centered=True), None),
    ("RMSprop", dict(lr=0.01, momentum=0.9), None),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9), None),
    ("RMSprop", dict(lr=0.01, alpha=0.9, weight_decay=0.1, eps=1e-6), None),
    ("RMSprop", dict(lr=0.005, centered=True, momentum=0.5, maximize=True), None),
    ("RMSprop", dict(lr=0.01), [dict(params=[0]), dict(params=[1, 2], lr=0.001, centered=True, momentum=0.9)]),
    ("Adam", dict(), None),
    ("Adam", dict(lr=0.01), None),
    ("Adam", dict(lr=0.01, amsgrad=True), None),
    ("Adam", dict(lr=0.01, weight_decay=0.1), None),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, maximize=True), None),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1, maximize=True), None),
    ("Adam", dict(lr=0.01), [dict(params=[0, 1]), dict(params=[2], lr=0.001, amsgrad=True, betas=(0.5, 0.9))]),
    ("AdamW", dict(), None),
    ("AdamW", dict(lr=0.01, amsgrad=True), None),
    ("AdamW", dict(lr=0.01, weight_decay=0.1), None),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True), None),
    ("AdamW", dict(lr=0.01), [dict(params=[2]), dict(params=[0, 1], lr=0.001, weight_decay=0.5)]),
]


def _case_id(case):
    name, kwargs, groups = case
    opts = ",".join(f"{k}={v}" for k, v in kwargs.items()) or "defaults"
    return f"{name}[{opts}{',groups' if groups else ''}]"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_matches_torch_every_step(case):
    torch = pytest.importorskip("torch")
    name, kwargs, groups = case
    arrays = _initial_params()
    scales, noise = _grad_sequence(STEPS)
    mine = _AxSide(getattr(optim, name), kwargs, groups, arrays)
    theirs = _TorchSide(torch, getattr(torch.optim, name), kwargs, groups, arrays)
    for step in range(STEPS):
        mine.set_grads(scales, noise[step])
        theirs.set_grads(scales, noise[step])
        mine.opt.step()
        theirs.opt.step()
        _assert_close(mine.arrays(), theirs.arrays(), f"{_case_id(case)} after step {step + 1}")
        for p in mine.params:
            assert p.data.dtype == np.float32
        # The per-parameter state (ASGD's averaged parameters ax included) follows torch's too.
        for i, (p, tp) in enumerate(zip(mine.params, theirs.params)):
            expected = _torch_state_arrays(theirs.opt, tp)
            state = mine.opt.state[p]
            assert set(state) == set(expected), f"state keys of parameter {i}"
            for key, value in expected.items():
                if isinstance(value, np.ndarray):
                    assert state[key].dtype == np.float32
                    np.testing.assert_allclose(state[key], value, rtol=1e-5, atol=1e-5, err_msg=f"state {key!r}, step {step + 1}")
                else:
                    assert state[key] == pytest.approx(value, rel=1e-6), f"state {key!r}, step {step + 1}"


@pytest.mark.parametrize("name", ["SGD", "ASGD", "Adagrad", "RMSprop", "Adam", "AdamW"])
def test_defaults_match_torch(name):
    torch = pytest.importorskip("torch")
    mine = getattr(optim, name)(_ax_params(_initial_params())).defaults
    theirs = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)]).defaults
    skipped = {"foreach", "fused", "capturable", "differentiable"}
    assert set(mine) == set(theirs) - skipped
    for key, value in mine.items():
        assert value == theirs[key], key


def test_state_dict_layout_matches_torch():
    torch = pytest.importorskip("torch")
    kwargs = dict(lr=0.01, amsgrad=True)
    groups = [dict(params=[0, 2]), dict(params=[1], lr=0.1)]
    arrays = _initial_params()
    scales, noise = _grad_sequence(2)
    mine = _AxSide(optim.Adam, kwargs, groups, arrays)
    theirs = _TorchSide(torch, torch.optim.Adam, kwargs, groups, arrays)
    for step in range(2):
        mine.set_grads(scales, noise[step])
        theirs.set_grads(scales, noise[step])
        mine.opt.step()
        theirs.opt.step()
    sd, tsd = mine.opt.state_dict(), theirs.opt.state_dict()
    assert list(sd) == ["state", "param_groups"]
    assert sorted(sd["state"]) == sorted(tsd["state"]) == [0, 1, 2]
    for i in range(3):
        assert set(sd["state"][i]) == set(tsd["state"][i])
        assert sd["state"][i]["step"] == 2
        np.testing.assert_allclose(sd["state"][i]["exp_avg"], tsd["state"][i]["exp_avg"].numpy(), rtol=1e-5, atol=1e-6)
    for group, tgroup in zip(sd["param_groups"], tsd["param_groups"]):
        assert group["params"] == tgroup["params"]
        for key, value in group.items():
            expected = tgroup[key]
            assert value == (list(expected) if isinstance(expected, tuple) else expected), key


def _assert_plain(value, where="state_dict"):
    if isinstance(value, dict):
        for k, v in value.items():
            assert isinstance(k, (str, int)), f"{where}: key {k!r}"
            _assert_plain(v, f"{where}[{k!r}]")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _assert_plain(v, f"{where}[{i}]")
    else:
        assert value is None or isinstance(value, (np.ndarray, bool, int, float, str)), f"{where}: {type(value)}"


def _json_like(state_dict):
    """What a safetensors + JSON checkpoint gives back: string keys, lists, fresh arrays."""
    arrays = {}

    def strip(value, path):
        if isinstance(value, np.ndarray):
            arrays[path] = value.copy()
            return {"__array__": path}
        if isinstance(value, dict):
            return {str(k): strip(v, f"{path}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [strip(v, f"{path}.{i}") for i, v in enumerate(value)]
        return value

    def restore(value):
        if isinstance(value, dict):
            if "__array__" in value:
                return arrays[value["__array__"]]
            return {k: restore(v) for k, v in value.items()}
        if isinstance(value, list):
            return [restore(v) for v in value]
        return value

    return restore(json.loads(json.dumps(strip(state_dict, "sd"))))


ROUND_TRIP = [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("ASGD", dict(lr=0.05, t0=4)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, initial_accumulator_value=0.1)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9)),
    ("Adam", dict(lr=0.01, amsgrad=True, betas=(0.8, 0.99))),
    ("AdamW", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
]


@pytest.mark.parametrize("via_json", [False, True], ids=["dict", "json"])
@pytest.mark.parametrize("name,kwargs", ROUND_TRIP, ids=[n for n, _ in ROUND_TRIP])
def test_state_dict_round_trip(name, kwargs, via_json):
    cls = getattr(optim, name)
    groups = [dict(params=[0, 1]), dict(params=[2], lr=kwargs["lr"] / 2)]
    arrays = _initial_params()
    scales, noise = _grad_sequence(20)

    straight = _AxSide(cls, kwargs, groups, arrays)
    for step in range(20):
        straight.set_grads(scales, noise[step])
        straight.opt.step()

    first = _AxSide(cls, kwargs, groups, arrays)
    for step in range(10):
        first.set_grads(scales, noise[step])
        first.opt.step()
    saved = first.opt.state_dict()
    _assert_plain(saved)
    saved = _json_like(saved) if via_json else copy.deepcopy(saved)

    # A fresh optimizer built with other options: loading restores the saved ones.
    resumed = _AxSide(cls, dict(kwargs, lr=123.0), groups, [a.copy() for a in first.arrays()])
    resumed.opt.load_state_dict(saved)
    assert resumed.opt.param_groups[1]["lr"] == kwargs["lr"] / 2
    if "betas" in kwargs:
        assert resumed.opt.param_groups[0]["betas"] == kwargs["betas"]
    for step in range(10, 20):
        resumed.set_grads(scales, noise[step])
        resumed.opt.step()
    for a, b in zip(resumed.arrays(), straight.arrays()):
        np.testing.assert_array_equal(a, b)
    for p, q in zip(resumed.params, straight.params):
        for key, value in straight.opt.state[q].items():
            np.testing.assert_array_equal(resumed.opt.state[p][key], value)


def test_loaded_state_is_owned_and_cast_to_the_parameter_dtype():
    params = _ax_params(_initial_params())
    opt = optim.Adam(params, lr=0.01)
    for p in params:
        p.grad = ax.ones_like(p)
    opt.step()
    saved = opt.state_dict()
    saved["state"][0]["exp_avg"] = saved["state"][0]["exp_avg"].astype(np.float64)
    saved["state"][0]["step"] = np.array(1.0)  # a 0-d array, as a tensor file may give it back
    fresh = optim.Adam(_ax_params(_initial_params()))
    fresh.load_state_dict(saved)
    state = fresh.state[fresh.param_groups[0]["params"][0]]
    assert state["exp_avg"].dtype == np.float32 and state["step"] == 1
    assert not np.shares_memory(state["exp_avg_sq"], opt.state[params[0]]["exp_avg_sq"])


# ---- behaviour of the base class ----------------------------------------------------------------


def test_step_with_closure_returns_loss_and_records_the_graph():
    torch = pytest.importorskip("torch")
    w0 = np.array([1.0, -2.0, 3.0], dtype=np.float32)
    w = ax.tensor(w0.copy(), requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    tw = torch.tensor(w0.copy(), requires_grad=True)
    topt = torch.optim.SGD([tw], lr=0.1, momentum=0.9)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    def tclosure():
        topt.zero_grad()
        loss = (tw * tw).sum()
        loss.backward()
        return loss

    for _ in range(3):
        with ax.no_grad():  # the closure still records its graph
            loss = opt.step(closure)
        tloss = topt.step(tclosure)
        assert loss.item() == pytest.approx(tloss.item(), rel=1e-6)
        np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-6)
    assert opt.step() is None


def test_zero_grad():
    params = _ax_params(_initial_params())
    opt = optim.SGD(params, lr=0.1)
    for p in params:
        p.grad = ax.ones_like(p)
    grad = params[0].grad
    opt.zero_grad(set_to_none=False)
    assert params[0].grad is grad and not grad.data.any()
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_params_without_grad_are_skipped_and_grads_are_not_written():
    params = _ax_params(_initial_params())
    before = params[1].data.copy()
    opt = optim.Adam(params, lr=0.1, weight_decay=0.1, maximize=True)
    params[0].grad = ax.ones_like(params[0])
    params[2].grad = ax.ones_like(params[2])
    opt.step()
    np.testing.assert_array_equal(params[1].data, before)
    assert params[1] not in opt.state and params[0] in opt.state
    assert (params[0].grad.data == 1).all()


def test_float64_parameters_keep_float64_state():
    params = _ax_params(_initial_params(dtype=np.float64))
    opt = optim.RMSprop(params, centered=True, momentum=0.9)
    for p in params:
        p.grad = ax.ones_like(p)
    opt.step()
    for p in params:
        assert p.data.dtype == np.float64
        assert all(v.dtype == np.float64 for v in opt.state[p].values() if isinstance(v, np.ndarray))


def test_add_param_group_uses_defaults_and_updates_in_place():
    a, b = _ax_params(_initial_params())[:2]
    data = b.data
    opt = optim.Adagrad([a], lr=0.5, lr_decay=0.1)
    opt.add_param_group({"params": b, "lr": 0.25})
    assert opt.param_groups[1]["lr"] == 0.25 and opt.param_groups[1]["lr_decay"] == 0.1
    b.grad = ax.ones_like(b)
    opt.step()
    assert b.data is data and opt.state[b]["step"] == 1
    assert opt.state[a]["step"] == 0  # Adagrad makes its state at construction, as torch does


def test_tensor_subclass_is_accepted():
    class Parameter(ax.Tensor):  # nn.Parameter's shape: a Tensor subclass that requires grad
        __slots__ = ()

    p = Parameter(np.ones(3, dtype=np.float32), requires_grad=True)
    opt = optim.SGD([p], lr=0.5)
    p.grad = ax.ones_like(p)
    opt.step()
    np.testing.assert_allclose(p.data, 0.5)


def test_duplicate_parameter_in_a_group_warns():
    p = ax.zeros(3, requires_grad=True)
    with pytest.warns(UserWarning, match=r"\[SGD\] .*more than once"):
        optim.SGD([p, p], lr=0.1)


# ---- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda ps: optim.SGD(ps, lr=-1), r"^\[SGD\] invalid learning rate: -1$"),
        (lambda ps: optim.SGD(ps, momentum=-0.5), r"\[SGD\] invalid momentum value: -0.5"),
        (lambda ps: optim.SGD(ps, weight_decay=-1e-4), r"\[SGD\] invalid weight_decay value"),
        (lambda ps: optim.SGD(ps, nesterov=True), r"\[SGD\] Nesterov momentum requires a momentum and zero dampening"),
        (lambda ps: optim.SGD(ps, momentum=0.9, dampening=0.1, nesterov=True), r"\[SGD\] Nesterov"),
        (lambda ps: optim.ASGD(ps, lr=-0.1), r"\[ASGD\] invalid learning rate"),
        (lambda ps: optim.ASGD(ps, weight_decay=-1), r"\[ASGD\] invalid weight_decay value"),
        (lambda ps: optim.Adagrad(ps, lr_decay=-1), r"\[Adagrad\] invalid lr_decay value"),
        (lambda ps: optim.Adagrad(ps, initial_accumulator_value=-1), r"\[Adagrad\] invalid initial_accumulator_value"),
        (lambda ps: optim.Adagrad(ps, eps=-1), r"\[Adagrad\] invalid epsilon value"),
        (lambda ps: optim.RMSprop(ps, alpha=-0.1), r"\[RMSprop\] invalid alpha value"),
        (lambda ps: optim.RMSprop(ps, momentum=-0.1), r"\[RMSprop\] invalid momentum value"),
        (lambda ps: optim.RMSprop(ps, eps=-1), r"\[RMSprop\] invalid epsilon value"),
        (lambda ps: optim.Adam(ps, betas=(1.0, 0.999)), r"\[Adam\] invalid beta parameter at index 0: 1.0"),
        (lambda ps: optim.Adam(ps, betas=(0.9, -0.1)), r"\[Adam\] invalid beta parameter at index 1"),
        (lambda ps: optim.Adam(ps, eps=-1e-8), r"\[Adam\] invalid epsilon value"),
        (lambda ps: optim.AdamW(ps, weight_decay=-0.01), r"\[AdamW\] invalid weight_decay value"),
        (lambda ps: optim.AdamW(ps, lr=-1e-3), r"\[AdamW\] invalid learning rate"),
        (lambda ps: optim.SGD([{"params": ps[:1]}, {"params": ps[1:], "lr": -2}]), r"\[SGD\] invalid learning rate: -2"),
        (lambda ps: optim.SGD([], lr=0.1), r"\[SGD\] got an empty parameter list"),
        (lambda ps: optim.SGD([{"params": ps}, {"params": ps[:1]}]), r"more than one parameter group"),
        (lambda ps: optim.SGD([(ps[0] * 2)]), r"can't optimize a non-leaf Tensor"),
    ],
)
def test_invalid_arguments_raise_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make(_ax_params(_initial_params()))


def test_invalid_params_raise_type_error():
    ps = _ax_params(_initial_params())
    with pytest.raises(TypeError, match=r"\[Adam\] .*single Tensor"):
        optim.Adam(ps[0])
    with pytest.raises(TypeError, match=r"\[Adam\] .*not a set"):
        optim.Adam(set(ps))
    with pytest.raises(TypeError, match=r"\[Adam\] can only optimize Tensors, but one of the params is ndarray"):
        optim.Adam([ps[0].data])


def test_gradient_of_the_wrong_shape():
    p = ax.zeros(3, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    p.grad = ax.zeros(4)
    with pytest.raises(ValueError, match=r"\[SGD\] gradient of shape \(4,\) for a parameter of shape \(3,\)"):
        opt.step()


def test_load_state_dict_errors():
    ps = _ax_params(_initial_params())
    opt = optim.Adam([{"params": ps[:2]}, {"params": ps[2:]}], lr=0.01)
    for p in ps:
        p.grad = ax.ones_like(p)
    opt.step()
    saved = opt.state_dict()

    with pytest.raises(ValueError, match=r"^\[Optimizer.load_state_dict\] loaded state dict has 2 parameter groups, but the optimizer has 1"):
        optim.Adam(_ax_params(_initial_params())).load_state_dict(saved)
    fresh = _ax_params(_initial_params())
    with pytest.raises(ValueError, match=r"^\[Optimizer.load_state_dict\] loaded parameter group 0 has 2 parameters, but the optimizer's group 0 has 1"):
        optim.Adam([{"params": fresh[:1]}, {"params": fresh[1:]}]).load_state_dict(saved)
    with pytest.raises(ValueError, match=r"^\[Optimizer.load_state_dict\] expected a dict with 'state' and 'param_groups'"):
        optim.Adam(fresh).load_state_dict({"state": {}})
    bad = copy.deepcopy(saved)
    bad["state"][1]["exp_avg"] = np.zeros((7,), dtype=np.float32)
    target = optim.Adam([{"params": fresh[:2]}, {"params": fresh[2:]}])
    with pytest.raises(ValueError, match=r"^\[Optimizer.load_state_dict\] state 'exp_avg' of parameter 1 has shape \(7,\), but the parameter has shape \(3,\)"):
        target.load_state_dict(bad)
    bad = copy.deepcopy(saved)
    bad["state"][9] = bad["state"][0]
    with pytest.raises(ValueError, match=r"^\[Optimizer.load_state_dict\] state refers to parameter 9"):
        target.load_state_dict(bad)
    assert not target.state  # a failed load leaves the optimizer as it was


# ---- lr schedulers ------------------------------------------------------------------------------

EPOCHS = 30

SCHEDULERS = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("StepLR", dict(step_size=7)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.001)),
]


def _lr_pair(torch, name, kwargs, last_epoch=None):
    mine_opt = optim.SGD([{"params": [ax.zeros(2, requires_grad=True)]},
                          {"params": [ax.zeros(3, requires_grad=True)], "lr": 0.02}], lr=0.1)
    their_opt = torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)]},
                                 {"params": [torch.zeros(3, requires_grad=True)], "lr": 0.02}], lr=0.1)
    if last_epoch is not None:
        for o in (mine_opt, their_opt):
            for g, lr in zip(o.param_groups, (1.0, 0.5)):
                g["initial_lr"] = lr
        kwargs = dict(kwargs, last_epoch=last_epoch)
    return (getattr(lr_scheduler, name)(mine_opt, **kwargs), mine_opt,
            getattr(torch.optim.lr_scheduler, name)(their_opt, **kwargs), their_opt)


@pytest.mark.parametrize("name,kwargs", SCHEDULERS, ids=[f"{n}-{k}" for n, k in SCHEDULERS])
def test_scheduler_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    mine, mine_opt, theirs, their_opt = _lr_pair(torch, name, kwargs)
    assert [g["initial_lr"] for g in mine_opt.param_groups] == [0.1, 0.02]
    assert mine.get_last_lr() == theirs.get_last_lr() == [0.1, 0.02]
    for epoch in range(EPOCHS):
        mine_opt.step()
        their_opt.step()
        mine.step()
        theirs.step()
        assert mine.last_epoch == theirs.last_epoch == epoch + 1
        assert mine.get_last_lr() == theirs.get_last_lr(), f"epoch {epoch + 1}"
        assert [g["lr"] for g in mine_opt.param_groups] == [g["lr"] for g in their_opt.param_groups]


@pytest.mark.parametrize("last_epoch", [2, 5, 8])
@pytest.mark.parametrize("name,kwargs", SCHEDULERS, ids=[f"{n}-{k}" for n, k in SCHEDULERS])
def test_scheduler_resumed_from_last_epoch_matches_torch(name, kwargs, last_epoch):
    torch = pytest.importorskip("torch")
    mine, _, theirs, their_opt = _lr_pair(torch, name, kwargs, last_epoch)
    assert mine.get_last_lr() == theirs.get_last_lr()
    for epoch in range(12):
        their_opt.step()
        mine.step()
        theirs.step()
        assert mine.get_last_lr() == theirs.get_last_lr(), f"epoch {mine.last_epoch}"


@pytest.mark.parametrize("name,kwargs", SCHEDULERS[:1] + SCHEDULERS[2:], ids=lambda v: str(v))
def test_scheduler_closed_form_with_explicit_epoch(name, kwargs):
    torch = pytest.importorskip("torch")
    mine, _, theirs, _ = _lr_pair(torch, name, kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in (4, 11, 17):
            mine.step(epoch)
            theirs.step(epoch)
            assert mine.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12)


PLATEAU = [
    dict(patience=2),
    dict(patience=1, cooldown=2, factor=0.5),
    dict(mode="max", patience=2, threshold=0.05),
    dict(patience=0, threshold_mode="abs", threshold=0.2, min_lr=[0.01, 0.005]),
    dict(patience=1, factor=0.5, min_lr=0.03, eps=1e-3),
    dict(),
]


@pytest.mark.parametrize("kwargs", PLATEAU, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "defaults")
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    # Improves, stalls, wobbles near the best, improves again: every branch of the bookkeeping.
    metrics = [1.0, 0.9, 0.85, 0.85, 0.86, 0.84, 0.845, 0.9, 0.95, 0.5, 0.5, 0.499, 0.6, 0.7]
    metrics += list(0.5 + 0.1 * rng.standard_normal(EPOCHS - len(metrics)))
    mine_opt = optim.SGD([{"params": [ax.zeros(2, requires_grad=True)]},
                          {"params": [ax.zeros(3, requires_grad=True)], "lr": 0.02}], lr=0.1)
    their_opt = torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)]},
                                 {"params": [torch.zeros(3, requires_grad=True)], "lr": 0.02}], lr=0.1)
    mine = lr_scheduler.ReduceLROnPlateau(mine_opt, **kwargs)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(their_opt, **kwargs)
    assert "initial_lr" not in mine_opt.param_groups[0]
    changed = False
    for epoch, metric in enumerate(metrics):
        mine.step(metric)
        theirs.step(metric)
        assert mine.get_last_lr() == theirs.get_last_lr(), f"epoch {epoch + 1}, metric {metric}"
        assert (mine.num_bad_epochs, mine.cooldown_counter, mine.best) == (
            theirs.num_bad_epochs, theirs.cooldown_counter, theirs.best)
        changed |= mine.get_last_lr() != [0.1, 0.02]
    assert changed or kwargs == {}


def test_scheduler_state_dict_round_trip():
    def make():
        opt = optim.SGD([ax.zeros(2, requires_grad=True)], lr=0.1)
        return opt, lr_scheduler.CosineAnnealingLR(opt, T_max=6, eta_min=0.01)

    opt, sched = make()
    lrs = []
    for _ in range(20):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
    opt, sched = make()
    for _ in range(8):
        opt.step()
        sched.step()
    saved = (json.loads(json.dumps(opt.state_dict())), json.loads(json.dumps(sched.state_dict())))
    opt2, sched2 = make()
    opt2.load_state_dict(saved[0])
    sched2.load_state_dict(saved[1])
    resumed = []
    for _ in range(12):
        opt2.step()
        sched2.step()
        resumed.append(sched2.get_last_lr())
    assert resumed == lrs[8:]


def test_plateau_state_dict_round_trip():
    opt = optim.SGD([ax.zeros(2, requires_grad=True)], lr=0.1)
    sched = lr_scheduler.ReduceLROnPlateau(opt, mode="max", patience=1)
    for m in (1.0, 0.5, 0.5):
        sched.step(ax.tensor(m))  # a 1-element Tensor metric works as in torch
    saved = sched.state_dict()
    _assert_plain(saved)
    sched2 = lr_scheduler.ReduceLROnPlateau(optim.SGD([ax.zeros(2, requires_grad=True)], lr=0.1))
    sched2.load_state_dict(saved)
    assert sched2.mode == "max" and sched2.best == 1.0 and sched2.is_better(2.0, 1.0)


def test_scheduler_errors():
    opt = optim.SGD([ax.zeros(2, requires_grad=True)], lr=0.1)
    with pytest.raises(TypeError, match=r"\[StepLR\] list is not an Optimizer"):
        lr_scheduler.StepLR([], step_size=2)
    with pytest.raises(KeyError, match=r"initial_lr"):
        lr_scheduler.ExponentialLR(opt, gamma=0.9, last_epoch=3)
    with pytest.raises(ValueError, match=r"\[StepLR\] step_size must be a positive integer"):
        lr_scheduler.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match=r"\[CosineAnnealingLR\] T_max must be a positive integer"):
        lr_scheduler.CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(ValueError, match=r"\[ReduceLROnPlateau\] factor should be < 1.0"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match=r"\[ReduceLROnPlateau\] mode 'up' is unknown"):
        lr_scheduler.ReduceLROnPlateau(opt, mode="up")
    with pytest.raises(ValueError, match=r"\[ReduceLROnPlateau\] threshold mode 'x' is unknown"):
        lr_scheduler.ReduceLROnPlateau(opt, threshold_mode="x")
    with pytest.raises(ValueError, match=r"\[ReduceLROnPlateau\] expected 1 min_lrs"):
        lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0.1, 0.2])
    with pytest.raises(TypeError, match=r"\[ReduceLROnPlateau\] dict is not an Optimizer"):
        lr_scheduler.ReduceLROnPlateau({})


def test_cosine_recursion_is_the_closed_form():
    opt = optim.SGD([ax.zeros(1, requires_grad=True)], lr=0.2)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=5, eta_min=0.02)
    for epoch in range(1, 16):
        sched.step()
        expected = 0.02 + (0.2 - 0.02) * (1 + math.cos(math.pi * epoch / 5)) / 2
        assert sched.get_last_lr()[0] == pytest.approx(expected, abs=1e-12)
