"""Tensor.to(): moves between devices and casts between dtypes, differentiably (the gradient goes back to the
source device and dtype)."""
import numpy as np

from .. import backend
from ..autograd.function import Function
from ..tensor import Tensor
from .elementwise import cast


class ToDevice(Function):
    @staticmethod
    def forward(ctx, a, target):
        ctx.source = ctx.backend
        return backend.transfer(a, target)

    @staticmethod
    def backward(ctx, g):
        return backend.transfer(g, ctx.source), None

    @staticmethod
    def backward_tensors(ctx, g):
        return ToDevice.apply(g, ctx.source), None


def parse_to_args(args, kwargs):
    """torch's forms: to(dtype), to(device), to(device, dtype), to(tensor), with device=/dtype= keywords;
    copy= and non_blocking= are accepted (a move or a cast always makes a new array here)."""
    unknown = set(kwargs) - {"device", "dtype", "copy", "non_blocking", "memory_format"}
    if unknown:
        raise TypeError(f"[to] unexpected keyword arguments {sorted(unknown)}")
    dev, dtype = kwargs.get("device"), kwargs.get("dtype")
    rest = list(args)
    if rest and isinstance(rest[0], Tensor):
        other = rest.pop(0)
        dev, dtype = other.device, other.dtype
    elif rest and isinstance(rest[0], (str, backend.device)):
        dev = rest.pop(0)
    if rest:
        dtype = rest.pop(0)
    if rest:
        raise TypeError(f"[to] too many positional arguments: {args}")
    return dev, (None if dtype is None else np.dtype(dtype)), bool(kwargs.get("copy", False))


def to(self, *args, **kwargs):
    dev, dtype, copy = parse_to_args(args, kwargs)
    out = self
    if dev is not None:
        target = backend.get(dev)
        if type(self.data) is not target.array_type:
            out = ToDevice.apply(out, target)
    if dtype is not None and out.dtype != dtype:
        out = cast(out, dtype)
    if copy and out is self:
        out = self.clone()
    return out
