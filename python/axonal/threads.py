"""Thread count of the C++ kernels (OpenMP). OMP_NUM_THREADS is respected at start-up.

A process forked after the kernels ran (multiprocessing with the fork start method, a DataLoader worker) must
not enter an OpenMP parallel region: the parent's thread team does not exist in the child, and GNU OpenMP
waits for it forever. So a forked child runs its kernels on one thread (``set_num_threads`` there may raise it
again, at the user's risk); spawned processes start fresh and are unaffected.
"""
import os

from . import _C


def get_num_threads():
    return _C.get_num_threads()


def set_num_threads(n):
    """Use ``n`` threads in the kernels from now on (n >= 1)."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"[set_num_threads] n must be an int, got {type(n).__name__}")
    if not 1 <= n <= 2**31 - 1:  # the binding takes a C int; check here so the message names the op
        raise ValueError(f"[set_num_threads] n must be >= 1 and fit in a C int, got {n}")
    _C.set_num_threads(n)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: _C.set_num_threads(1))
