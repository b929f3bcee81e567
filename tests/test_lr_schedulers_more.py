"""The schedulers of optim/schedulers_more.py give torch's lr (and momentum) sequences, float for float."""
import math

import pytest

import axonal as ax

torch = pytest.importorskip("torch")


def _pair(opt_name, **opt_kw):
    pa = ax.nn.Parameter(ax.zeros(3))
    pt = torch.nn.Parameter(torch.zeros(3))
    return (getattr(ax.optim, opt_name)([pa], lr=0.1, **opt_kw), getattr(torch.optim, opt_name)([pt], lr=0.1, **opt_kw))


CASES = [
    ("LambdaLR", "SGD", {}, lambda o, lib: lib.optim.lr_scheduler.LambdaLR(o, lambda e: 0.95 ** e + 0.01 * e)),
    ("MultiplicativeLR", "SGD", {}, lambda o, lib: lib.optim.lr_scheduler.MultiplicativeLR(o, lambda e: 0.9)),
    ("MultiStepLR", "SGD", {}, lambda o, lib: lib.optim.lr_scheduler.MultiStepLR(o, [3, 7, 7, 12], gamma=0.5)),
    ("ConstantLR", "SGD", {}, lambda o, lib: lib.optim.lr_scheduler.ConstantLR(o, factor=0.25, total_iters=4)),
    ("LinearLR", "SGD", {}, lambda o, lib: lib.optim.lr_scheduler.LinearLR(o, start_factor=0.2, end_factor=0.9,
                                                                             total_iters=6)),
    ("WarmRestarts", "SGD", {}, lambda o, lib: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 3, T_mult=2,
                                                                                                 eta_min=0.01)),
    ("OneCycle-cos-sgd", "SGD", {"momentum": 0.9}, lambda o, lib: lib.optim.lr_scheduler.OneCycleLR(
        o, max_lr=1.0, total_steps=20)),
    ("OneCycle-linear-adam", "Adam", {}, lambda o, lib: lib.optim.lr_scheduler.OneCycleLR(
        o, max_lr=0.01, epochs=4, steps_per_epoch=5, anneal_strategy="linear", pct_start=0.25)),
    ("OneCycle-three-phase", "SGD", {"momentum": 0.9}, lambda o, lib: lib.optim.lr_scheduler.OneCycleLR(
        o, max_lr=0.5, total_steps=19, three_phase=True, div_factor=10)),
]


@pytest.mark.parametrize("name, opt_name, opt_kw, make", CASES, ids=[c[0] for c in CASES])
def test_lr_sequence_matches_torch(name, opt_name, opt_kw, make):
    oa, ot = _pair(opt_name, **opt_kw)
    sa, st = make(oa, ax), make(ot, torch)
    seq_a, seq_t = [], []
    for _ in range(19):
        g_a, g_t = oa.param_groups[0], ot.param_groups[0]
        seq_a.append((g_a["lr"], g_a.get("momentum", g_a.get("betas", (None,))[0])))
        seq_t.append((g_t["lr"], g_t.get("momentum", g_t.get("betas", (None,))[0])))
        oa.step(), ot.step()
        sa.step(), st.step()
    for (la, ma), (lt, mt) in zip(seq_a, seq_t):
        assert math.isclose(la, lt, rel_tol=1e-12, abs_tol=1e-15), (seq_a, seq_t)
        assert ma == mt or math.isclose(ma, mt, rel_tol=1e-12)
    assert sa.get_last_lr() == pytest.approx(st.get_last_lr(), rel=1e-12)


def test_one_cycle_refuses_too_many_steps():
    oa, _ = _pair("SGD", momentum=0.9)
    s = ax.optim.lr_scheduler.OneCycleLR(oa, max_lr=1.0, total_steps=3)
    for _ in range(3):
        s.step()
    with pytest.raises(ValueError, match="total number of steps is 3"):
        s.step()
