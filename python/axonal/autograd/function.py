"""Function: the unit of differentiation.

A subclass defines ``forward(ctx, *args)`` on NumPy arrays (Tensor arguments arrive unwrapped as their
``.data``) and ``backward(ctx, grad)`` returning one gradient per forward argument (None where there is
none). ``Function.apply`` wraps the result in a Tensor and, when any input needs a gradient, links it into
the graph through the ctx. Gradients may come back with broadcast shape: the engine sums them to the input's
shape, so ops need not undo broadcasting themselves.
"""
import numpy as np

from .grad_mode import _state

# Set by tensor.py once Tensor exists (tensor.py imports this module, so it cannot be imported here).
_Tensor = None


class Context:
    """Per-call scratch space: forward stores what backward needs (arrays or plain attributes)."""

    __slots__ = ("saved", "needs_input_grad", "inputs", "backward_fn", "fn", "__dict__")

    def save_for_backward(self, *arrays):
        self.saved = arrays

    @property
    def saved_tensors(self):
        return self.saved

    @property
    def name(self):
        # Shown by Tensor.__repr__ as grad_fn=<...>; built on demand, not on every op.
        fn = getattr(self, "fn", None)
        return "Function" if fn is None else fn.__name__ + "Backward"


class Function:
    # True where backward returns only arrays it has just allocated (no views, no saved or incoming arrays,
    # none returned twice): the engine may then hand them to a leaf's .grad or add into them without a copy.
    fresh_grads = False

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args):
        T = _Tensor
        ctx = Context()
        needs = tuple([isinstance(a, T) and a.requires_grad for a in args])
        ctx.needs_input_grad = needs
        out = cls.forward(ctx, *[a.data if isinstance(a, T) else a for a in args])
        result = T.__new__(T)
        result.data = out if isinstance(out, np.ndarray) else np.asarray(out)  # NumPy scalars become 0-d arrays
        result.grad = None
        result._retains_grad = False
        if True in needs and _state.enabled:
            ctx.inputs = args
            ctx.backward_fn = cls.backward
            ctx.fn = cls
            result.requires_grad = True
            result._ctx = ctx
        else:
            result.requires_grad = False
            result._ctx = None
        return result
