"""Layers with weights: Linear and Conv2d, initialised exactly as PyTorch does."""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from .._alloc import names_memory_errors
from .._typing import DeviceLike, DTypeLike
from ..ops._checks import pair
from ..ops.conv import conv1d, conv2d
from ..ops.linear import linear
from ..ops.padding import pad
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter


def _check_positive(op, **sizes):
    for name, value in sizes.items():
        if not isinstance(value, (int, np.integer)) or value <= 0:
            raise ValueError(f"[{op}] {name} must be a positive int, got {value!r}")


class Linear(Module):
    """y = x @ W.T + b, W of shape (out_features, in_features); torch's default initialisation.

    Args:
        in_features: the size of each input's last dimension.
        out_features: the size of each output's last dimension.
        bias: learn an additive bias b of shape (out_features,).
        device: where the parameters live.
        dtype: their dtype (default: the default float dtype).
    """

    @names_memory_errors()
    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: DeviceLike = None,
                 dtype: DTypeLike = None) -> None:
        super().__init__()
        _check_positive("Linear", in_features=in_features, out_features=out_features)
        self.in_features, self.out_features = in_features, out_features
        dtype = dtypes.resolve(dtype)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        self.bias = Parameter(np.empty((out_features,), dtype=dtype)) if bias else None
        self.reset_parameters()
        if device is not None:
            self.to(device)

    def reset_parameters(self) -> None:
        # torch's default: kaiming_uniform(a=sqrt(5)) == U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for both.
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Conv2d(Module):
    """2-D convolution over (N, C, H, W) inputs with weight (out_channels, in_channels / groups, kH, kW).

    Args:
        in_channels: C of the input.
        out_channels: channels of the output.
        kernel_size: kH, kW (an int for both).
        stride: the step between windows.
        padding: zeros added on each side, or "same" / "valid".
        dilation: the spacing between kernel taps.
        groups: split the channels into this many independent convolutions.
        bias: learn an additive bias per output channel.
        padding_mode: "zeros", "reflect", "replicate" or "circular".
        device: where the parameters live.
        dtype: their dtype (default: the default float dtype).
    """
    @names_memory_errors()
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] | str = 0,
                 dilation: int | tuple[int, int] = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: DeviceLike = None, dtype: DTypeLike = None) -> None:
        super().__init__()
        _check_positive(type(self).__name__, in_channels=in_channels, out_channels=out_channels, groups=groups)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"[{type(self).__name__}] in_channels ({in_channels}) and out_channels ({out_channels}) "
                             f"must be divisible by groups ({groups})")
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(f"[{type(self).__name__}] padding_mode must be 'zeros', 'reflect', 'replicate' or "
                             f"'circular', got {padding_mode!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.groups, self.padding_mode = groups, padding_mode
        self.kernel_size = self._tuple(kernel_size, "kernel_size")
        self.stride = self._tuple(stride, "stride")
        self.padding = padding if isinstance(padding, str) else self._tuple(padding, "padding")
        self.dilation = self._tuple(dilation, "dilation")
        dtype = dtypes.resolve(dtype)
        self.weight = Parameter(np.empty((out_channels, in_channels // groups, *self.kernel_size), dtype=dtype))
        self.bias = Parameter(np.empty((out_channels,), dtype=dtype)) if bias else None
        self.reset_parameters()
        if device is not None:
            self.to(device)

    def _tuple(self, v, name):
        return pair(v, name, type(self).__name__)

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def _padded(self, x):
        """The input padded by padding_mode (other than zeros), and the padding left for the convolution."""
        if self.padding_mode == "zeros" or isinstance(self.padding, str):
            return x, self.padding
        widths = []
        for p in reversed(self.padding):
            widths += [p, p]
        return pad(x, tuple(widths), mode=self.padding_mode), (0,) * len(self.padding)

    def forward(self, x: Tensor) -> Tensor:
        x, padding = self._padded(x)
        return conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding not in ((0, 0), (0,)):  # torch shows padding=valid too; only the numeric default is left out
            s += f", padding={self.padding}"
        if self.dilation not in ((1, 1), (1,)):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv1d(Conv2d):
    """A convolution over (N, C, L): the weight is (out_channels, in_channels / groups, kernel_size)."""

    def _tuple(self, v, name):
        if isinstance(v, (tuple, list)):
            if len(v) != 1:
                raise ValueError(f"[Conv1d] {name} must be an int or a 1-tuple, got {v!r}")
            v = v[0]
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise ValueError(f"[Conv1d] {name} must be an int, got {v!r}")
        return (int(v),)

    def forward(self, x: Tensor) -> Tensor:
        x, padding = self._padded(x)
        return conv1d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)
