"""The recorded graph as both backward passes walk it (engine.py on arrays, higher_order.py on Tensors)."""


def count_uses(roots):
    """id(tensor) -> number of recorded uses, and id(ctx) -> its edges, for everything reachable from roots.

    An edge is (position, input) for an input that takes a gradient: it required one when the op ran and
    still does (detach_ or requires_grad_(False) since then cut the edge)."""
    uses, edges_of = {}, {}
    stack = list(roots)
    while stack:
        ctx = stack.pop()._ctx
        if ctx is None or id(ctx) in edges_of:
            continue
        edges = edges_of[id(ctx)] = [
            (i, inp) for i, (inp, needs) in enumerate(zip(ctx.inputs, ctx.needs_input_grad))
            if needs and inp.requires_grad
        ]
        for _, inp in edges:
            key = id(inp)
            if key in uses:
                uses[key] += 1
            else:
                uses[key] = 1
                stack.append(inp)
    return uses, edges_of


def released(ctx):
    # Keep the graph's shape (so a second backward explains itself) but drop the saved arrays.
    ctx.saved = None
    ctx.backward_fn = freed_backward
    return ctx


def freed_backward(ctx, grad):
    raise RuntimeError(
        "[backward] trying to backward through the graph a second time; its saved values were freed. "
        "Pass retain_graph=True to the first backward() if you need to do this."
    )
