"""AdamW: Adam with decoupled weight decay (p *= 1 - lr * weight_decay before the Adam step)."""
from __future__ import annotations

from .._typing import ParamsT
from .adam import Adam


class AdamW(Adam):
    def __init__(self, params: ParamsT, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize, decoupled_weight_decay=True)
