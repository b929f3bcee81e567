"""``axonal.linalg``: the torch.linalg names axonal has (norms and products)."""
from .ops.linalg import matmul
from .ops.statistics import vector_norm


def norm(x, ord=None, dim=None, keepdim=False, *, dtype=None):  # noqa: A002 - torch's names
    """The 2-norm of all elements (ord None) or the vector ord-norm over dim."""
    return vector_norm(x, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


__all__ = ["matmul", "norm", "vector_norm"]
