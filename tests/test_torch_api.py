"""The PyTorch API, called the same way on torch tensors and on axonal tensors.

Each case is one function written against a library ``lib`` (``torch`` or ``axonal``) and its tensors: the same
line runs on both, the outputs must agree in shape, dtype and value, and (for float inputs that require grad)
so must the gradients of every input. Differentiable cases are also gradchecked in float64 against finite
differences, so a wrong gradient fails even where torch agrees with itself.
"""
import numpy as np
import pytest

import axonal
from torch_compare import _as_outputs, compare_with_torch

torch = pytest.importorskip("torch")

# Input domains: most ops take any values; some need positive ones, ones inside (-1, 1), or away from kinks.
DOMAINS = {
    "any": lambda rng, s: rng.uniform(-2, 2, s),
    "pos": lambda rng, s: rng.uniform(0.5, 2.5, s),
    "unit": lambda rng, s: rng.uniform(-0.9, 0.9, s),
    "above1": lambda rng, s: rng.uniform(1.2, 3.0, s),
    "prob": lambda rng, s: rng.uniform(0.05, 0.95, s),
    "int": lambda rng, s: rng.integers(-5, 6, s),
    "nat": lambda rng, s: rng.integers(1, 7, s),
    "bool": lambda rng, s: rng.random(s) > 0.5,
    "distinct": lambda rng, s: rng.permutation(int(np.prod(s))).reshape(s) / 7.0 - 1.0,  # no ties (sort, max)
}


def case(name, fn, *shapes, domain="any", grad=True, rtol=1e-4, atol=1e-5, gradcheck=True):
    """shapes: one per input; domain: a name of DOMAINS, or a tuple of them (one per input)."""
    domains = domain if isinstance(domain, tuple) else (domain,) * len(shapes)
    return pytest.param(fn, shapes, domains, grad, rtol, atol, gradcheck, id=name)


def make_inputs(shapes, domains, seed=0):
    rng = np.random.default_rng(seed)
    arrays = []
    for s, d in zip(shapes, domains):
        a = np.asarray(DOMAINS[d](rng, s))
        arrays.append(a.astype(np.float32) if a.dtype.kind == "f" else (a.astype(np.int64) if a.dtype.kind in "iu" else a))
    return arrays


def as_tuple(out):
    return _as_outputs(out)


def check(fn, shapes, domains, grad, rtol, atol, gradcheck):
    """The case through the project's one torch comparison (values, dtypes, every input gradient), then a float64
    gradcheck of its differentiable outputs."""
    arrays = make_inputs(shapes, domains)
    flags = [grad and a.dtype.kind == "f" for a in arrays]
    compare_with_torch(lambda *t: fn(axonal, *t), lambda *t: fn(torch, *t), arrays, flags, rtol=rtol, atol=atol,
                       grad_rtol=rtol * 10, grad_atol=atol * 10)
    if any(flags) and gradcheck:
        inputs = [axonal.tensor(a.astype(np.float64) if a.dtype.kind == "f" else a, requires_grad=rg)
                  for a, rg in zip(arrays, flags)]

        def f(*xs):
            outs = [o for o in as_tuple(fn(axonal, *xs)) if isinstance(o, axonal.Tensor) and o.requires_grad]
            return outs[0] if len(outs) == 1 else tuple(outs)

        if any(o.requires_grad for o in as_tuple(fn(axonal, *inputs)) if isinstance(o, axonal.Tensor)):
            assert axonal.autograd.gradcheck(f, inputs, atol=1e-5, rtol=1e-3)


