"""embedding: rows of a weight matrix picked by integer indices, with torch's padding_idx, max_norm and
scale_grad_by_freq; backward is the backend's scatter-add (a C++ kernel on the CPU)."""
import numbers

import numpy as np

from .. import backend
from ..autograd.function import Function
from . import _checks


class Embedding(Function):
    fresh_grads = True  # the scatter-add returns a new array

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        ctx.meta = (weight.shape[0], indices, padding_idx, scale_grad_by_freq)
        return ctx.xp.take(weight, indices, axis=0)

    @staticmethod
    def backward(ctx, g):
        V, indices, padding_idx, scale_by_freq = ctx.meta
        xp = ctx.xp
        flat = xp.ascontiguousarray(indices.reshape(-1))
        rows = xp.ascontiguousarray(g.reshape(flat.shape[0], g.shape[-1]))
        if scale_by_freq:  # each row's gradient divided by how often its index occurs in this batch
            counts = xp.bincount(flat, minlength=V)
            rows = rows / counts[flat][:, None].astype(rows.dtype)
        grad_weight = ctx.backend.embedding_backward(rows, flat, V, -1 if padding_idx is None else padding_idx)
        return grad_weight, None, None, None


def _renorm_(weight, indices, max_norm, norm_type):
    """torch.embedding_renorm_: each row referenced by ``indices`` whose norm_type-norm exceeds max_norm is scaled
    by max_norm / (norm + 1e-7), in place (no graph: as in torch, it is not part of the gradient)."""
    data = weight.data
    xp = backend.of(data).xp
    rows = xp.unique(indices.reshape(-1))
    picked = data[rows]
    a = xp.abs(picked)
    if norm_type == 2:
        norms = xp.sqrt((a * a).sum(axis=1))
    elif norm_type == float("inf"):
        norms = a.max(axis=1)
    else:
        norms = (a ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(data.dtype)
    data[rows] = picked * scale[:, None]


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,  # noqa: A002
              sparse=False):
    """Rows of weight (V, D) at the integer indices ``input`` (any shape): output input.shape + (D,)."""
    op = "embedding"
    _checks.tensors(op, input=input, weight=weight)
    _checks.float_tensors(op, weight=weight)
    if weight.ndim != 2:
        raise ValueError(f"[{op}] weight must be 2-D (num_embeddings, embedding_dim), got {weight.shape}")
    if input.dtype.kind not in "iu":
        raise TypeError(f"[{op}] Expected tensor for argument #1 'indices' to have an integer dtype (int64 or int32), "
                        f"got {input.dtype} with shape {input.shape}")
    if sparse:
        raise NotImplementedError(f"[{op}] sparse gradients are not supported (axonal has no sparse tensors)")
    V = weight.shape[0]
    if padding_idx is not None:
        if not isinstance(padding_idx, numbers.Integral) or not -V <= padding_idx < V:
            raise ValueError(f"[{op}] Padding_idx must be within num_embeddings ({V}), got {padding_idx!r}")
        padding_idx = int(padding_idx) % V
    indices = input.data if input.dtype == np.int64 else input.data.astype(np.int64)
    if indices.size:
        lo, hi = int(indices.min()), int(indices.max())
        if lo < 0 or hi >= V:
            raise IndexError(f"[{op}] index {lo if lo < 0 else hi} is out of range for {V} embeddings "
                             f"(input {input.shape}, weight {weight.shape})")
    if max_norm is not None:
        _renorm_(weight, indices, float(max_norm), float(norm_type))
    return Embedding.apply(weight, indices, padding_idx, bool(scale_grad_by_freq))
