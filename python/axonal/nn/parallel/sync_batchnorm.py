"""SyncBatchNorm: batch normalisation whose training statistics span every rank's batch.

In training, each rank's per-channel mean, sum of squared deviations and count are all-gathered (float64,
combined as Chan et al.'s parallel variance, so no sum-of-squares cancellation) and every rank normalises
with the statistics of the global batch; backward all-reduces the two per-channel sums the input gradient
needs. N ranks with batches of B/N then compute what one process computes with batch B, the running statistics
included. In evaluation, or without a process group of more than one rank, it is plain BatchNorm. The
collectives run on the process group's autograd communicator, so they never interleave with DDP's buckets.
"""
import numpy as np

from ... import backend
from ...autograd.function import Function
from ...distributed import group as _group_module
from ..batchnorm import _BatchNorm


class _SyncBatchNormFunction(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, eps, group, stats_out):
        bk, c = ctx.backend, x.shape[1]
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, c) + (1,) * (x.ndim - 2)
        local_mean = x.mean(axis=axes)
        local_m2 = ((x - local_mean.reshape(shape)) ** 2).sum(axis=axes)
        mine = np.empty(2 * c + 1, dtype=np.float64)
        mine[:c], mine[c:2 * c], mine[-1] = bk.to_host(local_mean), bk.to_host(local_m2), x.size // c
        everyone = np.empty((group.size, 2 * c + 1), dtype=np.float64)
        group.autograd_comm.Allgather(mine, everyone)
        counts = everyone[:, -1:]
        n = counts.sum()
        if n <= 1:
            raise ValueError(f"[SyncBatchNorm] expected more than 1 value per channel over all ranks when training, "
                             f"got input {x.shape} on this rank and {int(n)} values in all")
        mean = (counts * everyone[:, :c]).sum(axis=0) / n
        m2 = (everyone[:, c:2 * c] + counts * (everyone[:, :c] - mean) ** 2).sum(axis=0)
        var = m2 / n
        stats_out["mean"], stats_out["unbiased_var"] = mean, m2 / (n - 1)
        invstd = bk.from_host((1.0 / np.sqrt(var + eps)).astype(x.dtype))
        xhat = (x - bk.from_host(mean.astype(x.dtype)).reshape(shape)) * invstd.reshape(shape)
        out = xhat if weight is None else xhat * weight.reshape(shape)
        if bias is not None:
            out = out + bias.reshape(shape)
        ctx.save_for_backward(xhat, invstd, weight)
        ctx.axes, ctx.shape, ctx.count, ctx.group = axes, shape, n, group
        return out

    @staticmethod
    def backward(ctx, g):
        xhat, invstd, weight = ctx.saved
        axes, shape, bk = ctx.axes, ctx.shape, ctx.backend
        gw = (g * xhat).sum(axis=axes) if ctx.needs_input_grad[1] else None
        gb = g.sum(axis=axes) if ctx.needs_input_grad[2] else None
        gx = None
        if ctx.needs_input_grad[0]:  # the same on every rank (the same model), so all ranks join the all-reduce
            c = shape[1]
            dxhat = g if weight is None else g * weight.reshape(shape)
            sums = np.empty(2 * c, dtype=np.float64)
            sums[:c], sums[c:] = bk.to_host(dxhat.sum(axis=axes)), bk.to_host((dxhat * xhat).sum(axis=axes))
            group = ctx.group
            group.autograd_comm.Allreduce(group.MPI.IN_PLACE, sums, op=group.MPI.SUM)
            means = bk.from_host((sums / ctx.count).astype(g.dtype))
            gx = (dxhat - means[:c].reshape(shape) - xhat * means[c:].reshape(shape)) * invstd.reshape(shape)
        return gx, gw, gb, None, None, None


class SyncBatchNorm(_BatchNorm):
    """BatchNorm over (N, C, ...) inputs with statistics synchronised across ranks in training (torch's)."""

    _expected_dims = (2, 3, 4, 5)

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 process_group=None, device=None, dtype=None):
        if process_group is not None:
            raise NotImplementedError("[SyncBatchNorm] only the default group (process_group=None) exists in axonal")
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device=device, dtype=dtype)

    def forward(self, x):
        group = _group_module._group
        if not self.training or group is None or group.size == 1:
            return super().forward(x)
        if x.ndim not in self._expected_dims:
            raise ValueError(f"[SyncBatchNorm] expected a 2-D to 5-D input, got {x.shape}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"[SyncBatchNorm] input has {x.shape[1]} channels but the layer expects "
                             f"{self.num_features} (input {x.shape})")
        stats = {}
        out = _SyncBatchNormFunction.apply(x, self.weight, self.bias, self.eps, group, stats)
        if self.track_running_stats:
            self.num_batches_tracked.data += 1
            momentum = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked.data)
            for buffer, value in ((self.running_mean, stats["mean"]), (self.running_var, stats["unbiased_var"])):
                bk_value = _to_device_of(buffer.data, value.astype(buffer.dtype))
                buffer.data *= 1 - momentum
                buffer.data += momentum * bk_value
        return out

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """Replaces every BatchNorm1d/2d in ``module`` (or ``module`` itself) by a SyncBatchNorm sharing its
        Parameters and running-statistics tensors (an optimizer built before keeps working); returns the result."""
        if process_group is not None:
            raise NotImplementedError("[SyncBatchNorm] only the default group (process_group=None) exists in axonal")
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            sync = cls(module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats)
            if module.affine:
                sync.weight, sync.bias = module.weight, module.bias
            if module.track_running_stats:
                for name in ("running_mean", "running_var", "num_batches_tracked"):
                    sync.register_buffer(name, getattr(module, name))
            sync.train(module.training)
            return sync
        for name, child in list(module._modules.items()):
            if child is not None:
                module._modules[name] = cls.convert_sync_batchnorm(child)
        return module


def _to_device_of(target, host_array):
    bk = backend.of(target)
    return host_array if bk is backend.cpu else bk.from_host(host_array)
