"""conv_transpose2d: the gradient of conv2d with respect to its input, as a layer of its own (NCHW; stride,
padding, output_padding, dilation, groups), on the backend's convolution kernels:

  forward          = conv2d_backward_input(x, w): x (N, C_in, H, W) plays the convolution's output gradient and
                     w (C_in, C_out/groups, kH, kW) is read as a conv weight with K = C_in, C = C_out/groups
  d input          = conv2d_forward(g, w)
  d weight         = conv2d_backward_weight with the roles swapped: x plays grad_out, g plays the input
  d bias           = g summed over N, H, W

H_out = (H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1. The rows a convolution over
H_out would never read (output_padding >= stride, allowed when dilation > output_padding) get zeros: the
kernels run on the largest H_out they can map back to H and the rest is padded.

groups > 1 runs the kernels once per group (the CPU kernels have no groups argument yet; the AVX-512 work adds
it, then this loop can hand groups to the backend).
"""
import numbers

from ..autograd.function import Function
from . import _checks
from ._checks import pair


def _extent(size, kernel, stride, pad, dil):
    """Output rows the kernel touches: (size - 1) * stride - 2 * pad + dil * (kernel - 1) + 1."""
    return (size - 1) * stride - 2 * pad + dil * (kernel - 1) + 1


class ConvTranspose2d(Function):
    fresh_grads = True

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, output_padding, dilation, groups):
        bk, xp = ctx.backend, ctx.xp
        N, C_in, H, W = x.shape
        C_out = w.shape[1] * groups
        full = tuple(_extent(s, k, st, p, d) + op for s, k, st, p, d, op in
                     zip((H, W), w.shape[2:], stride, padding, dilation, output_padding))
        # The kernels' part: output_padding clipped to stride - 1, where a conv over it still gives (H, W).
        core = tuple(_extent(s, k, st, p, d) + min(op, st - 1) for s, k, st, p, d, op in
                     zip((H, W), w.shape[2:], stride, padding, dilation, output_padding))
        parts = []
        cg_in, cg_out = C_in // groups, C_out // groups
        for g in range(groups):
            xg = x if groups == 1 else xp.ascontiguousarray(x[:, g * cg_in:(g + 1) * cg_in])
            wg = w if groups == 1 else xp.ascontiguousarray(w[g * cg_in:(g + 1) * cg_in])
            parts.append(bk.conv2d_backward_input(xg, wg, (N, cg_out) + core, stride, padding, dilation))
        y = parts[0] if groups == 1 else xp.concatenate(parts, axis=1)
        if core != full:
            padded = xp.zeros((N, C_out) + full, dtype=x.dtype)
            padded[:, :, :core[0], :core[1]] = y
            y = padded
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
        ctx.save_for_backward(x, w)
        ctx.conf = (stride, padding, dilation, groups, core, b is not None)
        return y

    @staticmethod
    def backward(ctx, g):
        bk, xp = ctx.backend, ctx.xp
        x, w = ctx.saved
        stride, padding, dilation, groups, core, has_bias = ctx.conf
        needs = ctx.needs_input_grad
        gb = g.sum(axis=(0, 2, 3)) if has_bias and needs[2] else None
        gc = xp.ascontiguousarray(g[:, :, :core[0], :core[1]])
        cg_in, cg_out = x.shape[1] // groups, gc.shape[1] // groups
        gx_parts, gw_parts = [], []
        for k in range(groups):
            xg = x if groups == 1 else xp.ascontiguousarray(x[:, k * cg_in:(k + 1) * cg_in])
            wg = w if groups == 1 else xp.ascontiguousarray(w[k * cg_in:(k + 1) * cg_in])
            gg = gc if groups == 1 else xp.ascontiguousarray(gc[:, k * cg_out:(k + 1) * cg_out])
            if needs[0]:
                gx_parts.append(bk.conv2d_forward(gg, wg, None, stride, padding, dilation))
            if needs[1]:
                gw_parts.append(bk.conv2d_backward_weight(xg, gg, wg.shape, False, stride, padding, dilation)[0])
        gx = None if not gx_parts else gx_parts[0] if groups == 1 else xp.concatenate(gx_parts, axis=1)
        gw = None if not gw_parts else gw_parts[0] if groups == 1 else xp.concatenate(gw_parts, axis=0)
        return gx, gw, gb, None, None, None, None, None


