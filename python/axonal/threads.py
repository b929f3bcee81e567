"""Thread count of the C++ kernels (OpenMP). OMP_NUM_THREADS is respected at start-up.

A process forked after the kernels ran (multiprocessing with the fork start method, a DataLoader worker) must
not enter an OpenMP parallel region: the parent's thread team does not exist in the child, and GNU OpenMP
waits for it forever. So a forked child runs its kernels on one thread (``set_num_threads`` there may raise it
again, at the user's risk); spawned processes start fresh and are unaffected.
"""
import operator
import os

from . import _C


def get_num_threads() -> int:
    """The number of threads the kernels use (OpenMP's max threads of the calling thread).

    ``threadpoolctl.threadpool_limits(n)`` lowers it inside its block: axonal's OpenMP runtime (libgomp, or the
    libomp of a macOS wheel) is one of the thread pools threadpoolctl finds and limits.
    """
    return _C.get_num_threads()


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in the kernels from now on.

    Args:
        n: an integer >= 1 (a NumPy integer too; not a bool or a float).

    Raises:
        TypeError: ``n`` is not an integer.
        ValueError: ``n`` is below 1 or does not fit in a C int.
    """
    if isinstance(n, bool) or not hasattr(type(n), "__index__"):
        raise TypeError(f"[set_num_threads] n must be an int, got {type(n).__name__}")
    n = operator.index(n)
    if not 1 <= n <= 2**31 - 1:  # the binding takes a C int; check here so the message names the op
        raise ValueError(f"[set_num_threads] n must be >= 1 and fit in a C int, got {n}")
    _C.set_num_threads(n)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: _C.set_num_threads(1))
