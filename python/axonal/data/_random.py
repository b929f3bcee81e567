"""Where the data package's randomness comes from: a ``generator=`` argument, resolved to a NumPy Generator.

``generator`` may be None (axonal's global generator, which ``ax.manual_seed`` reseeds), an int seed (a NumPy
Generator seeded with it, made once by the caller), a ``numpy.random.Generator``, or a Generator-like object that
keeps its NumPy generator as ``_rng`` (axonal's Generator). The object is resolved at every draw, not once, so a
``g.manual_seed(s)`` after building a sampler takes effect, as with torch's generators.
"""
import numbers

import numpy as np

from ..random import generator as global_generator


def check_generator(generator, op):
    """Validates a ``generator=`` argument; an int becomes a seeded NumPy Generator (once, here)."""
    if generator is None or isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, numbers.Integral) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    if isinstance(getattr(generator, "_rng", None), np.random.Generator):
        return generator
    raise TypeError(f"[{op}] generator must be None, an int seed, a numpy.random.Generator or an axonal "
                    f"Generator, got {type(generator).__name__}")


def numpy_rng(generator):
    """The NumPy Generator to draw from now (for a checked ``generator``)."""
    if generator is None:
        return global_generator()
    if isinstance(generator, np.random.Generator):
        return generator
    return generator._rng


def draw_seed(generator):
    """A fresh 63-bit seed drawn from ``generator`` (torch draws an int64 the same way for a new epoch/worker)."""
    return int(numpy_rng(generator).integers(0, 2**63 - 1))
