"""RMSprop: steps scaled by a running average of squared gradients, optionally centered and with momentum."""
from __future__ import annotations

from .. import backend
from .._typing import ParamsT
from . import _checks
from .optimizer import Optimizer


class RMSprop(Optimizer):
    """Per step, with d = grad (negated if maximize) + weight_decay * p:
    square_avg = alpha * square_avg + (1 - alpha) * d * d;
    centered: grad_avg += (1 - alpha) * (d - grad_avg), avg = sqrt(square_avg - grad_avg**2) + eps;
    otherwise avg = sqrt(square_avg) + eps;
    momentum > 0: buf = momentum * buf + d / avg, p -= lr * buf; otherwise p -= lr * d / avg.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered, weight_decay=weight_decay,
                        maximize=maximize)
        self._check(defaults)
        super().__init__(params, defaults)

    def _check(self, o):
        _checks.at_least_zero("RMSprop", o, "lr", "learning rate")
        _checks.at_least_zero("RMSprop", o, "eps", "epsilon value")
        _checks.at_least_zero("RMSprop", o, "momentum", "momentum value")
        _checks.at_least_zero("RMSprop", o, "weight_decay", "weight_decay value")
        _checks.at_least_zero("RMSprop", o, "alpha", "alpha value")

    def _init_state(self, p, state, group):
        xp = backend.of(p).xp
        state["step"] = 0
        state["square_avg"] = xp.zeros_like(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = xp.zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = xp.zeros_like(p)

    def _update(self, p, g, state, group):
        xp = backend.of(p).xp
        d_buf, tmp = self._scratch.get(p, 2)
        d = self._effective_grad(p, g, group["weight_decay"], group["maximize"], d_buf)
        state["step"] += 1
        alpha = group["alpha"]
        square_avg = state["square_avg"]
        square_avg *= alpha
        xp.multiply(d, d, out=tmp)
        tmp *= 1 - alpha
        square_avg += tmp
        if group["centered"]:
            grad_avg = state["grad_avg"]
            xp.subtract(d, grad_avg, out=tmp)
            tmp *= 1 - alpha
            grad_avg += tmp
            xp.multiply(grad_avg, grad_avg, out=tmp)
            xp.subtract(square_avg, tmp, out=tmp)
            xp.sqrt(tmp, out=tmp)
        else:
            xp.sqrt(square_avg, out=tmp)
        tmp += group["eps"]
        xp.divide(d, tmp, out=tmp)
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += tmp
            xp.multiply(buf, -group["lr"], out=tmp)
        else:
            tmp *= -group["lr"]
        p += tmp
