"""What the CPU kernels run on: ``axonal.cpu_info()``; and the OpenMP defaults axonal sets before they load.

Two thread pools share a process whenever a script calls NumPy (OpenBLAS) between axonal's kernels. libgomp,
axonal's OpenMP runtime, keeps its idle workers busy-waiting for GOMP_SPINCOUNT spins after every parallel
region, 300,000 by default: about 7 ms on the 2-core dev machine, during which a NumPy call finds its core
taken (benchmarks/thread_pools.py measures it). libgomp reads the variable once, when it loads with
``axonal._C``, so the default is set here, before that import, and only when the user has set neither
GOMP_SPINCOUNT nor OMP_WAIT_POLICY; it is removed from the environment again right after, so libraries and
child processes started later see the user's environment unchanged.
"""
import os

# ~0.25 ms of spinning (25 ns per spin measured on the dev machine): back-to-back kernels of a training step,
# which follow each other within tens of microseconds of Python, still find the workers awake; a pause of
# a quarter of a millisecond (NumPy work, data loading) lets them sleep and frees the core.
SPINCOUNT = "10000"


def _set_openmp_defaults():
    """Set axonal's GOMP_SPINCOUNT unless the user chose an OpenMP wait policy; True when it was set."""
    if "GOMP_SPINCOUNT" in os.environ or "OMP_WAIT_POLICY" in os.environ:
        return False
    os.environ["GOMP_SPINCOUNT"] = SPINCOUNT
    return True


_OMP_WAIT = {k: os.environ[k] for k in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY") if k in os.environ}
_SET_BY_AXONAL = _set_openmp_defaults()
from . import _C  # noqa: E402  (loads libgomp, which reads GOMP_SPINCOUNT now)

if _SET_BY_AXONAL:
    os.environ.pop("GOMP_SPINCOUNT", None)
    _OMP_WAIT = {"GOMP_SPINCOUNT": SPINCOUNT + " (set by axonal)"}


def cpu_info():
    """A dict: 'isa' (the instruction-set level the kernels run at: 'avx512', 'avx2' or 'generic'), 'cpu_isa'
    (the widest this CPU and build have), 'isa_levels' (the levels AXONAL_ISA may force), 'isa_forced',
    'threads', 'openmp', 'gemm_kernel', 'gemm_tile' ({'float32': (MR, NR), 'float64': (MR, NR)}) and
    'openmp_wait' (the GOMP_SPINCOUNT / OMP_WAIT_POLICY in effect; {} means libgomp's own default)."""
    info = dict(_C.cpu_info())
    info["openmp_wait"] = dict(_OMP_WAIT)
    return info
