"""Loss functions with torch's definitions and reductions ('mean' | 'sum' | 'none').

cross_entropy is one fused Function (log-softmax + NLL + label smoothing): its gradient is simply
softmax * sum(q) - q for the target weights q, with no intermediate log-probability graph.
"""
import numbers

import numpy as np

from .. import backend
from ..autograd.function import Function
from ..errors import ShapeError
from ..grad_mode import is_grad_enabled
from ..tensor import Tensor
from .elementwise import where

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(op, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"[{op}] reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _same_shape(op, input, target):
    if input.shape != target.shape:
        raise ShapeError(f"[{op}] input and target must have the same shape, got input {input.shape}, "
                         f"target {target.shape}")


def _as_tensor(x, like):
    """A target given as an array, list or number, as a tensor on ``like``'s device and of its dtype."""
    if isinstance(x, Tensor):
        return x
    bk = backend.of(like.data)
    if type(x) is bk.array_type:
        return Tensor._make(x.astype(like.dtype, copy=False))
    return Tensor._make(bk.from_host(np.asarray(x, dtype=like.dtype)))


def mse_loss(input, target, reduction="mean"):
    _check_reduction("mse_loss", reduction)
    target = _as_tensor(target, input)
    _same_shape("mse_loss", input, target)
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input, target, reduction="mean"):
    _check_reduction("l1_loss", reduction)
    target = _as_tensor(target, input)
    _same_shape("l1_loss", input, target)
    return _reduce((input - target).abs(), reduction)


def _classes_last(xp, x):
    """(N, C, d1, ...) -> (N*d1*..., C): the class axis last, one row per prediction."""
    if x.ndim == 2:
        return x
    return xp.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _rows_back(xp, rows, shape):
    """Inverse of _classes_last for an (M, C) array."""
    if len(shape) == 2:
        return rows
    moved = rows.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],))
    return xp.moveaxis(moved, -1, 1)


class CrossEntropy(Function):
    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction, smoothing):
        xp = ctx.xp
        logits = _classes_last(xp, x)
        M, C = logits.shape
        shifted = logits - logits.max(axis=1, keepdims=True)
        logp = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
        w = xp.ones(C, dtype=x.dtype) if weight is None else weight.astype(x.dtype, copy=False)
        if target.dtype.kind in "iu":  # class indices
            t = target.reshape(-1)
            valid = t != ignore_index
            t_safe = xp.where(valid, t, 0)
            q = xp.zeros((M, C), dtype=x.dtype)
            q[xp.arange(M), t_safe] = (1 - smoothing) * w[t_safe]
            if smoothing:
                q += (smoothing / C) * w
            q *= valid[:, None]
            denom = w[t_safe][valid].sum()
        else:  # class probabilities, same shape as the input
            p = _classes_last(xp, target)
            if smoothing:
                p = p * (1 - smoothing) + smoothing / C
            q = (p * w).astype(x.dtype, copy=False)
            denom = M
        per_row = -(q * logp).sum(axis=1)
        ctx.save_for_backward(logp, q, w)
        ctx.shape, ctx.reduction, ctx.smoothing = x.shape, reduction, smoothing
        if reduction == "mean":
            ctx.scale = _reciprocal(denom)
            return (per_row.sum() * ctx.scale).astype(x.dtype)
        if reduction == "sum":
            return per_row.sum().astype(x.dtype)
        return per_row.reshape((x.shape[0],) + tuple(x.shape[2:]))

    @staticmethod
    def backward(ctx, g):
        logp, q, w = ctx.saved
        xp = ctx.xp
        scale = g.reshape(-1, 1) if ctx.reduction == "none" else g * (ctx.scale if ctx.reduction == "mean" else 1.0)
        grad = xp.exp(logp) * q.sum(axis=1, keepdims=True) - q
        grad *= scale
        gt = None
        if ctx.needs_input_grad[1]:  # probability targets: d/dp of -sum_c (p (1 - s) + s / C) w log_softmax
            gt = _rows_back(xp, -(1 - ctx.smoothing) * w * logp * scale, ctx.shape)
        return _rows_back(xp, grad, ctx.shape), gt, None, None, None, None


def _reciprocal(total):
    """1 / total for the 'mean' reduction; NaN when total is 0 (every target ignored), as torch gives. A device
    total stays on the device (no sync)."""
    if isinstance(total, (numbers.Number, np.generic)):
        return np.float64(np.nan) if total == 0 else 1.0 / np.float64(total)
    with np.errstate(divide="ignore"):
        return backend.of(total).xp.where(total == 0, np.nan, 1.0 / total)


