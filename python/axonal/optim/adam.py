"""Adam: bias-corrected running averages of the gradient and its square (L2 or decoupled weight decay)."""
from __future__ import annotations

import math

from .. import backend
from .._typing import ParamsT
from . import _checks
from .optimizer import Optimizer


class Adam(Optimizer):
    """Adam, and AdamW with ``decoupled_weight_decay`` (torch.optim's rules and defaults).

    Per step t (from 1), with d = grad (negated if maximize), plus weight_decay * p unless the decay is
    decoupled, in which case p *= 1 - lr * weight_decay first (AdamW):
    exp_avg += (1 - beta1) * (d - exp_avg); exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * d * d;
    amsgrad: max_exp_avg_sq = max(max_exp_avg_sq, exp_avg_sq), used in place of exp_avg_sq below;
    p -= lr / (1 - beta1**t) * exp_avg / (sqrt(exp_avg_sq) / sqrt(1 - beta2**t) + eps).

    Args:
        params: ``model.parameters()`` or parameter groups (dicts with "params" and per-group options).
        lr: the learning rate.
        betas: the decay rates of the first and second moment averages.
        eps: added to the denominator.
        weight_decay: L2 penalty (or decoupled decay, see above).
        amsgrad: use the running maximum of the second moment.
        maximize: ascend the objective instead.
        decoupled_weight_decay: decay the weights directly (AdamW).
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False) -> None:
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        self._check(defaults)
        super().__init__(params, defaults)

    def _check(self, o):
        name = self._name
        _checks.at_least_zero(name, o, "lr", "learning rate")
        _checks.at_least_zero(name, o, "eps", "epsilon value")
        _checks.beta_in_range(name, o["betas"])
        _checks.at_least_zero(name, o, "weight_decay", "weight_decay value")

    def _init_state(self, p, state, group):
        xp = backend.of(p).xp
        state["step"] = 0
        state["exp_avg"] = xp.zeros_like(p)
        state["exp_avg_sq"] = xp.zeros_like(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = xp.zeros_like(p)

    def _update(self, p, g, state, group):
        bk = backend._by_type[type(p)]
        xp = bk.xp
        lr, wd = group["lr"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        max_sq = state["max_exp_avg_sq"] if group["amsgrad"] else None
        ready = self._use_fused and (bk.fused_update_ready(p, g, exp_avg, exp_avg_sq) if max_sq is None
                                     else bk.fused_update_ready(p, g, exp_avg, exp_avg_sq, max_sq))
        if ready:  # one fused pass; the same operations, in the same order, as the NumPy code below
            state["step"] += 1
            step = state["step"]
            bk.adam_update(p, g, exp_avg, exp_avg_sq, max_sq, lr, beta1, beta2, group["eps"], wd,
                           group["decoupled_weight_decay"], group["maximize"], lr / (1 - beta1**step),
                           math.sqrt(1 - beta2**step))
            return
        d_buf, tmp = self._scratch.get(p, 2)
        if group["decoupled_weight_decay"]:
            if wd != 0:
                p *= 1 - lr * wd
            d = self._effective_grad(p, g, 0, group["maximize"], d_buf)
        else:
            d = self._effective_grad(p, g, wd, group["maximize"], d_buf)
        state["step"] += 1
        step = state["step"]

        xp.subtract(d, exp_avg, out=tmp)
        tmp *= 1 - beta1
        exp_avg += tmp
        exp_avg_sq *= beta2
        xp.multiply(d, d, out=tmp)
        tmp *= 1 - beta2
        exp_avg_sq += tmp

        step_size = lr / (1 - beta1**step)
        bias_correction2_sqrt = math.sqrt(1 - beta2**step)
        second = exp_avg_sq
        if group["amsgrad"]:
            second = state["max_exp_avg_sq"]
            xp.maximum(second, exp_avg_sq, out=second)
        xp.sqrt(second, out=tmp)
        tmp /= bias_correction2_sqrt
        tmp += group["eps"]
        xp.divide(exp_avg, tmp, out=tmp)
        tmp *= -step_size
        p += tmp
