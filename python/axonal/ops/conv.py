"""conv2d as a Function over the backend's convolution kernels (NCHW; stride, padding, dilation per axis; groups,
depthwise included, in the same kernel calls)."""
from ..autograd.function import Function
from ..errors import ShapeError
from . import _checks
from ._checks import pair


class Conv2d(Function):
    fresh_grads = True  # the backward kernels return new arrays

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        ctx.save_for_backward(x, w)
        ctx.conf = (stride, padding, dilation, groups)
        ctx.has_bias = b is not None
        return ctx.backend.conv2d_forward(x, w, b, stride, padding, dilation, groups=groups)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved
        return _conv_backward(ctx, x, w, ctx.xp.ascontiguousarray(g))


def _conv_backward(ctx, x, w, g):
    stride, padding, dilation, groups = ctx.conf
    bk = ctx.backend
    gx = gw = gb = None
    if ctx.needs_input_grad[0]:
        gx = bk.conv2d_backward_input(g, w, x.shape, stride, padding, dilation, groups=groups)
    if ctx.needs_input_grad[1] or (ctx.has_bias and ctx.needs_input_grad[2]):
        gw, gb = bk.conv2d_backward_weight(g, x, w.shape, ctx.has_bias, stride, padding, dilation, groups=groups)
    return gx, gw, gb, None, None, None, None


class Conv2dReLU(Function):
    """relu(conv2d(...)) as one node: the convolution kernel applies the ReLU to each block of output while
    it is still in cache (no second pass over an activation-sized array), and backward masks the incoming
    gradient once before the conv kernels. Values and gradients are those of the two ops in sequence."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        out = ctx.backend.conv2d_forward(x, w, b, stride, padding, dilation, relu=True, groups=groups)
        ctx.save_for_backward(x, w, out)
        ctx.conf = (stride, padding, dilation, groups)
        ctx.has_bias = b is not None
        return out

    @staticmethod
    def backward(ctx, g):
        x, w, out = ctx.saved
        return _conv_backward(ctx, x, w, ctx.xp.ascontiguousarray(ctx.backend.relu_backward(g, out)))


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv(Conv2d, x, weight, bias, stride, padding, dilation, groups)


def conv2d_relu(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """relu(conv2d(...)) as one op (same values and gradients, one graph node)."""
    return _conv(Conv2dReLU, x, weight, bias, stride, padding, dilation, groups)


def _conv(fn, x, weight, bias, stride, padding, dilation, groups=1):
    _checks.tensors("conv2d", input=x, weight=weight)
    stride, dilation = pair(stride, "stride", "conv2d"), pair(dilation, "dilation", "conv2d")
    if isinstance(padding, str):
        padding = _string_padding(padding, weight.shape, dilation, stride)
    padding = pair(padding, "padding", "conv2d")
    _checks.conv2d(x, weight, bias, stride, padding, dilation, groups)
    return fn.apply(_ensure_c(x), _ensure_c(weight), None if bias is None else _ensure_c(bias), stride, padding,
                    dilation, int(groups))


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """A 1-D convolution over (N, C, L) as a 2-D one over (N, C, 1, L)."""
    _checks.tensors("conv1d", input=x, weight=weight)
    if x.ndim not in (2, 3) or weight.ndim != 3:
        raise ShapeError(f"[conv1d] expects a 3-D input (N, C, L) and a 3-D weight (K, C, k), got input {x.shape}, "
                         f"weight {weight.shape}")
    batched = x.ndim == 3
    x4 = (x if batched else x.unsqueeze(0)).unsqueeze(2)
    one = lambda v, name: (1 if name != "padding" else 0, v[0] if isinstance(v, (tuple, list)) else v)  # noqa: E731
    pad = padding if isinstance(padding, str) else one(padding, "padding")
    out = conv2d(x4, weight.unsqueeze(2), bias, one(stride, "stride"), pad, one(dilation, "dilation"), groups)
    out = out.squeeze(2)
    return out if batched else out.squeeze(0)


def _string_padding(mode, wshape, dilation, stride):
    if mode == "valid":
        return (0, 0)
    if mode == "same":
        if stride != (1, 1):
            raise ValueError(f"[conv2d] padding='same' needs stride 1, got {stride}")
        pads = []
        for k, d in zip(wshape[2:], dilation):
            total = d * (k - 1)
            if total % 2:
                raise ValueError(f"[conv2d] padding='same' with an even effective kernel ({k}, dilation {d}) "
                                 "is not supported")
            pads.append(total // 2)
        return tuple(pads)
    raise ValueError(f"[conv2d] padding must be an int, a pair, 'valid' or 'same', got {mode!r}")


def _ensure_c(t):
    # The kernels read C-contiguous memory; views from transpose/permute get one copy here.
    if t.data.flags.c_contiguous:
        return t
    return _Contiguous.apply(t)


class _Contiguous(Function):
    @staticmethod
    def forward(ctx, a):
        return ctx.xp.ascontiguousarray(a)

    @staticmethod
    def backward(ctx, g):
        return g


    @staticmethod
    def backward_tensors(ctx, g):
        return g
