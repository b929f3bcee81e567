"""Allocation failures that name the op: a size too large for memory is a MemoryError "[op] ...".

NumPy reports a size it cannot allocate as ``MemoryError: Unable to allocate 8.00 GiB for an array with shape
...`` and one past the address space as ``ValueError: array is too big`` / ``Maximum allowed dimension
exceeded``; neither says which axonal call asked. ``names_memory_errors(op)`` wraps a function so that all three
come out as a MemoryError whose message starts with ``[op]`` and keeps NumPy's (the original is chained).

A MemoryError rather than the OOM killer needs an allocator that can say no: under an address-space limit
(``ulimit -v``, a container's limit on virtual memory) malloc fails at once. Without one, Linux overcommits and a
size that fits the address space but not the machine is killed later, when the pages are touched; no library can
prevent that. What axonal does is keep its own temporaries small (nn.init fills in chunks), so what fits is
what the result needs.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

_TOO_BIG = ("array is too big", "Maximum allowed dimension exceeded", "Maximum allowed size exceeded")


def is_allocation_error(e):
    return isinstance(e, MemoryError) or (isinstance(e, ValueError) and any(s in str(e) for s in _TOO_BIG))


def memory_error(op, e):
    """A MemoryError naming ``op`` for the allocation failure ``e`` (returned, to be raised from e)."""
    message = str(e)
    if message.startswith(f"[{op}]"):
        return e if isinstance(e, MemoryError) else MemoryError(message)
    return MemoryError(f"[{op}] not enough memory: {message}")


_Fn = TypeVar("_Fn", bound=Callable[..., Any])


def names_memory_errors(op: str | None = None) -> Callable[[_Fn], _Fn]:
    """Decorator: allocation failures inside the function become MemoryError "[op] ...". Without ``op`` (for a
    layer's ``__init__``) the op is the class of the first argument: "[Linear]", "[Conv1d]"."""

    def wrap(fn: _Fn) -> _Fn:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except (MemoryError, ValueError) as e:
                if not is_allocation_error(e):
                    raise
                raise memory_error(op or type(args[0]).__name__, e) from e

        return wrapper  # type: ignore[return-value]  # the same signature: it only rewrites the exception

    return wrap


# Elements drawn per step when random numbers go into an existing array (nn.init, rand, randn): NumPy's generator
# gives float64, so one draw for a whole float32 tensor needs twice its memory in temporaries (3x in all). 2**20
# elements (8 MiB of float64) is under 1% of any tensor large enough for this to matter, and successive draws
# continue one stream, so the numbers are exactly those of a single draw of the whole shape.
DRAW_CHUNK = 1 << 20


def fill_drawn(flat, draw, put=None):
    """Writes ``draw(n)`` (n samples of a stream, any dtype) into the 1-D array ``flat`` chunk by chunk, in order.
    ``put(view, chunk)`` does the write (default: NumPy assignment, which casts)."""
    n = flat.shape[0]
    for lo in range(0, n, DRAW_CHUNK):
        hi = min(lo + DRAW_CHUNK, n)
        if put is None:
            flat[lo:hi] = draw(hi - lo)
        else:
            put(flat[lo:hi], draw(hi - lo))
    return flat
