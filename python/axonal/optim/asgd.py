"""Averaged SGD: SGD with a decaying step size eta and a running average ``ax`` of the iterates."""
from __future__ import annotations

from .. import backend
from .._typing import ParamsT
from . import _checks
from .optimizer import Optimizer


class ASGD(Optimizer):
    """Per step t (from 1), with d = grad (negated if maximize) + weight_decay * p:
    p *= 1 - lambd * eta; p -= eta * d; ax += mu * (p - ax) (ax = p while mu == 1);
    then eta = lr / (1 + lambd * lr * t) ** alpha and mu = 1 / max(1, t - t0).
    State per parameter: step, eta, mu, ax (the averaged parameters).
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, maximize=maximize)
        self._check(defaults)
        super().__init__(params, defaults)

    def _check(self, o):
        _checks.at_least_zero("ASGD", o, "lr", "learning rate")
        _checks.at_least_zero("ASGD", o, "weight_decay", "weight_decay value")

    def _init_state(self, p, state, group):
        xp = backend.of(p).xp
        state["step"] = 0
        state["eta"] = float(group["lr"])
        state["mu"] = 1.0
        state["ax"] = xp.zeros_like(p)

    def _update(self, p, g, state, group):
        xp = backend.of(p).xp
        d_buf, tmp = self._scratch.get(p, 2)
        d = self._effective_grad(p, g, group["weight_decay"], group["maximize"], d_buf)
        state["step"] += 1
        step, eta, mu, ax = state["step"], state["eta"], state["mu"], state["ax"]
        p *= 1 - group["lambd"] * eta
        xp.multiply(d, -eta, out=tmp)
        p += tmp
        if mu != 1:
            xp.subtract(p, ax, out=tmp)
            tmp *= mu
            ax += tmp
        else:
            ax[...] = p
        lr = group["lr"]
        state["eta"] = lr / ((1 + group["lambd"] * lr * step) ** group["alpha"])
        state["mu"] = 1 / max(1, step - group["t0"])
