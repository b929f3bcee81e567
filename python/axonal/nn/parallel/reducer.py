"""The gradient reducer behind DistributedDataParallel: buckets, autograd hooks, overlapped all-reduces.

Parameters are grouped into buckets in reverse registration order (the order in which backward finishes the
gradients of a feed-forward network), at most ``bucket_bytes`` each (``first_bucket_bytes`` for the first, so
communication starts early), one dtype per bucket; a tensor larger than the cap sits alone. Each bucket owns
one flat NumPy buffer.

During backward, ``Tensor.register_post_accumulate_grad_hook`` tells the reducer when a parameter's ``.grad``
is final; the gradient is copied into its slot of the bucket (device gradients through the host: MPI gets
host buffers). When a bucket is full it is all-reduced with a non-blocking ``Iallreduce`` while backward goes
on, but buckets are launched strictly in bucket order, so every rank issues the same collectives in the same
order whatever order its hooks fire in. MPI implementations progress non-blocking collectives only inside MPI
calls (unless an asynchronous progress thread is configured), so every hook also tests the requests in
flight. The hook that completes the last bucket waits for all of them, divides by the world size and writes
the averages back into the parameters' ``.grad``: when ``loss.backward()`` returns, gradients are averaged,
as in torch, and any optimizer can step.
"""
import numpy as np

from ... import backend
from ...tensor import Tensor

# torch's _DEFAULT_FIRST_BUCKET_BYTES: the first bucket (the last layers) small, so its all-reduce starts while
# most of backward is still to run.
FIRST_BUCKET_BYTES = 1 << 20


class Bucket:
    def __init__(self, members, params, used_flags):
        self.members = members  # parameter indices, in bucket order
        self.offsets, total = [], 0
        for i in members:
            self.offsets.append(total)
            total += params[i].data.size
        self.numel = total
        dtype = params[members[0]].dtype
        # With find_unused_parameters one extra slot per member counts the ranks that produced its gradient.
        self.buffer = np.zeros(total + (len(members) if used_flags else 0), dtype=dtype)
        self.pending = len(members)
        self.request = None


def assign_buckets(params, bucket_bytes, first_bucket_bytes):
    """Lists of parameter indices: reverse order, one dtype and device per bucket, capped in bytes. Buckets come
    in the order their first gradient becomes ready."""
    buckets, open_by_key, made = [], {}, {}
    for i in reversed(range(len(params))):
        data = params[i].data
        key = (data.dtype.str, type(data))
        nbytes = data.size * data.itemsize
        bucket = open_by_key.get(key)
        if bucket is not None:
            limit = first_bucket_bytes if made[key] == 1 else bucket_bytes
            if bucket[1] + nbytes > limit:
                bucket = None
        if bucket is None:
            bucket = open_by_key[key] = [[], 0]
            buckets.append(bucket)
            made[key] = made.get(key, 0) + 1
        bucket[0].append(i)
        bucket[1] += nbytes
    return [members for members, _ in buckets]


