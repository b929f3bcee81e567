"""nn.ConvTranspose2d with torch's arguments, weight layout (in_channels, out_channels / groups, kH, kW) and
default init (kaiming_uniform(a=sqrt(5)) with torch's fan of that layout, bias U(-1/sqrt(fan), 1/sqrt(fan)))."""
import math

import numpy as np

from .. import dtypes
from ..ops._checks import pair
from ..ops.conv_transpose import conv_transpose2d, output_padding_for
from . import init
from .module import Module
from .parameter import Parameter


class ConvTranspose2d(Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        op = "ConvTranspose2d"
        for name, v in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"[{op}] {name} must be a positive int, got {v!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"[{op}] in_channels ({in_channels}) and out_channels ({out_channels}) must be divisible "
                             f"by groups ({groups})")
        if padding_mode != "zeros":
            raise ValueError(f'[{op}] Only "zeros" padding mode is supported for {op}, got {padding_mode!r}')
        if isinstance(padding, str):
            raise ValueError(f"[{op}] padding must be an int or a pair of ints, got {padding!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair(kernel_size, "kernel_size", op)
        self.stride, self.padding = pair(stride, "stride", op), pair(padding, "padding", op)
        self.output_padding, self.dilation = pair(output_padding, "output_padding", op), pair(dilation, "dilation", op)
        self.padding_mode = padding_mode
        dtype = dtypes.resolve(dtype)
        self.weight = Parameter(np.empty((in_channels, out_channels // groups, *self.kernel_size), dtype=dtype))
        self.bias = Parameter(np.empty((out_channels,), dtype=dtype)) if bias else None
        self.reset_parameters()
        if device is not None:
            self.to(device)

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input, output_size=None):  # noqa: A002 - torch's name
        output_padding = self.output_padding
        if output_size is not None:
            output_padding = output_padding_for("ConvTranspose2d", input.shape, output_size, self.weight.shape,
                                                self.stride, self.padding, self.dilation)
        return conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups,
                                self.dilation)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0, 0):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s