def output_padding_for(op, input_shape, output_size, weight_shape, stride, padding, dilation):
    """torch's _output_padding: the output_padding that gives ``output_size`` (the last two entries used)."""
    size = list(output_size)[-2:]
    if len(size) != 2:
        raise ValueError(f"[{op}] output_size must have 2 or more elements (..., H, W), got {output_size!r}")
    result = []
    for i in range(2):
        smallest = _extent(input_shape[2 + i], weight_shape[2 + i], stride[i], padding[i], dilation[i])
        largest = smallest + stride[i] - 1
        if not smallest <= size[i] <= largest:
            lows = [_extent(input_shape[2 + j], weight_shape[2 + j], stride[j], padding[j], dilation[j])
                    for j in range(2)]
            highs = [low + stride[j] - 1 for j, low in enumerate(lows)]
            raise ValueError(f"[{op}] requested an output size of {size}, but valid sizes range from {lows} "
                             f"to {highs} (for an input of {tuple(input_shape[2:])})")
        result.append(size[i] - smallest)
    return tuple(result)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):  # noqa: A002
    """torch.nn.functional.conv_transpose2d (same argument order: groups before dilation)."""
    op = "conv_transpose2d"
    _checks.tensors(op, input=input, weight=weight)
    if bias is not None:
        _checks.tensors(op, bias=bias)
    _checks.float_tensors(op, input=input, weight=weight, bias=bias)
    stride, padding = pair(stride, "stride", op), pair(padding, "padding", op)
    output_padding, dilation = pair(output_padding, "output_padding", op), pair(dilation, "dilation", op)
    if input.ndim != 4 or weight.ndim != 4:
        raise ValueError(f"[{op}] expects a 4-D input (N, C_in, H, W) and a 4-D weight (C_in, C_out/groups, kH, kW), "
                         f"got input {input.shape}, weight {weight.shape}")
    if input.dtype != weight.dtype or (bias is not None and bias.dtype != input.dtype):
        raise TypeError(f"[{op}] input, weight and bias must have one dtype, got input {input.dtype}, weight "
                        f"{weight.dtype}" + (f", bias {bias.dtype}" if bias is not None else ""))
    if not isinstance(groups, numbers.Integral) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"[{op}] groups must be a positive int, got {groups!r}")
    N, C_in, H, W = input.shape
    if min(input.shape) < 1 or min(weight.shape) < 1:
        raise ValueError(f"[{op}] every size must be >= 1, got input {input.shape}, weight {weight.shape}")
    if weight.shape[0] != C_in:
        raise ValueError(f"[{op}] input has {C_in} channels but weight expects {weight.shape[0]} (input {input.shape}, "
                         f"weight {weight.shape})")
    if C_in % groups:
        raise ValueError(f"[{op}] in channels {C_in} are not divisible by groups {groups}")
    C_out = weight.shape[1] * groups
    if bias is not None and bias.shape != (C_out,):
        raise ValueError(f"[{op}] bias must have shape ({C_out},), got {bias.shape} (weight {weight.shape}, groups "
                         f"{groups})")
    for name, v, low in (("stride", stride, 1), ("padding", padding, 0), ("dilation", dilation, 1),
                         ("output_padding", output_padding, 0)):
        if min(v) < low:
            raise ValueError(f"[{op}] {name} must be >= {low}, got {v}")
    for i in range(2):
        if output_padding[i] >= max(stride[i], dilation[i]):
            raise ValueError(f"[{op}] output padding must be smaller than either stride or dilation, got "
                             f"output_padding {output_padding}, stride {stride}, dilation {dilation}")
    out = [_extent(s, k, st, p, d) + o for s, k, st, p, d, o in
           zip((H, W), weight.shape[2:], stride, padding, dilation, output_padding)]
    if min(out) < 1 or min(_extent(s, k, st, p, d) for s, k, st, p, d in
                           zip((H, W), weight.shape[2:], stride, padding, dilation)) < 1:
        raise ValueError(f"[{op}] the output size {tuple(out)} is too small (input {input.shape}, weight "
                         f"{weight.shape}, stride {stride}, padding {padding}, dilation {dilation})")
    from .conv import _ensure_c

    return ConvTranspose2d.apply(_ensure_c(input), _ensure_c(weight), None if bias is None else _ensure_c(bias),
                                 stride, padding, output_padding, dilation, int(groups))
