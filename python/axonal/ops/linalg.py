"""matmul with NumPy's rules (1-D promotion, broadcast batches) on the backend's GEMM."""
from ..autograd.function import Function
from ..errors import ShapeError
from ..tensor import Tensor
from . import _checks
from .elementwise import cast


class MatMul(Function):
    fresh_grads = True  # new GEMM results (or views of them, which the engine copies)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.backend.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved
        mm = ctx.backend.matmul
        ga = mm(g, b.swapaxes(-1, -2)) if ctx.needs_input_grad[0] else None
        gb = mm(a.swapaxes(-1, -2), g) if ctx.needs_input_grad[1] else None
        return ga, gb

    @staticmethod
    def backward_tensors(ctx, g):
        a, b = ctx.inputs
        return g @ b.transpose(-1, -2), a.transpose(-1, -2) @ g


def matmul(a, b):
    a = a if isinstance(a, Tensor) else Tensor(a)
    b = b if isinstance(b, Tensor) else Tensor(b)
    ad, bd = a.data, b.data
    if ad.ndim == 2 and bd.ndim == 2 and ad.dtype is bd.dtype and ad.dtype.char in "fd" and ad.shape[1] == bd.shape[0]:
        return MatMul.apply(a, b)
    _checks.matmul(a, b)
    if a.dtype != b.dtype:  # float32 @ float64 computes in float64 (NumPy's promotion)
        a, b = cast(a, _checks.FLOATS[1]), cast(b, _checks.FLOATS[1])
    # NumPy's 1-D rules as reshapes around the 2-D product, so they need no backward of their own.
    if a.ndim == 1 and b.ndim == 1:
        return MatMul.apply(a.reshape(1, -1), b.reshape(-1, 1)).reshape(())
    if a.ndim == 1:
        return MatMul.apply(a.unsqueeze(0), b).squeeze(-2)
    if b.ndim == 1:
        return MatMul.apply(a, b.unsqueeze(-1)).squeeze(-1)
    return MatMul.apply(a, b)


def _check_ndim(op, t, n):
    if t.ndim != n:
        raise ShapeError(f"[{op}] expects a {n}-D tensor, got shape {t.shape}")


def mm(a, b):
    _check_ndim("mm", a, 2)
    _check_ndim("mm", b, 2)
    return matmul(a, b)


def bmm(a, b):
    _check_ndim("bmm", a, 3)
    _check_ndim("bmm", b, 3)
    if a.shape[0] != b.shape[0]:
        raise ShapeError(f"[bmm] batch sizes differ: {a.shape} @ {b.shape}")
    return matmul(a, b)


def mv(a, v):
    _check_ndim("mv", a, 2)
    _check_ndim("mv", v, 1)
    return matmul(a, v)


def dot(a, b):
    _check_ndim("dot", a, 1)
    _check_ndim("dot", b, 1)
    return matmul(a, b)


def outer(a, b):
    _check_ndim("outer", a, 1)
    _check_ndim("outer", b, 1)
    return a.unsqueeze(1) * b.unsqueeze(0)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):  # noqa: A002 - torch's name
    product = mm(mat1, mat2)
    return (input if beta == 1 else input * beta) + (product if alpha == 1 else product * alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):  # noqa: A002
    product = bmm(batch1, batch2)
    return (input if beta == 1 else input * beta) + (product if alpha == 1 else product * alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):  # noqa: A002
    product = mv(mat, vec)
    return (input if beta == 1 else input * beta) + (product if alpha == 1 else product * alpha)


class Einsum(Function):
    """einsum on the array module; the gradient of each operand is the einsum of the output gradient with the
    other operands, summed into that operand's subscripts (broadcast back where a letter appears only there)."""

    @staticmethod
    def forward(ctx, spec, *operands):
        inputs, output = spec
        ctx.spec = spec
        ctx.save_for_backward(*operands)
        return ctx.xp.einsum(",".join(inputs) + "->" + output, *operands)

    @staticmethod
    def backward(ctx, g):
        inputs, output = ctx.spec
        operands = ctx.saved
        grads = [None]
        for i, sub in enumerate(inputs):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            grads.append(_einsum_grad(ctx.xp, g, output, inputs, operands, i))
        return tuple(grads)


def _einsum_grad(xp, g, output, inputs, operands, i):
    sub = inputs[i]
    if len(set(sub)) != len(sub):
        raise NotImplementedError(f"[einsum] the gradient of an operand with a repeated subscript ({sub!r}) "
                                  "is not supported")
    others = [(s, o) for j, (s, o) in enumerate(zip(inputs, operands)) if j != i]
    available = set(output).union(*(set(s) for s, _ in others))
    kept = "".join(c for c in sub if c in available)
    grad = xp.einsum(",".join([output] + [s for s, _ in others]) + "->" + kept, g, *[o for _, o in others])
    if kept != sub:  # letters summed out of this operand alone: their gradient is broadcast back
        shape = [operands[i].shape[k] if c in kept else 1 for k, c in enumerate(sub)]
        grad = xp.broadcast_to(grad.reshape(shape), operands[i].shape)
    return grad


def _parse_einsum(equation, operands):
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(operands):
        raise ValueError(f"[einsum] the equation {equation!r} has {len(inputs)} operands, got {len(operands)}")
    used = set(equation) - set(",->.")
    spare = iter(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used)
    ellipsis = None
    expanded = []
    for sub, op in zip(inputs, operands):
        if "..." in sub:
            n = op.ndim - (len(sub) - 3)
            if ellipsis is None:
                ellipsis = "".join(next(spare) for _ in range(n))
            elif len(ellipsis) < n:
                ellipsis = "".join(next(spare) for _ in range(n - len(ellipsis))) + ellipsis
            sub = sub.replace("...", ellipsis[len(ellipsis) - n:])
        if len(sub) != op.ndim:
            raise ShapeError(f"[einsum] subscripts {sub!r} do not match an operand of shape {op.shape}")
        expanded.append(sub)
    if arrow:
        output = rhs.replace("...", ellipsis or "")
    else:
        counts = {}
        for c in "".join(expanded):
            counts[c] = counts.get(c, 0) + 1
        once = sorted(c for c, n in counts.items() if n == 1 and c not in (ellipsis or ""))
        output = (ellipsis or "") + "".join(once)
    return tuple(expanded), output


def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for t in operands:
        if not isinstance(t, Tensor):
            raise TypeError(f"[einsum] operands must be Tensors, got {type(t).__name__}")
    return Einsum.apply(_parse_einsum(equation, operands), *operands)
