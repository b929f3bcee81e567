"""autograd.backward and autograd.grad with torch's signatures."""
from ..tensor import Tensor
from . import engine


def _as_list(x, name):
    if isinstance(x, Tensor):
        return [x]
    items = list(x)
    for t in items:
        if not isinstance(t, Tensor):
            raise TypeError(f"[autograd] {name} must be Tensors, got {type(t).__name__}")
    return items


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulates the gradients of ``tensors`` (with ``grad_tensors`` as their upstream gradients) into the
    ``.grad`` of the leaves; with ``inputs``, only into those tensors."""
    roots = _as_list(tensors, "tensors")
    grads = None if grad_tensors is None else ([grad_tensors] if isinstance(grad_tensors, Tensor) or
                                               not isinstance(grad_tensors, (list, tuple)) else list(grad_tensors))
    if grads is not None and len(grads) != len(roots):
        raise ValueError(f"[backward] got {len(grads)} gradients for {len(roots)} tensors")
    retain = create_graph if retain_graph is None else retain_graph
    if inputs is None:
        engine.backward(roots, grads, retain_graph=retain, create_graph=create_graph)
        return
    targets = _as_list(inputs, "inputs")
    for t, g in zip(targets, engine.backward(roots, grads, retain, create_graph, capture=targets)):
        if g is not None:
            g = g if isinstance(g, Tensor) else Tensor._make(g)
            t.grad = g if t.grad is None else t.grad + g


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """The gradients of ``outputs`` with respect to each of ``inputs`` (a tuple of Tensors), without touching
    any ``.grad``. With ``create_graph`` the result has a graph of its own (gradients of gradients)."""
    roots = _as_list(outputs, "outputs")
    targets = _as_list(inputs, "inputs")
    for t in targets:
        if not t.requires_grad:
            raise RuntimeError(f"[grad] one of the inputs (shape {t.shape}) does not require grad")
    grads = None
    if grad_outputs is not None:
        grads = [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs)
        if len(grads) != len(roots):
            raise ValueError(f"[grad] got {len(grads)} grad_outputs for {len(roots)} outputs")
    retain = create_graph if retain_graph is None else retain_graph
    results = engine.backward(roots, grads, retain, create_graph, capture=targets)
    out = []
    for t, g in zip(targets, results):
        if g is None and not allow_unused:
            raise RuntimeError(f"[grad] one of the differentiated tensors (shape {t.shape}) does not appear in the "
                               "graph of the outputs; pass allow_unused=True to get None for it")
        out.append(None if g is None else (g if isinstance(g, Tensor) else Tensor._make(g)))
    return tuple(out)
