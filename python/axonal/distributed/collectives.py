"""Collectives of the default group on tensors, in place, as torch.distributed's.

Every collective works on NumPy buffers (MPI's buffer interface, never pickled arrays): a C-contiguous CPU
tensor is handed to MPI as it is; a non-contiguous one goes through a contiguous copy; a device tensor
(CuPy, the emulated device) is copied to a host buffer and back, since axonal does not assume a CUDA-aware MPI.
Only the ``*_object`` functions pickle, as their names say.

Before each collective the ranks agree on what they are doing: one all-reduce of two int64 (a hash of each
rank's description of the call: which collective, dtype, shape, op, source). Calls that differ across ranks
(other shapes, another collective, a rank whose arguments are invalid) then raise the same error on every
rank, naming what each rank passed, instead of hanging or reducing garbage. DistributedDataParallel checks the
model once at construction and skips this per-bucket check.
"""
import hashlib

import numpy as np

from .. import backend
from ..tensor import Tensor
from .group import _current


class ReduceOp:
    """The reductions of all_reduce (torch's names)."""

    SUM = "sum"
    AVG = "avg"
    MAX = "max"
    MIN = "min"

    _all = (SUM, AVG, MAX, MIN)


def _mpi_op(MPI, op):
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.MAX: MPI.MAX, ReduceOp.MIN: MPI.MIN}[op]


# ---- agreement across ranks ---------------------------------------------------------------------------
def _agree(group, op, description, local_error=None):
    """Raises on every rank when the ranks' descriptions of this call differ, or when any rank found its own
    arguments invalid (``local_error``, a message); costs one 16-byte all-reduce when they agree."""
    text = description if local_error is None else f"{description} (invalid: {local_error})"
    digest = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=7).digest(), "little")  # < 2**56
    both = np.array([digest, -digest], dtype=np.int64)
    group.comm.Allreduce(group.MPI.IN_PLACE, both, op=group.MPI.MAX)
    if both[0] == -both[1] and local_error is None:
        return  # every rank has the same description and no rank found an error
    calls = group.comm.allgather((description, local_error))
    invalid = [f"rank {r}: {err}" for r, (_, err) in enumerate(calls) if err is not None]
    if invalid:
        raise ValueError(f"[{op}] invalid arguments on {len(invalid)} of {len(calls)} ranks ({'; '.join(invalid)})")
    listing = "; ".join(f"rank {r}: {d}" for r, (d, _) in enumerate(calls))
    raise RuntimeError(f"[{op}] the ranks called collectives that do not match ({listing}); every rank must call "
                       "the same collective, in the same order, with tensors of the same shape and dtype")


def _describe(name, array, **extra):
    parts = [name, str(array.dtype), str(tuple(array.shape))] + [f"{k}={v}" for k, v in extra.items()]
    return " ".join(parts)


def _array_of(op, tensor):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"[{op}] expected an axonal Tensor, got {type(tensor).__name__}")
    return tensor.data


# ---- host buffers -------------------------------------------------------------------------------------
def _host_buffer(array):
    """(a C-contiguous NumPy array with array's values, whether it is a copy that must be written back)."""
    bk = backend.of(array)
    if bk is backend.cpu:
        if array.flags.c_contiguous:
            return array, False
        return np.ascontiguousarray(array), True
    return np.ascontiguousarray(bk.to_host(array)), True


def _write_back(array, host):
    bk = backend.of(array)
    array[...] = host if bk is backend.cpu else bk.from_host(host)


