"""Function: the unit of differentiation.

A subclass defines ``forward(ctx, *args)`` on NumPy arrays (Tensor arguments arrive unwrapped as their
``.data``) and ``backward(ctx, grad)`` returning one gradient per forward argument (None where there is
none). ``Function.apply`` wraps the result in a Tensor and, when any input needs a gradient, links it into
the graph through the ctx. Gradients may come back with broadcast shape: the engine sums them to the input's
shape, so ops need not undo broadcasting themselves.
"""
from .grad_mode import is_grad_enabled


class Context:
    """Per-call scratch space: forward stores what backward needs (arrays or plain attributes)."""

    __slots__ = ("saved", "needs_input_grad", "inputs", "backward_fn", "__dict__")

    def save_for_backward(self, *arrays):
        self.saved = arrays

    @property
    def saved_tensors(self):
        return self.saved


class Function:
    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args):
        from ..tensor import Tensor

        ctx = Context()
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        raw = [a.data if isinstance(a, Tensor) else a for a in args]
        record = is_grad_enabled() and any(needs)
        ctx.needs_input_grad = needs
        out = cls.forward(ctx, *raw)
        result = Tensor._wrap(out)
        if record:
            ctx.inputs = args
            ctx.backward_fn = cls.backward
            ctx.name = cls.__name__ + "Backward"  # shown by Tensor.__repr__ as grad_fn=<...>
            result.requires_grad = True
            result._ctx = ctx
        return result
