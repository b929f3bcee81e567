"""Reverse-mode differentiation over the graph recorded by Function.apply.

backward() first counts, for every tensor reachable from the roots, how many recorded uses it has, then
runs each node's backward once all of its uses have handed their gradient in (a ready stack, as in
torch's engine), so every node is visited once and a chain of single-use nodes goes straight through.

Gradient arrays are copied only when they might be shared. The engine tracks the arrays it owns: those it
made itself (un-broadcasting sums, dtype casts, sums of two contributions) and those returned by a
Function that declares ``fresh_grads`` (its backward returns only newly allocated arrays). An owned array
takes further contributions in place and becomes a leaf's ``.grad`` without a copy; anything else (the
incoming gradient handed back, a view, a saved array, the user's seed) is copied or added out of place.

When a tensor's gradient is complete (all its uses have handed theirs in), its hooks run: the gradient hooks
of ``Tensor.register_hook`` (which may replace it), then, for a leaf, the accumulation into ``.grad`` and the
hooks of ``register_post_accumulate_grad_hook`` (data-parallel training starts its all-reduce there).
``capture`` (autograd.grad) collects the gradients of chosen tensors instead of accumulating any ``.grad``.
With ``create_graph`` the backward pass itself is recorded (autograd/higher_order.py).
"""
from .. import backend as _backend
from ..grad_mode import _state
from ..tensor import Tensor
from .graph import count_uses, released
from .higher_order import backward_recording
from .versions import check_versions, inplace_updates

_backend_of_type = _backend._by_type


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


def seed_for(root, grad):
    """The gradient to start from at ``root``: ones for a one-element root, else the user's (an array of root's
    device and dtype: a float64 seed on a float32 graph would otherwise reach the float32-only kernels of
    conv/pool backward with mismatched dtypes)."""
    if not root.requires_grad:
        raise RuntimeError(f"[backward] tensor of shape {root.shape} does not require grad and has no graph")
    bk = _backend.of(root.data)
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"[backward] grad can be implicitly created only for a single-element tensor, got shape {root.shape}"
            )
        return bk.xp.ones_like(root.data)
    if isinstance(grad, Tensor):
        if type(grad.data) is not bk.array_type:
            raise RuntimeError(f"[backward] the gradient is on {grad.device} but the tensor is on {root.device}")
        grad = grad.data
    elif type(grad) is not bk.array_type:
        grad = bk.from_host(_backend.cpu.xp.asarray(grad))
    if grad.shape != root.shape:
        raise ValueError(f"[backward] grad has shape {grad.shape} but the tensor has shape {root.shape}")
    return grad if grad.dtype == root.dtype else grad.astype(root.dtype)


def backward(roots, grads=None, retain_graph=False, create_graph=False, capture=None):
    """Backpropagates from each root with its gradient (None: ones for a one-element root).

    capture: None, or tensors whose gradients to return (a list in the same order, None where a tensor got
    none) instead of accumulating into any leaf's .grad."""
    roots = list(roots)
    grads = [None] * len(roots) if grads is None else list(grads)
    seeds = [seed_for(r, g) for r, g in zip(roots, grads)]
    if create_graph:
        return backward_recording(roots, seeds, capture)
    uses, edges_of = count_uses(roots)
    pending, owned = {}, set()  # id -> gradient array so far; ids of those the engine may write into
    for root, seed in zip(roots, seeds):
        _add_grad(pending, owned, root, seed, False)
    captured = None if capture is None else {id(t): None for t in capture}
    ready = [r for r in dict.fromkeys(roots) if id(r) not in uses]  # roots that no other root depends on
    prev_mode, _state.enabled = _state.enabled, False  # no_grad(), without the context-manager objects
    try:
        while ready:
            tensor = ready.pop()
            key = id(tensor)
            g = pending.pop(key, None)
            is_owned = key in owned
            if is_owned:
                owned.discard(key)
            if g is not None and tensor._hooks is not None:
                g, is_owned = tensor._hooks.run_grad_hooks(tensor, g, is_owned)
            if captured is not None and key in captured:
                captured[key] = g if is_owned else (None if g is None else g.copy())
                is_owned = False
            ctx = tensor._ctx
            if ctx is None:
                if g is not None and captured is None:
                    _accumulate_into_leaf(tensor, g, is_owned)
                continue
            if g is not None and tensor._retains_grad and captured is None:
                _accumulate_into_leaf(tensor, g, False)  # g goes on to backward_fn, which may hand it back
            edges = edges_of[id(ctx)]
            if g is not None and edges:
                if inplace_updates.updates != ctx.epoch:
                    check_versions(ctx)
                in_grads = ctx.backward_fn(ctx, g)
                if not isinstance(in_grads, tuple):
                    in_grads = (in_grads,)
                fresh = ctx.fn.fresh_grads
                for i, inp in edges:
                    ig = in_grads[i] if i < len(in_grads) else None
                    if ig is not None:
                        _add_grad(pending, owned, inp, ig, fresh)
            for _, inp in edges:
                k = id(inp)
                left = uses[k] - 1
                uses[k] = left
                if left == 0:
                    ready.append(inp)
            if not retain_graph:
                released(ctx)
    finally:
        _state.enabled = prev_mode
    if captured is not None:
        return [captured[id(t)] for t in capture]
    return None


def _add_grad(grads, owned, inp, ig, fresh):
    """Sums one contribution ``ig`` into ``grads`` for input ``inp`` (un-broadcast and cast to its dtype)."""
    kind = type(inp.data)
    if type(ig) is not kind:
        if type(ig) in _backend_of_type:
            raise RuntimeError(f"[backward] a gradient on {_backend.of(ig).device} for a tensor on {inp.device}")
        ig = _backend_of_type[kind].xp.asarray(ig)  # a scalar from a reduction
        fresh = False
    shape, dtype = inp.data.shape, inp.data.dtype
    if ig.shape != shape:
        ig = sum_to_shape(ig, shape)
        fresh = False  # the sum may be a reshaped view; treat it as borrowed
    if ig.dtype != dtype:
        ig = ig.astype(dtype)
        fresh = True
    # A fresh array must own its memory: a view of a new array is fine to read but not to give away.
    fresh = fresh and _backend_of_type[kind].owns(ig)
    key = id(inp)
    acc = grads.get(key)
    if acc is None:
        grads[key] = ig
        if fresh:
            owned.add(key)
        else:
            owned.discard(key)
    elif key in owned:
        acc += ig
    else:
        total = acc + ig  # 0-d arrays add up to a scalar: make it an array of the device again
        grads[key] = total if type(total) is kind else _backend_of_type[kind].xp.asarray(total)
        owned.add(key)


def _accumulate_into_leaf(tensor, g, owned=False):
    if tensor.grad is None:
        if not (owned and g.dtype == tensor.data.dtype and g.shape == tensor.data.shape):
            # Own the memory: g may be a view of another tensor's data or a broadcast.
            g = g.astype(tensor.data.dtype, copy=True)
        tensor.grad = Tensor._make(g)
    else:
        tensor.grad.data += g
    if tensor._hooks is not None:
        tensor._hooks.run_post_accumulate_hooks(tensor)
