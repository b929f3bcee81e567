"""DistributedDataParallel: one model replica per rank, gradients averaged over the ranks during backward.

As torch's: at construction every rank's parameter and buffer names, shapes and dtypes are compared (a
clear error if they differ) and rank 0's values are broadcast to all; during backward, gradients are
averaged in buckets all-reduced as soon as they are final (nn/parallel/reducer.py); before each forward the
buffers (BatchNorm's running statistics) are broadcast from rank 0 when ``broadcast_buffers``; ``no_sync()``
skips the averaging for gradient accumulation; the wrapped model is ``.module`` (its state_dict without the
"module." prefix is what one saves). Device tensors go through host buffers for MPI (a copy each way per
bucket and step).
"""
import contextlib
import functools
import hashlib
import weakref

import numpy as np

from ... import backend
from ...distributed.group import _current
from ...grad_mode import is_grad_enabled
from ...tensor import Tensor
from ..module import Module
from .reducer import FIRST_BUCKET_BYTES, Reducer

_MB = 1024 * 1024  # torch's bucket_cap_mb counts mebibytes


class DistributedDataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=25, find_unused_parameters=False):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError("[DistributedDataParallel] module must be an axonal nn.Module, "
                            f"got {type(module).__name__}")
        if dim != 0:
            raise ValueError(f"[DistributedDataParallel] only dim=0 (batches split along the first axis) is supported, "
                             f"got dim={dim}")
        if not bucket_cap_mb > 0:
            raise ValueError(f"[DistributedDataParallel] bucket_cap_mb must be > 0, got {bucket_cap_mb}")
        group = _current("DistributedDataParallel", process_group)
        self.module = module
        self.device_ids, self.output_device = device_ids, output_device  # accepted for torch scripts; unused
        self.broadcast_buffers = bool(broadcast_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.bucket_cap_mb = bucket_cap_mb
        self.require_backward_grad_sync = True
        self.world_size = group.size
        self._comm = group.ddp_comm  # gradient buckets and buffer broadcasts only: see distributed/group.py
        named_params = list(module.named_parameters())
        named_buffers = list(module.named_buffers())
        _check_same_model(self._comm, group.MPI, named_params, named_buffers)
        _FlatBroadcast([p for _, p in named_params] + [b for _, b in named_buffers]).run(self._comm)
        self._buffer_sync = _FlatBroadcast([b for _, b in named_buffers]) if named_buffers else None
        trainable = [(n, p) for n, p in named_params if p.requires_grad]
        self._reducer = None
        if self.world_size > 1 and trainable:  # averaging over one rank is the identity: no hooks
            cap = int(bucket_cap_mb * _MB)
            self._reducer = Reducer(trainable, self._comm, group.MPI, max(cap, 1), max(min(cap, FIRST_BUCKET_BYTES), 1),
                                    self.find_unused_parameters)
            ref = weakref.ref(self._reducer)  # the hooks must not keep a discarded DDP's reducer alive
            for i, (_, p) in enumerate(trainable):
                p.register_post_accumulate_grad_hook(functools.partial(_grad_ready, ref, i))

    @property
    def bucket_members(self):
        """The parameter names of each bucket, in all-reduce order (for inspection and tests)."""
        if self._reducer is None:
            return []
        return [[self._reducer.names[i] for i in b.members] for b in self._reducer.buckets]

    def forward(self, *inputs, **kwargs):
        sync = self.require_backward_grad_sync and is_grad_enabled()
        if self._reducer is not None:
            self._reducer.prepare_for_forward(sync)
        if self.broadcast_buffers and self._buffer_sync is not None and self.world_size > 1:
            self._buffer_sync.run(self._comm)
        out = self.module(*inputs, **kwargs)
        if self._reducer is not None and sync and self.find_unused_parameters:
            self._reducer.mark_unused(_reachable_leaves(out))
        return out

    @contextlib.contextmanager
    def no_sync(self):
        """Backward passes of forwards run inside this block accumulate local gradients without averaging them;
        the first backward after it averages the accumulated sum (gradient accumulation, as torch's)."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def extra_repr(self):
        return f"world_size={self.world_size}, bucket_cap_mb={self.bucket_cap_mb}"


def _grad_ready(reducer_ref, index, param):
    reducer = reducer_ref()
    if reducer is not None:
        reducer.mark_ready(index)


def _reachable_leaves(outputs):
    """ids of the leaf tensors the recorded graph of ``outputs`` (a tensor or nested list/tuple/dict) reaches."""
    stack, seen, leaves = [], set(), set()
    todo = [outputs]
    while todo:
        o = todo.pop()
        if isinstance(o, Tensor):
            if o.requires_grad:
                stack.append(o)
        elif isinstance(o, (list, tuple)):
            todo.extend(o)
        elif isinstance(o, dict):
            todo.extend(o.values())
    while stack:
        t = stack.pop()
        ctx = t._ctx
        if ctx is None:
            leaves.add(id(t))
            continue
        if id(ctx) in seen:
            continue
        seen.add(id(ctx))
        for inp, needs in zip(ctx.inputs, ctx.needs_input_grad):
            if needs and isinstance(inp, Tensor) and inp.requires_grad:
                stack.append(inp)
    return leaves


def _check_same_model(comm, MPI, named_params, named_buffers):
    """Every rank must wrap the same architecture: compares names, shapes, dtypes (one small all-reduce when
    they agree; on a mismatch every rank raises the same error, naming the first difference)."""
    entries = [("parameter", n, tuple(p.shape), str(p.dtype), bool(p.requires_grad)) for n, p in named_params]
    entries += [("buffer", n, tuple(b.shape), str(b.dtype), False) for n, b in named_buffers]
    digest = int.from_bytes(hashlib.blake2b(repr(entries).encode(), digest_size=7).digest(), "little")
    both = np.array([digest, -digest], dtype=np.int64)
    comm.Allreduce(MPI.IN_PLACE, both, op=MPI.MAX)
    if both[0] == -both[1]:
        return
    everyone = comm.allgather(entries)
    problems = [f"rank {r}: {_first_difference(everyone[0], e)}" for r, e in enumerate(everyone) if e != everyone[0]]
    raise ValueError("[DistributedDataParallel] the model is not the same on every rank (" + "; ".join(problems)
                     + "); every rank must build the same model, with the same parameters requiring grad, "
                     "before wrapping it")


def _first_difference(reference, entries):
    def show(e):
        return f"{e[0]} {e[1]!r} {e[2]} {e[3]}" + ("" if e[0] == "buffer" or e[4] else " (frozen)")

    for ours, theirs in zip(entries, reference):
        if ours != theirs:
            return f"has {show(ours)} where rank 0 has {show(theirs)}"
    if len(entries) > len(reference):
        return f"has {show(entries[len(reference)])}, which rank 0 does not have"
    return f"lacks {show(reference[len(entries)])}, which rank 0 has"


class _FlatBroadcast:
    """Broadcasts a list of tensors from rank 0 in one Bcast per dtype through a flat host buffer."""

    def __init__(self, tensors):
        groups = {}
        for t in tensors:
            groups.setdefault(t.data.dtype.str, []).append(t)
        self.groups = [(ts, np.empty(sum(t.data.size for t in ts), dtype=ts[0].data.dtype)) for ts in groups.values()]

    def run(self, comm, root=0):
        is_root = comm.Get_rank() == root
        for tensors, flat in self.groups:
            if is_root:
                offset = 0
                for t in tensors:
                    bk = backend.of(t.data)
                    host = t.data if bk is backend.cpu else bk.to_host(t.data)
                    flat[offset:offset + t.data.size] = host.reshape(-1)
                    offset += t.data.size
            comm.Bcast(flat, root=root)
            if not is_root:
                offset = 0
                for t in tensors:
                    part = flat[offset:offset + t.data.size].reshape(t.data.shape)
                    bk = backend.of(t.data)
                    t.data[...] = part if bk is backend.cpu else bk.from_host(part)
                    offset += t.data.size
