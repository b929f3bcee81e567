"""Exception types shaped like torch's.

torch raises RuntimeError where a shape or a dtype does not fit an op; Python code (and axonal before) raises
ValueError / TypeError there. These classes are both, so ``except RuntimeError`` (a ported torch script) and
``except ValueError`` / ``except TypeError`` (code written for NumPy, or for earlier axonal) both catch them.
"""


class ShapeError(RuntimeError, ValueError):
    """Shapes or sizes that do not fit the op (broadcasting, matmul, reshape, cat, conv, an empty reduction)."""


class DTypeError(RuntimeError, TypeError):
    """A dtype the op does not support, or operands of dtypes it cannot combine."""
