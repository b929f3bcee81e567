"""Weight initialisers with PyTorch's formulas (fan computation, gains, kaiming defaults)."""
import math

import numpy as np

from .. import backend
from .._alloc import DRAW_CHUNK, fill_drawn
from ..grad_mode import no_grad
from ..random import generator


def calculate_gain(nonlinearity, param=None):
    linear_fns = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
                  "sigmoid")
    if nonlinearity in linear_fns:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"[calculate_gain] unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor):
    if tensor.ndim < 2:
        raise ValueError(f"[init] fan in and fan out need at least 2 dims, got shape {tensor.shape}")
    receptive = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor, mode):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"[init] mode must be 'fan_in' or 'fan_out', got {mode!r}")
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor, values):
    """Writes host ``values`` (an array or a number) into ``tensor`` on its device."""
    with no_grad():
        tensor.copy_(values)
    return tensor


def _fill_random(tensor, draw):
    """Writes ``draw(shape_or_n)`` (float64 samples of the global stream) into ``tensor``. A large contiguous tensor
    is filled in chunks (_alloc.fill_drawn): the same numbers as one draw, without float64 temporaries of its
    whole size, so that creating and initialising a layer needs little more than its parameters' memory."""
    data = tensor.data
    if tensor.numel() <= DRAW_CHUNK or not data.flags.c_contiguous:
        return _fill(tensor, draw(tensor.shape))
    with no_grad():
        tensor._check_inplace("init")
    xp = backend.of(data).xp
    to_device = backend.of(data).from_host

    def put(view, chunk):
        xp.copyto(view, chunk if xp is np else to_device(chunk), casting="same_kind")

    fill_drawn(data.reshape(-1), draw, put)
    return tensor


def uniform_(tensor, a=0.0, b=1.0):
    return _fill_random(tensor, lambda n: generator().uniform(a, b, n))


def normal_(tensor, mean=0.0, std=1.0):
    return _fill_random(tensor, lambda n: generator().normal(mean, std, n))


def constant_(tensor, val):
    return _fill(tensor, val)


def zeros_(tensor):
    return _fill(tensor, 0)


def ones_(tensor):
    return _fill(tensor, 1)


def xavier_uniform_(tensor, gain=1.0):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std)
