"""The process group: every rank of an MPI job, set up by ``init_process_group("mpi")``.

mpi4py is imported here and only when ``init_process_group`` runs, so ``import axonal`` never needs MPI. The
group keeps MPI's COMM_WORLD (ranks and size come from ``mpiexec``) and private duplicates of it: one for the
public collectives, one for collectives that run inside autograd (SyncBatchNorm), one for
DistributedDataParallel's buckets and buffer broadcasts. MPI needs every rank to start the collectives of a
communicator in one order; on separate communicators, DDP's bucket all-reduces (still in flight while
backward runs on) never have to be ordered against a user's all_reduce or a SyncBatchNorm's statistics.

Initialising also
- makes a rank that dies of an uncaught exception abort the whole job (MPI_Abort) with a line naming the rank,
  instead of leaving the other ranks blocked forever in their next collective;
- divides the cores among the ranks that share a machine: unless OMP_NUM_THREADS is set, or the kernel
  thread count was already changed from its default, each rank uses cores // (ranks on this machine) threads.
"""
import os
import sys
import time

from .. import threads

_ABORT_GRACE_S = 0.5
_INSTALL_HINT = "pip install 'axonal[mpi]' (mpi4py and the mpich wheel, which brings mpiexec)"


class _Group:
    """The state of the initialised process group (one per process)."""

    def __init__(self, MPI, world):
        self.MPI = MPI
        self.world = world
        self.rank, self.size = world.Get_rank(), world.Get_size()
        self.comm = world.Dup()  # the public collectives
        self.autograd_comm = world.Dup()  # collectives issued from inside backward (SyncBatchNorm)
        self.ddp_comm = world.Dup()  # DistributedDataParallel's (every DDP of the process, in hook order)
        local = world.Split_type(MPI.COMM_TYPE_SHARED, key=self.rank)
        self.local_rank, self.local_size = local.Get_rank(), local.Get_size()
        local.Free()
        self.previous_excepthook = None
        self.threads_before = None  # the thread count init changed, to restore on destroy


_group = None


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(f"[init_process_group] the 'mpi' backend needs mpi4py and an MPI library: {_INSTALL_HINT}"
                          ) from e
    return MPI


def is_available():
    """True when mpi4py can be imported (without importing it, so without starting MPI)."""
    import importlib.util

    return importlib.util.find_spec("mpi4py") is not None


def init_process_group(backend="mpi", world_size=-1, rank=-1):
    """Joins the MPI job this process was started in (``mpiexec -n N python script.py``; a plain
    ``python script.py`` is a job of one rank). Calling it again is harmless.

    backend: only "mpi". world_size / rank: optional; when given they must equal what MPI says (a check, since
    the launcher, not this call, decides them)."""
    global _group
    if backend is not None and str(backend).lower() != "mpi":
        raise ValueError(f"[init_process_group] backend {backend!r} is not supported; axonal runs on 'mpi'")
    if _group is None:
        MPI = _mpi()
        _group = _Group(MPI, MPI.COMM_WORLD)
        _install_abort_hook(_group)
        _divide_cores(_group)
    for name, given, actual in (("world_size", world_size, _group.size), ("rank", rank, _group.rank)):
        if given is not None and given != -1 and given != actual:
            raise ValueError(f"[init_process_group] {name}={given} was passed but MPI started this process with "
                             f"{name} {actual} (mpiexec -n sets them)")


def is_initialized():
    return _group is not None


def destroy_process_group():
    """Leaves the group: frees its communicators and restores the exception hook and thread count
    (MPI itself stays initialised until the process exits, as mpi4py arranges; init again is allowed)."""
    global _group
    if _group is None:
        return
    group, _group = _group, None
    if sys.excepthook is _abort_on_uncaught_exception:
        sys.excepthook = group.previous_excepthook
    if group.threads_before is not None:
        threads.set_num_threads(group.threads_before)
    for comm in (group.comm, group.autograd_comm, group.ddp_comm):
        comm.Free()


def get_rank(group=None):
    return _current("get_rank", group).rank


def get_world_size(group=None):
    return _current("get_world_size", group).size


def get_local_rank():
    """This rank's index among the ranks on its machine (e.g. to pick a GPU)."""
    return _current("get_local_rank", None).local_rank


def get_local_world_size():
    """How many ranks of the job run on this machine."""
    return _current("get_local_world_size", None).local_size


def get_backend(group=None):
    _current("get_backend", group)
    return "mpi"


def _current(op, group):
    if group is not None:
        raise NotImplementedError(f"[{op}] only the default group (group=None) exists in axonal")
    if _group is None:
        raise RuntimeError(f"[{op}] the default process group is not initialized; call "
                           "axonal.distributed.init_process_group('mpi') first")
    return _group


def _install_abort_hook(group):
    group.previous_excepthook = sys.excepthook
    sys.excepthook = _abort_on_uncaught_exception


def _abort_on_uncaught_exception(exc_type, exc, tb):
    group = _group
    previous = group.previous_excepthook if group is not None else sys.__excepthook__
    (previous or sys.__excepthook__)(exc_type, exc, tb)  # the traceback first, as Python would print it
    if group is None or group.size == 1:
        return
    try:
        sys.stderr.write(f"[axonal.distributed] rank {group.rank} of {group.size} raised {exc_type.__name__}: "
                         f"{exc}; aborting the job so that the other ranks do not wait for it forever\n")
        sys.stderr.flush()
        sys.stdout.flush()
        # mpiexec (MPICH's hydra) tears down its output forwarding when a rank aborts and can drop the lines just
        # written; a moment's grace lets them reach the terminal (measured: ~1 in 6 runs lost them without it).
        time.sleep(_ABORT_GRACE_S)
    finally:
        group.world.Abort(1)


def _divide_cores(group):
    if "OMP_NUM_THREADS" in os.environ:
        return
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    current = threads.get_num_threads()
    if current != cores:  # set by the user before init (or OpenMP's default differs): leave it
        return
    wanted = max(1, cores // group.local_size)
    if wanted != current:
        group.threads_before = current
        threads.set_num_threads(wanted)