class SoftmaxCrossEntropy(Function):
    """cross_entropy for (N, C) logits and int64 class indices in one kernel call: log-softmax, the loss, its sum
    and the weight total, and (when a gradient will be wanted) d(sum of losses)/d(logits), all in one pass
    over the logits. Backward is then one scaling of the saved gradient."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction, smoothing):
        need_grad = ctx.needs_input_grad[0] and is_grad_enabled()
        rows, loss_sum, weight_sum, dlogits = ctx.backend.softmax_cross_entropy(
            x, target, weight, ignore_index, smoothing, need_grad)
        ctx.save_for_backward(dlogits)
        ctx.reduction = reduction
        if reduction == "mean":
            ctx.scale = _reciprocal(weight_sum)
            return (loss_sum * ctx.scale).astype(x.dtype)
        if reduction == "sum":
            return loss_sum.astype(x.dtype)
        return rows

    @staticmethod
    def backward(ctx, g):
        (dlogits,) = ctx.saved
        if ctx.reduction == "none":
            grad = dlogits * g.reshape(-1, 1)
        else:
            grad = dlogits * (g * (ctx.scale if ctx.reduction == "mean" else 1.0))
        return grad, None, None, None, None, None


def _fused_ce_ready(input, target, w, ignore_index):
    """The kernel's case: (N, C) float logits and (N,) int64 targets it can read in place (weight likewise)."""
    if input.ndim != 2 or isinstance(ignore_index, bool) or not isinstance(ignore_index, (int, np.integer)):
        return False
    if not -(2**63) <= ignore_index < 2**63:
        return False
    x = input.data
    return backend.of(x).fused_ce_ready(x, target.data, w)