ELEMENTWISE = [
    case("sin", lambda lib, x: lib.sin(x), (3, 4)),
    case("cos", lambda lib, x: x.cos(), (3, 4)),
    case("tan", lambda lib, x: lib.tan(x), (3, 4), domain="unit"),
    case("asin", lambda lib, x: lib.asin(x), (5,), domain="unit"),
    case("acos", lambda lib, x: x.acos(), (5,), domain="unit"),
    case("atan", lambda lib, x: lib.atan(x), (5,)),
    case("arcsin-alias", lambda lib, x: lib.arcsin(x) + x.arctan(), (5,), domain="unit"),
    case("sinh-cosh", lambda lib, x: lib.sinh(x) * lib.cosh(x), (2, 3)),
    case("asinh", lambda lib, x: lib.asinh(x), (5,)),
    case("acosh", lambda lib, x: lib.acosh(x), (5,), domain="above1"),
    case("atanh", lambda lib, x: lib.atanh(x), (5,), domain="unit"),
    case("floor-ceil-round-trunc", lambda lib, x: lib.floor(x) + x.ceil() + lib.round(x) + x.trunc() + x * 0.5,
         (4, 3)),
    case("round-decimals", lambda lib, x: lib.round(x, decimals=1), (6,), grad=False),
    case("frac", lambda lib, x: lib.frac(x), (6,)),
    case("sign", lambda lib, x: lib.sign(x) * x, (6,)),
    case("reciprocal-rsqrt", lambda lib, x: lib.reciprocal(x) + lib.rsqrt(x), (6,), domain="pos"),
    case("square", lambda lib, x: lib.square(x), (6,)),
    case("exp2-expm1", lambda lib, x: lib.exp2(x) + lib.expm1(x), (6,)),
    case("log2-log10-log1p", lambda lib, x: lib.log2(x) + lib.log10(x) + lib.log1p(x), (6,), domain="pos"),
    case("erf-erfc", lambda lib, x: lib.erf(x) + lib.erfc(x) * 2, (7,)),
    case("erfinv", lambda lib, x: lib.erfinv(x), (7,), domain="unit"),
    case("logit", lambda lib, x: lib.logit(x), (7,), domain="prob"),
    case("logit-eps", lambda lib, x: lib.logit(x, eps=0.2), (7,), domain="prob", gradcheck=False),
    case("sigmoid-tanh", lambda lib, x: lib.sigmoid(x) + lib.tanh(x), (4,)),
    case("nan_to_num", lambda lib, x: lib.nan_to_num(lib.log(x)), (6,), domain="any", grad=False),
    case("int-to-float", lambda lib, x: lib.sin(x), (5,), domain="int", grad=False),
    case("abs-neg", lambda lib, x: lib.abs(x) - lib.neg(x), (5,)),
    case("clamp-tensor-bounds", lambda lib, x, lo: lib.clamp(x, min=lo, max=lo + 1), (3, 4), (4,)),
    case("clamp-min-max", lambda lib, x: x.clamp(min=-0.5) + x.clamp(max=0.3) + x.clip(-1, 1), (8,)),
    case("clamp_min", lambda lib, x: x.clamp_min(0.2) + x.clamp_max(-0.2), (8,)),
]

