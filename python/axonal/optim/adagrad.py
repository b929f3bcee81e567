"""Adagrad: per-coordinate steps scaled by the root of the summed squared gradients."""
from __future__ import annotations

from .. import backend
from .._typing import ParamsT
from . import _checks
from .optimizer import Optimizer


class Adagrad(Optimizer):
    """Per step t (from 1), with d = grad (negated if maximize) + weight_decay * p:
    sum += d * d; p -= lr / (1 + (t - 1) * lr_decay) * d / (sqrt(sum) + eps).
    State (created at construction, as torch does): step, sum (starts at initial_accumulator_value).
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        self._check(defaults)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p.data, self.state[p], group)

    def _check(self, o):
        _checks.at_least_zero("Adagrad", o, "lr", "learning rate")
        _checks.at_least_zero("Adagrad", o, "lr_decay", "lr_decay value")
        _checks.at_least_zero("Adagrad", o, "weight_decay", "weight_decay value")
        _checks.at_least_zero("Adagrad", o, "initial_accumulator_value", "initial_accumulator_value value")
        _checks.at_least_zero("Adagrad", o, "eps", "epsilon value")

    def _init_state(self, p, state, group):
        xp = backend.of(p).xp
        state["step"] = 0
        state["sum"] = xp.full_like(p, group["initial_accumulator_value"])

    def _update(self, p, g, state, group):
        xp = backend.of(p).xp
        d_buf, tmp = self._scratch.get(p, 2)
        d = self._effective_grad(p, g, group["weight_decay"], group["maximize"], d_buf)
        state["step"] += 1
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        total = state["sum"]
        xp.multiply(d, d, out=tmp)
        total += tmp
        xp.sqrt(total, out=tmp)
        tmp += group["eps"]
        xp.divide(d, tmp, out=tmp)
        tmp *= -clr
        p += tmp
