"""Backward with create_graph=True: the backward pass is itself recorded, so its results can be differentiated
again (gradients of gradients, gradient penalties).

The pass walks the graph like engine.backward but on Tensors, with grad mode on: each node's
``backward_tensors(ctx, grad)`` computes its input gradients with differentiable ops from the node's input
Tensors (``ctx.inputs``), instead of the array-level ``backward``. Ops without it stop the pass with an error
naming them. Gradients accumulated into a leaf's ``.grad`` keep their graph, as in torch.
"""
from ..grad_mode import enable_grad
from ..tensor import Tensor
from .graph import count_uses, freed_backward
from .versions import check_versions, inplace_updates


def _unbroadcast(g, shape):
    """g summed (differentiably) over the axes that broadcasting added or stretched to get ``shape``."""
    if g.shape == tuple(shape):
        return g
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if stretched:
        g = g.sum(stretched, keepdim=True)
    return g.reshape(shape)


def _add(pending, tensor, g):
    if g.dtype != tensor.dtype:
        g = g.to(tensor.dtype)
    g = _unbroadcast(g, tensor.shape)
    key = id(tensor)
    pending[key] = g if key not in pending else pending[key] + g


def backward_recording(roots, seeds, capture):
    uses, edges_of = count_uses(roots)
    pending = {}
    for root, seed in zip(roots, seeds):
        _add(pending, root, Tensor._make(seed))
    captured = None if capture is None else {id(t): None for t in capture}
    ready = [r for r in dict.fromkeys(roots) if id(r) not in uses]
    with enable_grad():
        while ready:
            tensor = ready.pop()
            g = pending.pop(id(tensor), None)
            if g is not None and tensor._hooks is not None:
                for hook in list(tensor._hooks.grad_hooks):
                    result = hook(g)
                    g = g if result is None else result
            if captured is not None and id(tensor) in captured:
                captured[id(tensor)] = g
            ctx = tensor._ctx
            if ctx is None:
                if g is not None and captured is None:
                    tensor.grad = g if tensor.grad is None else tensor.grad + g
                    if tensor._hooks is not None:
                        tensor._hooks.run_post_accumulate_hooks(tensor)
                continue
            if g is not None and tensor._retains_grad and captured is None:
                tensor.grad = g if tensor.grad is None else tensor.grad + g
            edges = edges_of[id(ctx)]
            if g is not None and edges:
                in_grads = _node_grads(ctx, g)
                for i, inp in edges:
                    ig = in_grads[i] if i < len(in_grads) else None
                    if ig is not None:
                        _add(pending, inp, ig)
            for _, inp in edges:
                uses[id(inp)] -= 1
                if uses[id(inp)] == 0:
                    ready.append(inp)
    if captured is not None:
        return [captured[id(t)] for t in capture]
    return None


def _node_grads(ctx, g):
    if inplace_updates.updates != ctx.epoch:
        check_versions(ctx)
    if ctx.backward_fn is freed_backward:
        freed_backward(ctx, g)
    fn = ctx.fn
    rule = getattr(fn, "backward_tensors", None)
    if rule is None:
        raise RuntimeError(f"[backward] create_graph=True is not supported through {fn.__name__} "
                           "(its backward is not written with differentiable ops)")
    out = rule(ctx, g)
    return out if isinstance(out, tuple) else (out,)
