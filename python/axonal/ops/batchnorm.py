"""Batch normalisation over (N, C, *spatial): batch statistics in training (and the running statistics
updated in place, the variance unbiased, as torch does), the running statistics in evaluation (one scale-shift
per channel), optionally fused with the ReLU after it. The arithmetic is the backend's (C++ / CUDA kernels,
or its array module)."""
from ..autograd.function import Function
from ..errors import ShapeError


class BatchNorm(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps, relu):
        bk = ctx.backend
        if training:
            out, mean, invstd = bk.batch_norm_train(x, weight, bias, running_mean, running_var, eps, momentum, relu)
        else:
            out = bk.batch_norm_eval(x, weight, bias, running_mean, running_var, eps, relu)
            mean, invstd = running_mean, 1.0 / ctx.xp.sqrt(running_var + eps)
        ctx.save_for_backward(x, out if relu else None, mean, invstd, weight)
        ctx.training, ctx.relu = training, relu
        return out

    @staticmethod
    def backward(ctx, g):
        x, out, mean, invstd, weight = ctx.saved
        bk = ctx.backend
        if ctx.training:
            gx, gw, gb = bk.batch_norm_backward(g, x, out, mean, invstd, weight, ctx.relu)
        else:  # the running statistics are constants: one scale per channel
            gx, gw, gb = bk.batch_norm_backward_eval(g, x, out, mean, invstd, weight, ctx.relu)
        needs = ctx.needs_input_grad
        return (gx if needs[0] else None, gw if needs[1] else None, gb if needs[2] else None,
                None, None, None, None, None, None)


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5,
               relu=False):
    """Functional batch norm (torch's argument order). ``relu=True`` applies the ReLU after it in the same pass."""
    if x.ndim < 2:
        raise ShapeError(f"[batch_norm] expects input of at least 2 dims (N, C, ...), got {x.shape}")
    c = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (c,):
            raise ShapeError(f"[batch_norm] {name} must have shape ({c},), got {t.shape} (input {x.shape})")
    use_batch = training or running_mean is None
    if use_batch and x.numel() // c <= 1:
        raise ValueError(f"[batch_norm] expected more than 1 value per channel when training, got input {x.shape}")
    rm = None if running_mean is None else running_mean.data
    rv = None if running_var is None else running_var.data
    if use_batch and not training:  # no running statistics to use: batch statistics, nothing to update
        rm = rv = None
    momentum = 0.0 if momentum is None else float(momentum)  # None (a cumulative average) arrives resolved
    return BatchNorm.apply(x, weight, bias, rm, rv, use_batch, momentum, float(eps), bool(relu))
