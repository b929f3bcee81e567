"""axonal: train neural networks fast on a CPU, with an API shaped like PyTorch's."""
from .cpu import cpu_info  # first: sets the OpenMP defaults before axonal._C loads libgomp
from . import _C, autograd, data, dtypes, models, nn, optim, train
from .autograd import enable_grad, no_grad, set_grad_enabled, is_grad_enabled
from .creation import (
    arange, as_tensor, empty, from_numpy, full, linspace, ones, ones_like, rand, randint, randn, randperm, tensor,
    zeros, zeros_like,
)
from .io import load, save
from .dtypes import bool_, double, float32, float64, get_default_dtype, int32, int64, long, set_default_dtype, uint8
from .ops.activation import sigmoid, softmax, tanh, relu, log_softmax
from .ops.elementwise import abs, clamp, exp, log, sqrt, where, pow  # noqa: A004
from .ops.linalg import matmul
from .ops.reduce import argmax, argmin, max, mean, min, sum  # noqa: A004
from .ops.shape import cat, flatten, permute, reshape, squeeze, stack, transpose, unsqueeze
from .random import manual_seed
from .tensor import Tensor, is_tensor
from .threads import get_num_threads, set_num_threads

float = float32  # noqa: A001 - torch's spelling of the default float dtype

__version__ = "0.1.0"
