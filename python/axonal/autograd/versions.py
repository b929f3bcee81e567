"""The version counter's bookkeeping (ops/inplace.py bumps versions; Function.apply records them; the engine
checks them here)."""
from ..tensor import Tensor, inplace_updates  # noqa: F401 - the counter lives with the tensors it counts


def check_versions(ctx):
    """RuntimeError when a tensor input of the op behind ``ctx`` was modified in place after the op ran."""
    versions = ctx.versions
    if [inp._version for inp in ctx.inputs if isinstance(inp, Tensor)] == versions:
        return
    k = 0
    for inp in ctx.inputs:
        if isinstance(inp, Tensor):
            if inp._version != versions[k]:
                raise RuntimeError(
                    f"[backward] one of the tensors needed for gradient computation has been modified by an "
                    f"inplace operation: a tensor of shape {inp.shape} used by {ctx.fn.__name__} is at version "
                    f"{inp._version}; expected version {versions[k]} instead")
            k += 1
