"""Reverse-mode differentiation over the graph recorded by Function.apply."""
import numpy as np

from .grad_mode import no_grad


def sum_to_shape(grad, shape):
    """Undo NumPy broadcasting: sum ``grad`` over the axes that broadcasting added or stretched."""
    if grad.shape == tuple(shape):
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad.reshape(shape)


def _topological_order(root):
    """Tensors reachable from root through recorded ctxs, each after every tensor that uses it."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        tensor, expanded = stack.pop()
        if expanded:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        ctx = tensor._ctx
        if ctx is not None:
            for inp in ctx.inputs:
                if inp is not None and getattr(inp, "requires_grad", False) and id(inp) not in visited:
                    stack.append((inp, False))
    order.reverse()
    return order


def backward(root, grad=None, retain_graph=False):
    from ..tensor import Tensor

    if not root.requires_grad:
        raise RuntimeError(f"[backward] tensor of shape {root.shape} does not require grad and has no graph")
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"[backward] grad can be implicitly created only for a single-element tensor, got shape {root.shape}"
            )
        grad = np.ones_like(root.data)
    else:
        # Cast to the root's dtype: a float64 seed on a float32 graph would otherwise reach the float32-only
        # kernels of conv/pool backward with mismatched dtypes.
        grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=root.dtype)
        if grad.shape != root.shape:
            raise ValueError(f"[backward] grad has shape {grad.shape} but the tensor has shape {root.shape}")

    grads = {id(root): grad}
    with no_grad():
        for tensor in _topological_order(root):
            g = grads.pop(id(tensor), None)
            if g is None:
                continue
            ctx = tensor._ctx
            if ctx is None or tensor._retains_grad:
                _accumulate_into_leaf(tensor, g)
            if ctx is None:
                continue
            in_grads = ctx.backward_fn(ctx, g)
            if not isinstance(in_grads, tuple):
                in_grads = (in_grads,)
            for inp, needs, ig in zip(ctx.inputs, ctx.needs_input_grad, in_grads):
                if not needs or ig is None:
                    continue
                ig = sum_to_shape(np.asarray(ig), inp.shape)
                if ig.dtype != inp.dtype:
                    ig = ig.astype(inp.dtype, copy=False)
                key = id(inp)
                grads[key] = ig if key not in grads else grads[key] + ig
            if not retain_graph:
                tensor._ctx = None if ctx is None else _released(ctx)


def _released(ctx):
    # Keep the graph's shape (so a second backward explains itself) but drop the saved arrays.
    ctx.saved = None
    ctx.backward_fn = _freed_backward
    return ctx


def _freed_backward(ctx, grad):
    raise RuntimeError(
        "[backward] trying to backward through the graph a second time; its saved values were freed. "
        "Pass retain_graph=True to the first backward() if you need to do this."
    )


def _accumulate_into_leaf(tensor, g):
    from ..tensor import Tensor

    if tensor.grad is None:
        # Own the memory: g may be a view of another tensor's data or a broadcast.
        tensor.grad = Tensor(np.array(g, dtype=tensor.dtype, copy=True))
    else:
        tensor.grad.data += g