BINARY = [
    case("atan2", lambda lib, a, b: lib.atan2(a, b), (3, 4), (4,)),
    case("fmod", lambda lib, a, b: lib.fmod(a, b), (3, 4), (3, 4), domain=("any", "pos")),
    case("remainder-operator", lambda lib, a, b: a % b, (3, 4), (3, 4), domain=("any", "pos")),
    case("remainder-scalar", lambda lib, a: lib.remainder(a, 0.7) + (a % -0.6), (9,)),
    case("floordiv-operator", lambda lib, a, b: a // b, (3, 4), (3, 4), domain=("any", "pos"), grad=False),
    case("floor_divide-int", lambda lib, a, b: lib.floor_divide(a, b), (8,), (8,), domain=("int", "nat")),
    case("div-trunc-int", lambda lib, a, b: lib.div(a, b, rounding_mode="trunc"), (8,), (8,), domain=("int", "nat")),
    case("div-floor-int", lambda lib, a, b: lib.div(a, -b, rounding_mode="floor"), (8,), (8,), domain=("int", "nat")),
    case("div-trunc-float", lambda lib, a, b: a.div(b, rounding_mode="trunc"), (8,), (8,), domain=("any", "pos"),
         grad=False),
    case("true-div-int", lambda lib, a, b: a / b, (8,), (8,), domain=("int", "nat")),
    case("maximum-minimum", lambda lib, a, b: lib.maximum(a, b) * 2 + lib.minimum(a, b), (3, 4), (4,)),
    case("maximum-ties", lambda lib, a: lib.maximum(a, a.detach()) + lib.minimum(a, a.detach()), (5,),
         gradcheck=False),
    case("fmax-fmin", lambda lib, a, b: lib.fmax(a, b) - lib.fmin(a, b), (3, 4), (3, 4)),
    case("hypot", lambda lib, a, b: lib.hypot(a, b), (6,), (6,)),
    case("lerp", lambda lib, a, b, w: lib.lerp(a, b, w), (4,), (4,), (4,), domain=("any", "any", "prob")),
    case("lerp-scalar", lambda lib, a, b: lib.lerp(a, b, 0.3), (4,), (4,)),
    case("copysign", lambda lib, a, b: lib.copysign(a, b), (6,), (6,), gradcheck=False),
    case("pow-tensor", lambda lib, a, b: a ** b, (6,), (6,), domain=("pos", "any")),
    case("pow-zero-base", lambda lib, b: lib.zeros(4, dtype=b.dtype) ** b, (4,), domain="pos", gradcheck=False),
    case("pow-zero-exponent", lambda lib, a: a ** 0 + a ** 0.0, (4,), gradcheck=False),
    case("rpow", lambda lib, a: 2 ** a, (5,)),
    case("add-alpha", lambda lib, a, b: lib.add(a, b, alpha=2) + a.sub(b, alpha=3), (3,), (3,)),
    case("int-float-promotion", lambda lib, a, b: a * b + a, (4,), (4,), domain=("int", "any")),
    case("comparisons", lambda lib, a, b: (lib.eq(a, b), a.ne(b), lib.lt(a, b), a.le(b), a > b, a >= 0,
                                           lib.greater(a, b), lib.less_equal(a, b)), (6,), (6,), domain="int",
         grad=False),
    case("logical", lambda lib, a, b: (lib.logical_and(a, b), lib.logical_or(a, b), lib.logical_xor(a, b),
                                       lib.logical_not(a)), (6,), (6,), domain="bool", grad=False),
    case("bitwise-operators", lambda lib, a, b: (a & b, a | b, a ^ b, ~a, a << 2, a >> 1, 3 & a, 1 | b),
         (6,), (6,), domain="nat", grad=False),
    case("bitwise-bool", lambda lib, a, b: (a & b, a | b, a ^ b, ~a), (6,), (6,), domain="bool", grad=False),
    case("isnan-isinf", lambda lib, x: (lib.isnan(lib.log(x)), lib.isinf(1 / (x * 0)), lib.isfinite(lib.log(x))),
         (6,), grad=False),
    case("isclose", lambda lib, a: lib.isclose(a, a + 1e-6), (6,), grad=False),
    case("where-scalars", lambda lib, a: lib.where(a > 0, a, 0.5) + lib.where(a > 0.5, 1.0, a), (7,)),
    case("where-method", lambda lib, a, b: a.where(a > b, b), (7,), (7,)),
]

REDUCTIONS = [
    case("sum-axis", lambda lib, x: x.sum(axis=1), (4, 5)),
    case("sum-tuple-keepdim", lambda lib, x: lib.sum(x, dim=(0, 2), keepdim=True), (2, 3, 4)),
    case("sum-int", lambda lib, x: x.sum(), (5,), domain="int", grad=False),
    case("sum-bool", lambda lib, x: x.sum(0), (3, 4), domain="bool", grad=False),
    case("mean-dim", lambda lib, x: x.mean(dim=-1) + x.mean(), (3, 4)),
    case("prod", lambda lib, x: x.prod() + x.prod(0).sum(), (3, 4)),
    case("prod-dim-keepdim", lambda lib, x: lib.prod(x, 1, keepdim=True), (3, 4)),
    case("prod-with-zero", lambda lib, x: (x * (x > 0.5)).prod(1), (3, 4), gradcheck=False),
    case("std-correction", lambda lib, x: x.std(correction=0) + lib.std(x, dim=1).sum(), (4, 5)),
    case("var-dim-keepdim", lambda lib, x: x.var(1, keepdim=True), (4, 5)),
    case("var-unbiased-false", lambda lib, x: x.var(0, unbiased=False) + x.var(unbiased=True), (4, 5)),
    case("var-correction-2", lambda lib, x: lib.var(x, dim=(0, 1), correction=2), (3, 4, 2)),
    case("std_mean-var_mean", lambda lib, x: lib.std_mean(x, dim=0) + lib.var_mean(x, dim=1), (4, 5)),
    case("max-dim", lambda lib, x: x.max(dim=1), (4, 5), domain="distinct"),
    case("min-dim-keepdim", lambda lib, x: lib.min(x, 0, keepdim=True), (4, 5), domain="distinct"),
    case("max-binary", lambda lib, a, b: lib.max(a, b), (4,), (4,)),
    case("amax-amin", lambda lib, x: lib.amax(x, dim=(0, 1)) + x.amin(1).sum(), (3, 4, 2), domain="distinct"),
    case("amax-ties", lambda lib, x: lib.amax(lib.ones(3, 4) * x.sum(), dim=1), (2,), gradcheck=False),
    case("argmax-argmin", lambda lib, x: (x.argmax(), lib.argmin(x, dim=1), x.argmax(1, keepdim=True)), (4, 5),
         domain="distinct", grad=False),
    case("all-any", lambda lib, x: (x.all(), lib.any(x, dim=0), x.any(1, keepdim=True)), (3, 4), domain="bool",
         grad=False),
    case("count_nonzero", lambda lib, x: (lib.count_nonzero(x), x.count_nonzero(dim=0)), (3, 4), domain="int",
         grad=False),
    case("logsumexp", lambda lib, x: lib.logsumexp(x, dim=1) + x.logsumexp((0, 1), keepdim=True).sum(), (3, 4)),
    case("norm-default", lambda lib, x: x.norm(), (3, 4)),
    case("norm-p1-dim", lambda lib, x: lib.norm(x, p=1, dim=1), (3, 4)),
    case("vector_norm-p3", lambda lib, x: lib.linalg.vector_norm(x, ord=3, dim=0), (3, 4)),
    case("vector_norm-inf", lambda lib, x: lib.linalg.vector_norm(x, ord=float("inf")), (3, 4), domain="distinct"),
    case("cumsum", lambda lib, x: lib.cumsum(x, dim=1) + x.cumsum(0), (3, 4)),
    case("cumprod", lambda lib, x: lib.cumprod(x, dim=1), (3, 4)),
    case("cumprod-zero", lambda lib, x: (x * (x > -0.5)).cumprod(0), (5, 2), gradcheck=False),
    case("cummax-cummin", lambda lib, x: lib.cummax(x, 1) + tuple(x.cummin(0)), (3, 5), domain="distinct"),
    case("median", lambda lib, x: x.median(), (3, 5), domain="distinct"),
    case("median-dim", lambda lib, x: lib.median(x, dim=1), (4, 4), domain="distinct"),
]

SHAPES = [
    case("view-reshape", lambda lib, x: x.view(4, 6).reshape(-1, 2).view(24), (2, 12)),
    case("flatten-unflatten", lambda lib, x: x.flatten(1).unflatten(1, (3, 2)), (2, 3, 2)),
    case("squeeze-dims", lambda lib, x: x.squeeze((0, 2)), (1, 3, 1, 2)),
    case("unsqueeze-expand_as", lambda lib, x, y: x.unsqueeze(0).expand_as(y) * y, (4,), (3, 4)),
    case("repeat", lambda lib, x: x.repeat(2, 3), (2, 3)),
    case("repeat-new-dims", lambda lib, x: x.repeat(2, 1, 2), (3,)),
    case("tile", lambda lib, x: lib.tile(x, (2,)) + 0, (2, 3)),
    case("repeat_interleave", lambda lib, x: x.repeat_interleave(2, dim=0), (3, 2)),
    case("repeat_interleave-tensor", lambda lib, x: lib.repeat_interleave(x, lib.tensor([1, 0, 3]), dim=1), (2, 3)),
    case("permute-transpose-swapaxes", lambda lib, x: x.permute(2, 0, 1).transpose(0, 1).swapaxes(1, 2), (2, 3, 4)),
    case("movedim", lambda lib, x: lib.movedim(x, (0, 1), (2, 0)), (2, 3, 4)),
    case("T-mT-t", lambda lib, x, y: x.T + x.t() + y.mT.sum(0), (3, 3), (2, 3, 3)),
    case("narrow", lambda lib, x: x.narrow(1, 1, 2), (3, 4)),
    case("chunk", lambda lib, x: x.chunk(3, dim=1), (2, 7)),
    case("split-size", lambda lib, x: lib.split(x, 2, dim=0), (5, 2)),
    case("split-sections", lambda lib, x: x.split([1, 3], 1), (2, 4)),
    case("unbind", lambda lib, x: x.unbind(1), (2, 3)),
    case("stack-cat-concat", lambda lib, a, b: lib.cat([lib.stack([a, b], 1).reshape(4, 3), lib.concat([a, b])], 1),
         (2, 3), (2, 3)),
    case("hstack-vstack", lambda lib, a, b: (lib.hstack([a, b]), lib.vstack([a, b])), (3,), (3,)),
    case("hstack-2d", lambda lib, a, b: lib.hstack([a, b]), (2, 3), (2, 1)),
    case("flip", lambda lib, x: x.flip(0) + lib.flip(x, (0, 1)) + lib.fliplr(x) + x.flipud(), (3, 4)),
    case("roll", lambda lib, x: lib.roll(x, 1, 0) + x.roll((-1, 2), (0, 1)), (3, 4)),
    case("roll-flat", lambda lib, x: lib.roll(x, 5), (3, 4)),
    case("rot90", lambda lib, x: (lib.rot90(x), x.rot90(2), lib.rot90(x, 3, (0, 1)), lib.rot90(x, -1)), (3, 4)),
    case("tril-triu", lambda lib, x: lib.tril(x) + x.triu(1) + x.tril(-1), (4, 4)),
    case("diag-vector", lambda lib, x: lib.diag(x) + lib.diag(x, 0), (4,)),
    case("diag-offset", lambda lib, x: lib.diag(x, 1), (3,)),
    case("diag-matrix", lambda lib, x: lib.diag(x) + x.diag(-1).sum(), (4, 3)),
    case("diagonal", lambda lib, x: lib.diagonal(x, offset=1, dim1=1, dim2=2), (2, 3, 4)),
    case("trace", lambda lib, x: lib.trace(x), (4, 3)),
    case("gather", lambda lib, x: lib.gather(x, 1, lib.tensor([[0, 2, 2], [1, 0, 1], [3, 3, 0]])), (3, 4)),
    case("scatter", lambda lib, x, s: x.scatter(0, lib.tensor([[1, 0, 2, 0]]), s), (3, 4), (1, 4)),
    case("scatter-value", lambda lib, x: lib.scatter(x, 1, lib.tensor([[0], [2], [1]]), value=5.0), (3, 4)),
    case("scatter_add", lambda lib, x, s: x.scatter_add(1, lib.tensor([[0, 0, 2], [1, 1, 1]]), s), (2, 3), (2, 3)),
    case("index_select", lambda lib, x: lib.index_select(x, 1, lib.tensor([2, 0, 2])), (3, 4)),
    case("index_add", lambda lib, x, s: x.index_add(0, lib.tensor([0, 2, 0]), s, alpha=2), (3, 4), (3, 4)),
    case("masked_fill", lambda lib, x: x.masked_fill(x > 0.5, -1.0) + lib.masked_fill(x, x < 0, 0.0), (3, 4)),
    case("masked_select", lambda lib, x: lib.masked_select(x, x > 0), (3, 4)),
    case("nonzero", lambda lib, x: (lib.nonzero(x), x.nonzero(as_tuple=True)), (3, 4), domain="int", grad=False),
    case("take_along_dim", lambda lib, x: lib.take_along_dim(x, lib.argsort(x, dim=1), dim=1), (3, 4),
         domain="distinct"),
    case("sort", lambda lib, x: lib.sort(x, dim=1), (3, 5), domain="distinct"),
    case("sort-descending", lambda lib, x: x.sort(0, descending=True), (4, 3), domain="distinct"),
    case("argsort", lambda lib, x: (lib.argsort(x), x.argsort(0, descending=True)), (3, 4), domain="distinct",
         grad=False),
    case("topk", lambda lib, x: lib.topk(x, 2, dim=1), (3, 5), domain="distinct"),
    case("topk-smallest", lambda lib, x: x.topk(3, largest=False), (6,), domain="distinct"),
    case("advanced-index-int-slice-tensor", lambda lib, x: x[0, :, lib.tensor([1, 0])], (2, 3, 4)),
    case("advanced-index-two-tensors", lambda lib, x: x[lib.tensor([0, 1, 1]), :, lib.tensor([2, 0, 3])],
         (2, 3, 4)),
    case("advanced-index-bool", lambda lib, x: x[x > 0.3], (3, 4)),
    case("advanced-index-ellipsis-none", lambda lib, x: x[..., None, 1:], (2, 3)),
    case("select-negative-index", lambda lib, x: x[-1] + x.select(1, -1).sum(), (3, 4)),
]

LINALG = [
    case("matmul-batch-broadcast", lambda lib, a, b: lib.matmul(a, b), (2, 1, 3, 4), (5, 4, 2)),
    case("mm-bmm-mv-dot", lambda lib, a, b, c, v: (lib.mm(a, b), lib.bmm(c, c.transpose(1, 2)), lib.mv(a, v),
                                                   lib.dot(v, v)), (3, 4), (4, 2), (2, 3, 4), (4,)),
    case("outer", lambda lib, a, b: lib.outer(a, b), (3,), (4,)),
    case("addmm", lambda lib, c, a, b: lib.addmm(c, a, b, beta=0.5, alpha=2.0), (3, 2), (3, 4), (4, 2)),
    case("baddbmm", lambda lib, c, a, b: lib.baddbmm(c, a, b, alpha=0.5), (2, 3, 2), (2, 3, 4), (2, 4, 2)),
    case("einsum-matmul", lambda lib, a, b: lib.einsum("ij,jk->ik", a, b), (3, 4), (4, 2)),
    case("einsum-batch-trace-sum", lambda lib, a, b: lib.einsum("bij,bjk->b", a, b), (2, 3, 4), (2, 4, 3)),
    case("einsum-implicit", lambda lib, a, b: lib.einsum("ij,kj", a, b), (3, 4), (2, 4)),
    case("einsum-ellipsis", lambda lib, a, b: lib.einsum("...ij,...jk->...ik", a, b), (2, 3, 4), (2, 4, 5)),
    case("einsum-reduce", lambda lib, a: lib.einsum("ijk->j", a), (2, 3, 4)),
    case("einsum-outer-list", lambda lib, a, b: lib.einsum("i,j->ij", [a, b]), (3,), (2,)),
]

CREATION = [
    case("zeros-ones-full", lambda lib: (lib.zeros(2, 3), lib.ones((2,)), lib.full((2, 2), 3),
                                         lib.full((2,), 1.5), lib.zeros([])), grad=False),
    case("like", lambda lib, x: (lib.zeros_like(x), lib.ones_like(x), lib.full_like(x, 7), lib.empty_like(x).shape),
         (2, 3), grad=False),
    case("arange", lambda lib: (lib.arange(5), lib.arange(1, 10, 3), lib.arange(0.5, 3.0, 0.5), lib.arange(10, 5, -2)),
         grad=False),
    case("linspace-logspace", lambda lib: (lib.linspace(0, 1, 5), lib.linspace(5, -5, 7, dtype=lib.int32),
                                           lib.logspace(0, 2, 3), lib.linspace(1, 2, 0)), grad=False),
    case("eye", lambda lib: (lib.eye(3), lib.eye(2, 4), lib.eye(0)), grad=False),
    case("tensor-dtypes", lambda lib: (lib.tensor([1, 2]), lib.tensor([1.0]), lib.tensor(True), lib.tensor(2.5),
                                       lib.tensor([[1, 2]], dtype=lib.float64), lib.Tensor([1.0, 2.0])), grad=False),
    case("dtype-conversions", lambda lib, x: (x.int(), x.long(), x.float(), x.double(), x.half(), x.bool(), x.short(),
                                              x.to(lib.int8), x.type(lib.float64), x.to(lib.float16)), (4,),
         grad=False),
    case("dtype-names", lambda lib: tuple(lib.zeros(1, dtype=d) for d in (lib.int, lib.long, lib.float, lib.double,
                                                                           lib.half, lib.bool, lib.uint8, lib.int16)),
         grad=False),
    case("size", lambda lib, x: (lib.tensor(x.shape.numel()), lib.tensor(list(x.size())), lib.tensor(x.size(1))),
         (2, 3), grad=False),
]


@pytest.mark.parametrize("fn, shapes, domains, grad, rtol, atol, gradcheck",
                         ELEMENTWISE + BINARY + REDUCTIONS + SHAPES + LINALG + CREATION)
def test_same_as_torch(fn, shapes, domains, grad, rtol, atol, gradcheck):
    check(fn, shapes, domains, grad, rtol, atol, gradcheck)


# ---- errors: the exception types torch raises ----------------------------------------------------------------
ERRORS = [
    ("broadcast", lambda lib: lib.ones(2, 3) + lib.ones(4), RuntimeError),
    ("matmul-shapes", lambda lib: lib.ones(2, 3) @ lib.ones(4, 5), RuntimeError),
    ("reshape", lambda lib: lib.ones(2, 3).reshape(4, 2), RuntimeError),
    ("cat-shapes", lambda lib: lib.cat([lib.ones(2, 3), lib.ones(2, 4)]), RuntimeError),
    ("dim-out-of-range", lambda lib: lib.ones(2, 3).sum(2), IndexError),
    ("index-out-of-range", lambda lib: lib.ones(2, 3)[2], IndexError),
    ("max-empty", lambda lib: lib.ones(0, 3).max(), RuntimeError),
    ("requires-grad-int", lambda lib: lib.ones(2, dtype=lib.int64).requires_grad_(), RuntimeError),
    ("leaf-inplace", lambda lib: lib.ones(2, requires_grad=True).add_(1), RuntimeError),
    ("topk-too-many", lambda lib: lib.ones(3).topk(4), RuntimeError),
    ("bitwise-float", lambda lib: lib.ones(2) & lib.ones(2), RuntimeError),
    ("conv-channels", lambda lib: lib.nn.functional.conv2d(lib.ones(1, 3, 5, 5), lib.ones(2, 1, 3, 3)), RuntimeError),
    ("linear-features", lambda lib: lib.nn.functional.linear(lib.ones(2, 3), lib.ones(4, 5)), RuntimeError),
    ("randint-low-high", lambda lib: lib.randint(5, 2, (3,)), RuntimeError),
]


@pytest.mark.parametrize("name, call, exc", ERRORS, ids=[e[0] for e in ERRORS])
def test_raises_what_torch_raises(name, call, exc):
    with pytest.raises(exc):
        call(torch)
    with pytest.raises(exc):
        call(axonal)


# ---- in-place ops and the version counter ------------------------------------------------------------------
def test_inplace_ops_match_torch():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 4)).astype(np.float32)
    results = []
    for lib in (torch, axonal):
        t = lib.tensor(a.copy())
        t.add_(1).mul_(2).sub_(0.5, alpha=2).div_(3).clamp_(-1, 1).pow_(2)
        t += 1
        t -= lib.ones(4)
        t *= 2
        t /= 4
        t.masked_fill_(t > 0.6, 0.0)
        t.exp_().sqrt_().neg_().abs_()
        t.zero_() if False else t.fill_(t.sum().item() / 12 + 0 * t.mean().item())
        u = lib.tensor(a.copy())
        u.sin_()
        u.index_add_(0, lib.tensor([0, 0]), lib.ones(2, 4))
        results.append((t.numpy() if lib is axonal else t.numpy(), u.numpy()))
    for x, y in zip(*results):
        np.testing.assert_allclose(x, y, rtol=1e-6, atol=1e-6)


