"""In-place forms of ops (``t.add_(x)``, ``t += x``, ``t.clamp_()``, ...) and the version counter that guards
saved values.

- A tensor outside any graph (no grad required, or under no_grad) is updated in its own memory, so views and
  NumPy arrays sharing it see the change, and its version goes up.
- A leaf that requires grad may only be updated under no_grad (torch's rule), as an optimizer does.
- A tensor produced by an op, inside a graph, records the in-place op as a node: it takes the result's values
  and graph (its memory is rebound; the old values stay with the ops that saved them) and its version goes up.

Every op records the versions of its tensor inputs; backward checks them, once any in-place update happened in
the process, and raises when a tensor an op used was modified afterwards (its saved values, or the gradient
routing through it, would be wrong). The check is conservative: it also refuses cases torch would allow.
"""
from .. import backend
from ..autograd.versions import inplace_updates
from ..grad_mode import _state, no_grad
from ..tensor import Tensor


def apply_inplace(t, name, compute):
    """t's values replaced by compute(t) (a Tensor), following the rules in the module docstring."""
    if not isinstance(t, Tensor):
        raise TypeError(f"[{name}] expects a Tensor, got {type(t).__name__}")
    inplace_updates.updates += 1
    if t.requires_grad and _state.enabled:
        if t._ctx is None:
            raise RuntimeError(f"[{name}] a leaf tensor that requires grad (shape {t.shape}) is being used in an "
                               "in-place operation; wrap the update in `with axonal.no_grad():`")
        old = Tensor._make(t.data)
        old._ctx, old.requires_grad, old._version = t._ctx, True, t._version
        result = compute(old)
        if result.shape != t.shape:
            raise RuntimeError(f"[{name}] the result has shape {result.shape}, which cannot be written into a "
                               f"tensor of shape {t.shape} in place")
        t.data = result.data if result.dtype == t.dtype else result.data.astype(t.dtype)
        t._ctx, t.requires_grad = result._ctx, result.requires_grad
        t._version += 1
        return t
    with no_grad():
        result = compute(t)
    data = result.data
    if type(data) is not type(t.data):
        raise RuntimeError(f"[{name}] expected all tensors on one device, got {t.device} and {result.device}")
    if data.shape != t.shape:
        try:
            data = backend.of(data).xp.broadcast_to(data, t.shape)
        except ValueError:
            raise RuntimeError(f"[{name}] the result has shape {data.shape}, which cannot be written into a tensor "
                               f"of shape {t.shape} in place") from None
    if data.dtype.kind == "f" and t.dtype.kind != "f":
        raise RuntimeError(f"[{name}] result type {data.dtype} can't be cast to the desired output type {t.dtype}")
    t.data[...] = data
    t._version += 1
    return t
