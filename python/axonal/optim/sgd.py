"""SGD with optional momentum (heavy-ball or Nesterov), dampening, L2 weight decay and maximize."""
from __future__ import annotations

from .. import backend
from .._typing import ParamsT
from . import _checks
from .optimizer import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum (heavy-ball or Nesterov), dampening and weight decay.

    Per step, with d = grad (negated if maximize) + weight_decay * p:
    buf = d on the first step, then momentum * buf + (1 - dampening) * d;
    d = d + momentum * buf (nesterov) or buf; p -= lr * d.

    Args:
        params: ``model.parameters()`` or parameter groups (dicts with "params" and per-group options).
        lr: the learning rate.
        momentum: the momentum factor (0: plain SGD).
        dampening: the dampening of the momentum.
        weight_decay: L2 penalty added to the gradient.
        nesterov: Nesterov momentum (needs momentum > 0 and no dampening).
        maximize: ascend the objective instead.
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                        maximize=maximize)
        self._check(defaults)
        super().__init__(params, defaults)

    def _check(self, o):
        _checks.at_least_zero("SGD", o, "lr", "learning rate")
        _checks.at_least_zero("SGD", o, "momentum", "momentum value")
        _checks.at_least_zero("SGD", o, "weight_decay", "weight_decay value")
        if o["nesterov"] and (o["momentum"] <= 0 or o["dampening"] != 0):
            raise ValueError("[SGD] Nesterov momentum requires a momentum and zero dampening")

    def _update(self, p, g, state, group):
        bk = backend._by_type[type(p)]
        xp = bk.xp
        momentum = group["momentum"]
        buf = state.get("momentum_buffer") if momentum != 0 else None
        ready = self._use_fused and (bk.fused_update_ready(p, g) if buf is None else bk.fused_update_ready(p, g, buf))
        if ready:  # one fused pass; the same operations, in the same order, as the NumPy code below
            first = momentum != 0 and buf is None
            if first:
                buf = xp.empty_like(p)  # the kernel fills it with this step's direction
            bk.sgd_update(p, g, buf, group["lr"], momentum, group["dampening"], group["weight_decay"],
                          group["nesterov"], group["maximize"], first)
            if first:
                state["momentum_buffer"] = buf
            return
        d_buf, tmp = self._scratch.get(p, 2)
        d = self._effective_grad(p, g, group["weight_decay"], group["maximize"], d_buf)
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = xp.array(d, dtype=p.dtype, copy=True)
            else:
                buf *= momentum
                if group["dampening"] == 0:
                    buf += d
                else:
                    xp.multiply(d, 1 - group["dampening"], out=tmp)
                    buf += tmp
            if group["nesterov"]:
                xp.multiply(buf, momentum, out=tmp)
                xp.add(d, tmp, out=tmp)
                d = tmp
            else:
                d = buf
        xp.multiply(d, -group["lr"], out=tmp)
        p += tmp