class Reducer:
    def __init__(self, named_params, comm, MPI, bucket_bytes, first_bucket_bytes, find_unused):
        self.names = [n for n, _ in named_params]
        self.params = [p for _, p in named_params]
        self.comm, self.MPI, self.size = comm, MPI, comm.Get_size()
        self.find_unused = find_unused
        self.buckets = [Bucket(m, self.params, find_unused)
                        for m in assign_buckets(self.params, bucket_bytes, first_bucket_bytes)]
        self.slot_of = {}  # parameter index -> (bucket, position in the bucket)
        for bucket in self.buckets:
            for pos, i in enumerate(bucket.members):
                self.slot_of[i] = (bucket, pos)
        self.expect_hooks = False
        self._reset()

    def _reset(self):
        self.ready = [False] * len(self.params)
        self.ready_count = 0
        self.next_launch = 0
        for bucket in self.buckets:
            bucket.pending = len(bucket.members)
            bucket.request = None

    # ---- the iteration ------------------------------------------------------------------------------------
    def in_progress(self):
        return self.ready_count > 0

    def not_ready_names(self):
        return [self.names[i] for i, r in enumerate(self.ready) if not r]

    def prepare_for_forward(self, sync):
        """Called by DDP.forward: hooks average gradients from the next backward on iff ``sync``."""
        if self.in_progress():
            missing = self.not_ready_names()
            self._reset()  # no waiting: another rank may never have launched the buckets still in flight here
            raise RuntimeError(
                "[DistributedDataParallel] the previous iteration's gradient averaging did not finish: "
                f"{len(missing)} parameter(s) got no gradient in backward ({', '.join(missing[:8])}"
                f"{', ...' if len(missing) > 8 else ''}), so no rank averaged their buckets. Every parameter "
                "that requires grad must take part in computing the loss; pass find_unused_parameters=True to "
                "DistributedDataParallel if some legitimately do not, or freeze them with requires_grad_(False)")
        self.expect_hooks = sync

    def mark_unused(self, used_ids):
        """find_unused_parameters: parameters the forward's graph does not reach are ready now."""
        for i, p in enumerate(self.params):
            if id(p) not in used_ids:
                self.mark_ready(i)  # contributes its .grad (from no_sync steps) or zeros

    def mark_ready(self, i):
        if not self.expect_hooks:
            return
        if self.ready[i]:
            raise RuntimeError(
                f"[DistributedDataParallel] parameter {self.names[i]} got its gradient twice before the ranks "
                f"finished averaging (still waiting for: {', '.join(self.not_ready_names()[:8])}); run one "
                "forward per backward, and see find_unused_parameters for parameters outside the loss")
        self.ready[i] = True
        self.ready_count += 1
        bucket, pos = self.slot_of[i]
        self._copy_in(bucket, pos, self.params[i].grad)
        bucket.pending -= 1
        if bucket.pending == 0:
            self._launch_ready_buckets()
        else:
            self._progress()
        if self.next_launch == len(self.buckets):
            self._finish()

    # ---- buffers and collectives ---------------------------------------------------------------------------
    def _copy_in(self, bucket, pos, grad):
        start = bucket.offsets[pos]
        view = bucket.buffer[start:start + self.params[bucket.members[pos]].data.size]
        has_grad = grad is not None
        if has_grad:
            g = grad.data
            bk = backend.of(g)
            np.copyto(view, (g if bk is backend.cpu else bk.to_host(g)).reshape(-1))
        else:
            view[...] = 0
        if self.find_unused:
            bucket.buffer[bucket.numel + pos] = 1 if has_grad else 0

    def _launch_ready_buckets(self):
        # Strictly in bucket order: MPI needs every rank to issue its collectives in one order.
        while self.next_launch < len(self.buckets) and self.buckets[self.next_launch].pending == 0:
            bucket = self.buckets[self.next_launch]
            bucket.request = self.comm.Iallreduce(self.MPI.IN_PLACE, bucket.buffer, op=self.MPI.SUM)
            self.next_launch += 1
        self._progress()

    def _progress(self):
        in_flight = [b.request for b in self.buckets[:self.next_launch] if b.request is not None]
        if in_flight:
            self.MPI.Request.Testall(in_flight)

    def _finish(self):
        self.MPI.Request.Waitall([b.request for b in self.buckets])
        for bucket in self.buckets:
            sums = bucket.buffer[:bucket.numel]
            inv = sums.dtype.type(1.0 / self.size)
            for pos, i in enumerate(bucket.members):
                if self.find_unused and bucket.buffer[bucket.numel + pos] == 0:
                    continue  # no rank produced a gradient: leave .grad as it is (None), as torch does
                start = bucket.offsets[pos]
                self._copy_out(self.params[i], sums[start:start + self.params[i].data.size], inv)
        self._reset()
        # As torch: the next DDP forward arms the hooks again, so a backward that does not follow a DDP forward
        # (through .module, or a second one with retain_graph) averages nothing.
        self.expect_hooks = False

    @staticmethod
    def _copy_out(p, flat, inv):
        """p.grad = the bucket's sums (flat) times 1 / world size, scaled while copied: one pass over the
        gradient instead of a scaling pass over the bucket and then a copy."""
        sums = flat.reshape(p.data.shape)
        if p.grad is None:  # a parameter unused on this rank but used on another
            bk = backend.of(p.data)
            p.grad = Tensor._make(bk.from_host(sums * inv))  # its own memory, not a view of the bucket
            return
        g = p.grad.data
        bk = backend.of(g)
        if bk is backend.cpu and g.dtype == sums.dtype:
            np.multiply(sums, inv, out=g)
        else:
            g[...] = bk.from_host(sums * inv)