def test_inplace_on_a_graph_tensor_is_differentiable():
    xa = axonal.tensor([1.0, 2.0, 3.0], requires_grad=True)
    xt = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for x, lib in ((xa, axonal), (xt, torch)):
        y = x * 2
        y.add_(1)
        y.mul_(x)
        y += 1
        y.sum().backward()
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy())


def test_version_counter_catches_a_modified_saved_tensor():
    for lib in (torch, axonal):
        w = lib.ones(3)
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = (x * w).sum()
        with lib.no_grad():
            w.mul_(2)  # w was saved for x's gradient
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward()


def test_inplace_without_grad_writes_the_same_memory():
    base = axonal.zeros(2, 3)
    view = base[0]
    view.add_(5)
    assert base.numpy()[0].tolist() == [5.0, 5.0, 5.0]
    arr = np.zeros(3, dtype=np.float32)
    t = axonal.from_numpy(arr)
    t += 1
    assert arr.tolist() == [1.0, 1.0, 1.0]


def test_manual_sgd_loop_updates_the_model():
    model = axonal.nn.Linear(3, 1)
    before = model.weight.numpy().copy()
    model(axonal.ones(2, 3)).sum().backward()
    with axonal.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    np.testing.assert_allclose(model.weight.numpy(), before - 0.1 * 2.0, rtol=1e-6)