# ---- the collectives ----------------------------------------------------------------------------------
def barrier(group=None):
    """Returns once every rank has called barrier (the agreement all-reduce is the barrier)."""
    _agree(_current("barrier", group), "barrier", "barrier")


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduces ``tensor`` over all ranks, in place: SUM, AVG (floating point only), MAX or MIN."""
    g = _current("all_reduce", group)
    if async_op:
        raise NotImplementedError("[all_reduce] async_op=True is not supported; DistributedDataParallel overlaps "
                                  "its own all-reduces with backward")
    array = _array_of("all_reduce", tensor)
    error = None
    if op not in ReduceOp._all:
        error = f"op must be one of ReduceOp.SUM/AVG/MAX/MIN, got {op!r}"
    elif op == ReduceOp.AVG and array.dtype.kind not in "fc":
        error = f"ReduceOp.AVG needs a floating point tensor, got {array.dtype}"
    _agree(g, "all_reduce", _describe("all_reduce", array, op=op), error)
    host, copied = _host_buffer(array)
    g.comm.Allreduce(g.MPI.IN_PLACE, host, op=_mpi_op(g.MPI, op))
    if op == ReduceOp.AVG:
        host /= host.dtype.type(g.size)
    if copied:
        _write_back(array, host)


def broadcast(tensor, src=0, group=None, async_op=False):
    """Copies rank ``src``'s ``tensor`` into ``tensor`` on every other rank."""
    g = _current("broadcast", group)
    if async_op:
        raise NotImplementedError("[broadcast] async_op=True is not supported")
    array = _array_of("broadcast", tensor)
    error = None if 0 <= src < g.size else f"src must be a rank in [0, {g.size}), got {src}"
    _agree(g, "broadcast", _describe("broadcast", array, src=src), error)
    host, copied = _host_buffer(array)
    g.comm.Bcast(host, root=src)
    if copied and g.rank != src:
        _write_back(array, host)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fills ``tensor_list`` (world-size tensors shaped like ``tensor``) with every rank's ``tensor``, in rank order."""
    g = _current("all_gather", group)
    if async_op:
        raise NotImplementedError("[all_gather] async_op=True is not supported")
    array = _array_of("all_gather", tensor)
    error = None
    if not isinstance(tensor_list, list) or len(tensor_list) != g.size:
        got = len(tensor_list) if isinstance(tensor_list, list) else type(tensor_list).__name__
        error = f"tensor_list must be a list of {g.size} tensors (one per rank), got {got}"
    else:
        for i, t in enumerate(tensor_list):
            if not isinstance(t, Tensor) or t.shape != array.shape or t.dtype != array.dtype:
                what = f"{t.dtype} {tuple(t.shape)}" if isinstance(t, Tensor) else type(t).__name__
                error = f"tensor_list[{i}] is {what}, expected {array.dtype} {tuple(array.shape)} like the input"
                break
    _agree(g, "all_gather", _describe("all_gather", array), error)
    host, _ = _host_buffer(array)
    gathered = np.empty((g.size,) + host.shape, dtype=host.dtype)
    g.comm.Allgather(host, gathered)
    for out, part in zip(tensor_list, gathered):
        _write_back(out.data, part)


def all_gather_object(object_list, obj, group=None):
    """Fills ``object_list`` (of world-size entries) with every rank's picklable ``obj``, in rank order."""
    g = _current("all_gather_object", group)
    _agree(g, "all_gather_object", "all_gather_object")
    gathered = g.comm.allgather(obj)  # first, so that a bad list on one rank cannot leave the others waiting
    if not isinstance(object_list, list) or len(object_list) != g.size:
        got = len(object_list) if isinstance(object_list, list) else type(object_list).__name__
        raise ValueError(f"[all_gather_object] object_list must be a list of {g.size} entries, got {got}")
    object_list[:] = gathered


def broadcast_object_list(object_list, src=0, group=None):
    """Replaces the entries of ``object_list`` on every rank by those of rank ``src`` (picklable objects)."""
    g = _current("broadcast_object_list", group)
    error = None if 0 <= src < g.size else f"src must be a rank in [0, {g.size}), got {src}"
    _agree(g, "broadcast_object_list", f"broadcast_object_list src={src}", error)
    sent = g.comm.bcast(list(object_list) if g.rank == src else None, root=src)
    if len(sent) != len(object_list):
        raise ValueError(f"[broadcast_object_list] rank {src} sent {len(sent)} objects but this rank's list has "
                         f"{len(object_list)} entries (torch's rule: the same length on every rank)")
    object_list[:] = sent
