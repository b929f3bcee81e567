"""Function: the unit of differentiation.

A subclass defines ``forward(ctx, *args)`` on device arrays (Tensor arguments arrive unwrapped as their
``.data``) and ``backward(ctx, grad)`` returning one gradient per forward argument (None where there is
none). Both reach the hardware through ``ctx.backend`` (the backend of the tensors' device) and its array
module ``ctx.xp``; operators and array methods (``a + b``, ``a.sum(axis)``) work on every device as they are.

``Function.apply`` checks that every Tensor argument lives on one device, wraps the result in a Tensor and,
when any input needs a gradient, links it into the graph through the ctx. Gradients may come back with
broadcast shape: the engine sums them to the input's shape, so ops need not undo broadcasting themselves.
"""
from .. import backend as _backend
from ..grad_mode import _state
from ..tensor import Tensor
from ..tensor import inplace_updates as _inplace

_backend_of_type = _backend._by_type
_cpu = _backend.cpu


class Context:
    """Per-call scratch space: forward stores what backward needs (arrays or plain attributes)."""

    __slots__ = ("saved", "needs_input_grad", "inputs", "backward_fn", "fn", "backend", "versions", "epoch",
                 "__dict__")

    def save_for_backward(self, *arrays):
        self.saved = arrays

    @property
    def saved_tensors(self):
        return self.saved

    @property
    def xp(self):
        return self.backend.xp

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
        ctx = Context()
        arrays, needs, versions = [], [], []
        kind = None
        for a in args:
            if isinstance(a, Tensor):
                data = a.data
                if kind is not type(data):
                    if kind is not None:
                        _device_mismatch(cls, args)
                    kind = type(data)
                arrays.append(data)
                needs.append(a.requires_grad)
                versions.append(a._version)
            else:
                arrays.append(a)
                needs.append(False)
        ctx.needs_input_grad = needs = tuple(needs)
        ctx.versions = versions
        ctx.epoch = _inplace.updates  # no in-place update since: backward need not check the versions
        ctx.backend = bk = _cpu if kind is None else _backend_of_type[kind]
        out = cls.forward(ctx, *arrays)
        # An array of any device as it is (ToDevice returns another device's array); a scalar onto this one.
        result = Tensor._make(out if type(out) in _backend_of_type else bk.xp.asarray(out))
        if True in needs and _state.enabled:
            ctx.inputs = args
            ctx.backward_fn = cls.backward
            ctx.fn = cls
            result.requires_grad = True
            result._ctx = ctx
        return result


def _device_mismatch(fn, args):
    devices = []
    for a in args:
        if isinstance(a, Tensor) and str(a.device) not in devices:
            devices.append(str(a.device))
    raise RuntimeError(f"[{_op_name(fn)}] expected all tensors on one device, got {' and '.join(devices)}")


def _op_name(fn):
    return getattr(fn, "op_name", None) or fn.__name__.lower()
