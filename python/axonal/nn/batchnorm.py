"""BatchNorm1d / BatchNorm2d: batch statistics in train(), running statistics in eval()."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from .._alloc import names_memory_errors
from .._typing import DeviceLike, DTypeLike
from ..ops.batchnorm import batch_norm
from ..tensor import Tensor
from .module import Module
from .parameter import Parameter


class _BatchNorm(Module):
    _expected_dims = ()

    @names_memory_errors()
    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: DeviceLike = None, dtype: DTypeLike = None) -> None:
        super().__init__()
        dtype = dtypes.resolve(dtype)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
            self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        else:
            self.weight = self.bias = None
        if track_running_stats:
            self.register_buffer("running_mean", Tensor._make(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor._make(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor._make(np.zeros((), dtype=np.int64)))
        else:
            self.running_mean = self.running_var = None
        if device is not None:
            self.to(device)

    def forward(self, x: Tensor) -> Tensor:
        return self.normalize(x)

    def normalize(self, x, relu=False):
        """forward(x), with the ReLU that follows in a Sequential fused in when ``relu``."""
        if x.ndim not in self._expected_dims:
            raise ValueError(
                f"[{type(self).__name__}] expected a {' or '.join(map(str, self._expected_dims))}-D input, "
                f"got {x.shape}"
            )
        if x.shape[1] != self.num_features:
            raise ValueError(f"[{type(self).__name__}] input has {x.shape[1]} channels but the layer expects "
                             f"{self.num_features} (input {x.shape})")
        use_batch = self.training or not self.track_running_stats
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if momentum is None:  # torch: a cumulative moving average of every batch so far
                momentum = 1.0 / float(self.num_batches_tracked.data)
        return batch_norm(
            x,
            self.running_mean if self.track_running_stats else None,
            self.running_var if self.track_running_stats else None,
            self.weight, self.bias, use_batch, momentum, self.eps, relu,
        )

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    _expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    _expected_dims = (4,)
