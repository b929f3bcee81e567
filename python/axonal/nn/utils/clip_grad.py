"""clip_grad_norm_ / clip_grad_value_: rescale or clamp the gradients of parameters in place, as torch does."""
import math

from ... import backend
from ...grad_mode import no_grad
from ...ops.shape import stack
from ...tensor import Tensor


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scales all gradients by max_norm / total_norm when the total norm (of all of them together) is larger;
    returns the total norm (a 0-d tensor)."""
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return Tensor._make(backend.cpu.xp.asarray(0.0, dtype="float32"))
    with no_grad():
        if norm_type == math.inf:
            per = [g.abs().max() for g in grads]
            total = per[0] if len(per) == 1 else _stack_reduce(per, "max")
        else:
            per = [(g.abs() ** norm_type).sum() for g in grads]
            total = (per[0] if len(per) == 1 else _stack_reduce(per, "sum")) ** (1.0 / norm_type)
        if error_if_nonfinite and not math.isfinite(float(total.item())):
            raise RuntimeError(f"[clip_grad_norm_] the total norm of order {norm_type} of the gradients is "
                               f"non-finite ({float(total.item())}); set error_if_nonfinite=False to clip anyway")
        coef = (max_norm / (total + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.data *= coef.data.astype(g.dtype)
    return total


def _stack_reduce(values, how):

    stacked = stack([v.to(values[0].device) for v in values])
    return stacked.max() if how == "max" else stacked.sum()


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamps every gradient element to [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        xp = backend.of(g.data).xp
        xp.clip(g.data, -clip_value, clip_value, out=g.data)
