"""axonal: train neural networks fast on a CPU, with an API shaped like PyTorch's."""
from .cpu import cpu_info  # first: sets the OpenMP defaults before axonal._C loads libgomp

# isort: split
from . import (
    _C,
    accelerator,
    autograd,
    backend,
    cuda,
    data,
    dtypes,
    linalg,
    models,
    nn,
    ops,
    optim,
    tensor_methods,  # noqa: F401 - binds Tensor's op methods (after the ops, before anything uses them)
    train,
)
from ._version import __version__
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .backend import device
from .creation import (
    arange,
    as_tensor,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .dlpack import from_dlpack
from .dtypes import (  # noqa: A004
    bool_,
    double,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int8,
    int16,
    int32,
    int64,
    is_floating_point,
    long,
    promote_types,
    set_default_dtype,
    short,
    uint8,
)
from .io import load, save
from .ops.activation import log_softmax, relu, sigmoid, softmax, tanh
from .ops.binary import (
    add,
    allclose,
    atan2,
    bitwise_and,
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
    clamp,
    clamp_max,
    clamp_min,
    copysign,
    div,
    eq,
    equal,
    floor_divide,
    fmax,
    fmin,
    fmod,
    ge,
    greater,
    greater_equal,
    gt,
    hypot,
    isclose,
    isfinite,
    isinf,
    isnan,
    isneginf,
    isposinf,
    le,
    lerp,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    maximum,
    minimum,
    ne,
    not_equal,
    remainder,
    signbit,
    sub,
)
from .ops.elementwise import abs, exp, log, pow, sqrt, where  # noqa: A004
from .ops.indexing import (
    argsort,
    gather,
    index_add,
    index_select,
    masked_fill,
    masked_select,
    nonzero,
    scatter,
    scatter_add,
    sort,
    take_along_dim,
    topk,
)
from .ops.linalg import addmm, addmv, baddbmm, bmm, dot, einsum, matmul, mm, mv, outer
from .ops.math_ops import (
    acos,
    acosh,
    asin,
    asinh,
    atan,
    atanh,
    ceil,
    cos,
    cosh,
    erf,
    erfc,
    erfinv,
    exp2,
    expm1,
    fix,
    floor,
    frac,
    log1p,
    log2,
    log10,
    logit,
    nan_to_num,
    reciprocal,
    round,
    rsqrt,
    sign,
    sin,
    sinh,
    square,
    tan,
    trunc,
)
from .ops.rearrange import (
    chunk,
    diag,
    diagonal,
    flip,
    fliplr,
    flipud,
    hstack,
    movedim,
    narrow,
    repeat_interleave,
    roll,
    rot90,
    select,
    split,
    swapaxes,
    tile,
    trace,
    tril,
    triu,
    unbind,
    unflatten,
    vstack,
)
from .ops.reduce import (  # noqa: A004
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    count_nonzero,
    max,
    mean,
    min,
    prod,
    std,
    std_mean,
    sum,
    var,
    var_mean,
)
from .ops.scan import cummax, cummin, cumprod, cumsum
from .ops.shape import (
    cat,
    flatten,
    permute,
    reshape,
    squeeze,
    stack,
    transpose,
    unsqueeze,
)
from .ops.statistics import logsumexp, median, norm
from .random import Generator, default_generator, initial_seed, manual_seed, seed
from .tensor import Tensor, is_tensor
from .tensor_methods import Size
from .threads import get_num_threads, set_num_threads

float = float32  # noqa: A001 - torch's spellings of dtypes that shadow Python builtins
int = int32  # noqa: A001
bool = bool_  # noqa: A001
concat = concatenate = cat
arccos, arcsin, arctan, arccosh, arcsinh, arctanh = acos, asin, atan, acosh, asinh, atanh
clip = clamp
absolute = abs
negative = neg = ops.elementwise.neg
multiply, mul = ops.elementwise.mul, ops.elementwise.mul
subtract = sub
divide, true_divide = div, ops.elementwise.div
swapdims, moveaxis = swapaxes, movedim


def numel(t):
    return t.numel()


def t(x):  # noqa: D103 - torch.t
    return x.t()


def clone(x):
    return x.clone()


def detach(x):
    return x.detach()