def _target_tensor(target, input):
    """Class indices or probabilities as a tensor on the input's device."""
    if isinstance(target, Tensor):
        return target
    bk = backend.of(input.data)
    return Tensor._make(target if type(target) is bk.array_type else bk.from_host(np.asarray(target)))


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """input: logits (N, C) or (N, C, d1, ...); target: class indices (N, d1, ...) or probabilities like input."""
    _check_reduction("cross_entropy", reduction)
    if not isinstance(input, Tensor):
        raise TypeError(f"[cross_entropy] input must be a Tensor, got {type(input).__name__}")
    target = _target_tensor(target, input)
    if input.ndim < 2:
        raise ValueError(f"[cross_entropy] input must be (N, C, ...) logits, got {input.shape}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"[cross_entropy] label_smoothing must be in [0, 1], got {label_smoothing}")
    C = input.shape[1]
    w = _class_weight("cross_entropy", weight, C, input)
    if target.dtype.kind in "iu":
        expected = (input.shape[0],) + tuple(input.shape[2:])
        if target.shape != expected:
            raise ValueError(f"[cross_entropy] class-index target must have shape {expected}, got {target.shape} "
                             f"(input {input.shape})")
        if input.ndim == 2:
            if w is not None and w.dtype != input.dtype and w.dtype.kind in "fiu":
                w = w.astype(input.dtype)  # what the general path does inside, here so that the kernel can take it
            if _fused_ce_ready(input, target, w, ignore_index):
                # The kernel checks the targets' range itself (IndexError with the same message).
                return SoftmaxCrossEntropy.apply(input, target, w, int(ignore_index), reduction, float(label_smoothing))
        _check_targets("cross_entropy", target, ignore_index, C, input.shape)
    elif target.dtype.kind == "f":
        if target.shape != input.shape:
            raise ValueError(f"[cross_entropy] probability target must match input shape {input.shape}, "
                             f"got {target.shape}")
    else:
        raise TypeError("[cross_entropy] target must be int64 class indices or float probabilities, "
                        f"got {target.dtype}")
    return CrossEntropy.apply(input, target, w, ignore_index, reduction, float(label_smoothing))


def _check_targets(op, target, ignore_index, C, input_shape):
    """IndexError naming the first class index out of [0, C) that is not ignore_index (one device sync)."""
    t = target.data
    bad = (t != ignore_index) & ((t < 0) | (t >= C))
    if bad.any():
        first = int(t[bad][0])
        raise IndexError(f"[{op}] target {first} is out of range for {C} classes (input {input_shape})")


def _class_weight(op, weight, C, input):
    """The per-class weight (a Tensor, an array or a list) as an array of shape (C,) on the input's device,
    or None."""
    if weight is None:
        return None
    w = _as_tensor(weight, input).data if not isinstance(weight, Tensor) else weight.data
    if w.shape != (C,):
        raise ShapeError(f"[{op}] weight must have shape ({C},), got {w.shape}")
    return w


class NLL(Function):
    @staticmethod
    def forward(ctx, logp, target, weight, ignore_index, reduction):
        xp = ctx.xp
        rows = _classes_last(xp, logp)
        M, C = rows.shape
        t = target.reshape(-1)
        valid = t != ignore_index
        t_safe = xp.where(valid, t, 0)
        w = xp.ones(C, dtype=logp.dtype) if weight is None else weight.astype(logp.dtype, copy=False)
        wt = w[t_safe] * valid
        per_row = -rows[xp.arange(M), t_safe] * wt
        ctx.save_for_backward(t_safe, wt)
        ctx.shape, ctx.reduction = logp.shape, reduction
        if reduction == "mean":
            ctx.scale = _reciprocal(wt.sum())
            return (per_row.sum() * ctx.scale).astype(logp.dtype)
        if reduction == "sum":
            return per_row.sum().astype(logp.dtype)
        return per_row.reshape((logp.shape[0],) + tuple(logp.shape[2:]))

    @staticmethod
    def backward(ctx, g):
        t_safe, wt = ctx.saved
        xp = ctx.xp
        M = t_safe.size
        C = ctx.shape[1]
        grad = xp.zeros((M, C), dtype=wt.dtype)
        coef = -wt * (g.reshape(-1) if ctx.reduction == "none" else g * (ctx.scale if ctx.reduction == "mean" else 1))
        grad[xp.arange(M), t_safe] = coef
        return _rows_back(xp, grad, ctx.shape), None, None, None, None


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """input: log-probabilities (N, C) or (N, C, d1, ...); target: class indices."""
    _check_reduction("nll_loss", reduction)
    if not isinstance(input, Tensor):
        raise TypeError(f"[nll_loss] input must be a Tensor, got {type(input).__name__}")
    target = _target_tensor(target, input)
    if input.ndim < 2:
        raise ValueError(f"[nll_loss] input must be (N, C, ...) log-probabilities, got {input.shape}")
    expected = (input.shape[0],) + tuple(input.shape[2:])
    if target.shape != expected or target.dtype.kind not in "iu":
        raise ValueError(f"[nll_loss] target must be int class indices of shape {expected}, "
                         f"got {target.dtype} {target.shape}")
    _check_targets("nll_loss", target, ignore_index, input.shape[1], input.shape)
    w = _class_weight("nll_loss", weight, input.shape[1], input)
    return NLL.apply(input, target, w, ignore_index, reduction)


class BCE(Function):
    @staticmethod
    def forward(ctx, p, t, weight, reduction):
        # torch clamps the logs at -100 so that p = 0 or 1 gives a finite loss.
        xp = ctx.xp
        with np.errstate(divide="ignore"):
            log_p = xp.maximum(xp.log(p), -100)
            log_1mp = xp.maximum(xp.log1p(-p), -100)
        loss = -(t * log_p + (1 - t) * log_1mp)
        if weight is not None:
            loss = loss * weight
        ctx.save_for_backward(p, t, weight, log_p, log_1mp)
        ctx.reduction, ctx.count = reduction, loss.size
        # A float64 weight or target must not turn a float32 loss into float64 (as in BCEWithLogits).
        return _reduce_array(loss.astype(p.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, g):
        p, t, weight, log_p, log_1mp = ctx.saved
        grad = (p - t) / ctx.xp.maximum((1 - p) * p, 1e-12)
        gt = None
        if ctx.needs_input_grad[1]:  # a probability target: d/dt of -(t log p + (1 - t) log(1 - p))
            gt = log_1mp - log_p
            gt = _scale_grad(gt if weight is None else gt * weight, g, ctx)
        if weight is not None:
            grad = grad * weight
        return _scale_grad(grad, g, ctx), gt, None, None


class BCEWithLogits(Function):
    @staticmethod
    def forward(ctx, x, t, weight, pos_weight, reduction):
        # log(1 + exp(-|x|)) + max(-x, 0) == -log(sigmoid(x)), without overflow.
        xp = ctx.xp
        log_sig_neg = xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(-x, 0)
        if pos_weight is None:
            loss = (1 - t) * x + log_sig_neg
        else:
            loss = (1 - t) * x + (1 + (pos_weight - 1) * t) * log_sig_neg
        if weight is not None:
            loss = loss * weight
        ctx.save_for_backward(x, t, weight, pos_weight)
        ctx.reduction, ctx.count = reduction, loss.size
        return _reduce_array(loss.astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, g):
        x, t, weight, pos_weight = ctx.saved
        xp = ctx.xp
        e = xp.exp(-xp.abs(x))
        sig = xp.where(x >= 0, 1 / (1 + e), e / (1 + e))
        if pos_weight is None:
            grad = sig - t
        else:
            grad = (1 - t) - (1 + (pos_weight - 1) * t) * (1 - sig)
        gt = None
        if ctx.needs_input_grad[1]:  # d/dt of (1 - t) x + (1 + (pw - 1) t) log(1 + exp(-x))
            gt = -x if pos_weight is None else -x + (pos_weight - 1) * (xp.log1p(e) + xp.maximum(-x, 0))
            gt = _scale_grad((gt if weight is None else gt * weight).astype(x.dtype, copy=False), g, ctx)
        if weight is not None:
            grad = grad * weight
        return _scale_grad(grad.astype(x.dtype, copy=False), g, ctx), gt, None, None, None


def _reduce_array(loss, reduction):
    if reduction == "mean":
        return loss.mean().astype(loss.dtype)
    if reduction == "sum":
        return loss.sum().astype(loss.dtype)
    return loss


def _scale_grad(grad, g, ctx):
    if ctx.reduction == "mean":
        return grad * (g / ctx.count)
    return grad * g


def _on_device(x, input):
    """An optional weight (a Tensor, an array or a list) as an array on the input's device, or None."""
    return None if x is None else _as_tensor(x, input).data


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """input: probabilities in [0, 1]; target: same shape."""
    _check_reduction("binary_cross_entropy", reduction)
    target = _as_tensor(target, input)
    _same_shape("binary_cross_entropy", input, target)
    if ((input.data < 0) | (input.data > 1)).any():
        raise ValueError(f"[binary_cross_entropy] input values must be in [0, 1] (input {input.shape}); "
                         "use binary_cross_entropy_with_logits for logits")
    return BCE.apply(input, target, _on_device(weight, input), reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    target = _as_tensor(target, input)
    _same_shape("binary_cross_entropy_with_logits", input, target)
    return BCEWithLogits.apply(input, target, _on_device(weight, input), _on_device(pos_weight, input), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), for d = input - target."""
    _check_reduction("huber_loss", reduction)
    target = _as_tensor(target, input)
    _same_shape("huber_loss", input, target)

    d = input - target
    a = d.abs()
    return _reduce(where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta)), reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (beta = 0: the L1 loss)."""
    _check_reduction("smooth_l1_loss", reduction)
    target = _as_tensor(target, input)
    _same_shape("smooth_l1_loss", input, target)
    if beta == 0:
        return l1_loss(input, target, reduction)

    d = input - target
    a = d.abs()
    return _reduce(where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta), reduction)


def kl_div(input, target, reduction="mean", log_target=False):
    """sum of target * (log target - input), input being log-probabilities (torch's argument order);
    reduction 'batchmean' divides the sum by the batch size (the mathematically correct KL)."""
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"[kl_div] reduction must be one of {_REDUCTIONS + ('batchmean',)}, got {reduction!r}")
    target = _as_tensor(target, input)

    if log_target:
        pointwise = target.exp() * (target - input)
    else:  # 0 * log 0 counts as 0
        positive = target > 0
        pointwise = where(positive, target * (where(positive, target, 1.0).log() - input), 0.0 * input)
    if reduction == "batchmean":
        return pointwise.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(pointwise, reduction)


def one_hot(tensor, num_classes=-1):
    """int64 one-hot rows (..., num_classes) of class indices (num_classes -1: the largest index + 1)."""
    if not isinstance(tensor, Tensor) or tensor.dtype.kind not in "iu":
        raise RuntimeError("[one_hot] expects an int64 tensor of class indices, "
                           f"got {getattr(tensor, 'dtype', tensor)}")
    idx = tensor.data
    xp = backend.of(idx).xp
    if num_classes == -1:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= num_classes):
        raise RuntimeError(f"[one_hot] class values must be in [0, {num_classes}), "
                           f"got {int(idx.min())}..{int(idx.max())}")
    return Tensor._make((idx[..., None] == xp.arange(num_classes)).astype(np.int64))


__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "huber_loss", "kl_div",
    "l1_loss", "mse_loss", "nll_loss", "one_hot", "smooth_l1_loss",
]