def test_size_is_a_tuple_with_numel():
    s = axonal.zeros(2, 3, 4).shape
    assert isinstance(s, tuple) and s == (2, 3, 4) and s.numel() == 24 and s[1:] == (3, 4)
    assert str(s) == "(2, 3, 4)" and repr(s) == "axonal.Size([2, 3, 4])"
    assert axonal.zeros(2, 3).size() == torch.zeros(2, 3).size()


def test_generator_streams():
    g1 = axonal.Generator().manual_seed(7)
    g2 = axonal.Generator().manual_seed(7)
    a = axonal.rand(5, generator=g1)
    b = axonal.rand(5, generator=g2)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert axonal.randint(0, 10, (4,), generator=g1).dtype == np.int64
    assert axonal.randperm(6, generator=g1).sort().values.tolist() == list(range(6))
    n = axonal.normal(axonal.zeros(1000), axonal.ones(1000) * 2, generator=g1)
    assert abs(float(n.std().item()) - 2) < 0.2
    m = axonal.multinomial(axonal.tensor([0.0, 1.0, 3.0]), 200, replacement=True, generator=g1)
    assert set(m.tolist()) <= {1, 2} and m.shape == (200,)
    b = axonal.bernoulli(axonal.full((1000,), 0.3), generator=g1)
    assert 0.2 < float(b.mean().item()) < 0.4
