"""The cases of conv_pool_table.py and bench_conv.py: convolution, pooling and training steps, each as
one zero-argument function per library (axonal, torch, and for conv a NumPy im2col reference written
here), plus the checks that the libraries compute the same thing before anyone times them.

Every function goes through the API a user calls (axonal.nn.functional on Tensors that require grad,
then .backward(grad); torch.nn.functional likewise), so per-op Python overhead is part of its time.
"""
import os
import sys
from collections import namedtuple

import numpy as np

try:
    import axonal as ax
except ImportError:  # running from a checkout without PYTHONPATH=python
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))
    import axonal as ax
import axonal.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model_twins import copy_weights, torch_twin  # noqa: E402

RTOL, ATOL = 1e-3, 1e-4
CONV_SHAPES = [(64, 1, 32, 28), (64, 32, 64, 14), (32, 64, 64, 56)]  # N, C, K, H (= W)
CONV_KERNELS = [(3, 1), (5, 2)]  # kernel size, padding
POOL_SHAPE = (64, 32, 28, 28)
STEP_BATCH = 64

ConvSpec = namedtuple("ConvSpec", "N C K H k pad")


class Mismatch(Exception):
    """Two libraries disagree on a case: the timings would compare different computations."""


def import_torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def assert_close(name, got, want):
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        raise Mismatch(f"{name}: shape {got.shape} vs {want.shape}")
    if not np.allclose(got, want, rtol=RTOL, atol=ATOL):
        err = np.abs(got.astype(np.float64) - want)
        raise Mismatch(f"{name}: max abs error {err.max():.3g} (rtol={RTOL}, atol={ATOL}, "
                       f"{int((err > ATOL + RTOL * np.abs(want)).sum())} of {err.size} elements out)")


# ----------------------------------------------------------------------------------------------- conv


def conv_specs(quick=False):
    # --quick leaves out the 56x56 layer: seconds per call (the NumPy reference's backward even more).
    shapes = [s for s in CONV_SHAPES if not (quick and s[3] >= 56)]
    return [ConvSpec(N, C, K, H, k, pad) for k, pad in CONV_KERNELS for N, C, K, H in shapes]


def needs_dx(spec):
    # A C=1 layer is the first layer of the network: the gradient of the images is never used.
    return spec.C > 1


def conv_label(spec, backward):
    mode = "fwd" if not backward else ("fwd+bwd" if needs_dx(spec) else "fwd+bwd (no dx)")
    return f"conv{spec.k}x{spec.k} N{spec.N} C{spec.C}->{spec.K} {spec.H}x{spec.H} {mode}"


def conv_arrays(spec, seed=0):
    """x, w, b and the output gradient g, scaled so that outputs and gradients are O(1) (a loss gradient
    is ~1/elements per entry): with unit g the weight gradient, a sum over N*H*W terms, would be ~300 and
    float32 rounding alone would exceed atol on its smallest entries."""
    rng = np.random.default_rng(seed)
    N, C, K, H, k = spec.N, spec.C, spec.K, spec.H, spec.k
    x = rng.standard_normal((N, C, H, H), dtype=np.float32)
    w = rng.standard_normal((K, C, k, k), dtype=np.float32) / np.float32(np.sqrt(C * k * k))  # like the default init
    b = rng.standard_normal(K, dtype=np.float32)
    g = rng.standard_normal((N, K, H, H), dtype=np.float32) / np.float32(np.sqrt(N * H * H))
    return x, w, b, g


def im2col(xp, k):
    """Padded NCHW input -> (C*k*k, N*OH*OW) matrix of its k x k windows (stride 1), one window per column.

    sliding_window_view is a strided view (no copy); the reshape makes the one copy im2col needs. Columns
    ordered (N, OH, OW) keep that copy's innermost loop on contiguous input rows, and make col2im below a
    sum of contiguous blocks."""
    win = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(2, 3))  # N, C, OH, OW, k, k
    N, C, OH, OW = win.shape[:4]
    return win.transpose(1, 4, 5, 0, 2, 3).reshape(C * k * k, N * OH * OW), OH, OW


def np_conv_forward(x, w, b, pad):
    """NumPy reference forward: im2col + one GEMM. Returns the NCHW output and the columns for backward."""
    N, K, k = x.shape[0], w.shape[0], w.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols, OH, OW = im2col(xp, k)
    out = w.reshape(K, -1) @ cols + b[:, None]  # (K, N*OH*OW)
    # NCHW, as the other two libraries return it (and the next layer expects it).
    return np.ascontiguousarray(out.reshape(K, N, OH, OW).transpose(1, 0, 2, 3)), cols


def np_conv_backward(g, cols, w, x_shape, pad, need_dx=True):
    """NumPy reference backward: dW = g cols^T, db = sum of g, dx = col2im(W^T g)."""
    N, C, H, W = x_shape
    K, k = w.shape[0], w.shape[2]
    OH, OW = g.shape[2:]
    gk = g.transpose(1, 0, 2, 3).reshape(K, -1)  # (K, N*OH*OW), the columns' order; one copy
    dw = (gk @ cols.T).reshape(w.shape)
    db = gk.sum(axis=1)
    if not need_dx:
        return None, dw, db
    dcols = (w.reshape(K, -1).T @ gk).reshape(C, k, k, N, OH, OW)
    # col2im: every kernel offset (r, s) adds a contiguous (C, N, OH, OW) block into a shifted window of
    # the padded gradient, kept as (C, N, H, W) until the end so that the blocks line up.
    dxp = np.zeros((C, N, H + 2 * pad, W + 2 * pad), dtype=g.dtype)
    for r in range(k):
        for s in range(k):
            dxp[:, :, r:r + OH, s:s + OW] += dcols[:, r, s]
    return np.ascontiguousarray(dxp[:, :, pad:pad + H, pad:pad + W].transpose(1, 0, 2, 3)), dw, db


def conv_fns(spec, backward, torch):
    """lib -> zero-argument function doing one forward (and backward) call; grads are reset first, as a
    training step starts from fresh gradients. Each returns (output, dx, dw, db), in its library's types,
    for check_outputs."""
    x, w, b, g = conv_arrays(spec)
    dx_needed = needs_dx(spec)
    fns = {}

    xa = ax.tensor(x, requires_grad=dx_needed)
    wa, ba = ax.tensor(w, requires_grad=True), ax.tensor(b, requires_grad=True)
    ga = ax.from_numpy(g)

    def run_axonal():
        xa.grad = wa.grad = ba.grad = None
        y = F.conv2d(xa, wa, ba, padding=spec.pad)
        if backward:
            y.backward(ga)
        return y, xa.grad, wa.grad, ba.grad  # raw objects: converting them is the check's job, not timed

    fns["axonal"] = run_axonal

    if torch is not None:
        xt = torch.tensor(x, requires_grad=dx_needed)
        wt, bt = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
        gt = torch.from_numpy(g)

        def run_torch():
            xt.grad = wt.grad = bt.grad = None
            y = torch.nn.functional.conv2d(xt, wt, bt, padding=spec.pad)
            if backward:
                y.backward(gt)
            return y, xt.grad, wt.grad, bt.grad

        fns["torch"] = run_torch

    def run_numpy():
        y, cols = np_conv_forward(x, w, b, spec.pad)
        if not backward:
            return y, None, None, None
        return (y, *np_conv_backward(g, cols, w, x.shape, spec.pad, dx_needed))

    fns["numpy"] = run_numpy
    return fns


def _np(t):
    """An axonal Tensor, a torch tensor or an ndarray as an ndarray (None stays None)."""
    if t is None or isinstance(t, np.ndarray):
        return t
    return t.detach().numpy()


def check_outputs(label, fns):
    """Runs every library once and compares each output/gradient with torch's (else with axonal's)."""
    results = {lib: fn() for lib, fn in fns.items()}
    ref = "torch" if "torch" in results else "axonal"
    names = ("output", "grad input", "grad weight", "grad bias")
    for lib, res in results.items():
        if lib == ref:
            continue
        for name, got, want in zip(names, map(_np, res), map(_np, results[ref])):
            if (got is None) != (want is None):
                raise Mismatch(f"{label}: {lib} and {ref} disagree on whether there is a {name}")
            if got is not None:
                try:
                    assert_close(name, got, want)
                except Mismatch as e:
                    raise Mismatch(f"{label}: {lib} vs {ref}, {e}") from None


# ----------------------------------------------------------------------------------------------- pool


def pool_cases():
    return [(kind, backward) for kind in ("max", "avg") for backward in (False, True)]


def pool_label(kind, backward):
    N, C, H, W = POOL_SHAPE
    return f"{kind}_pool2d 2x2/2 {N}x{C}x{H}x{W} {'fwd+bwd' if backward else 'fwd'}"


def pool_fns(kind, backward, torch):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(POOL_SHAPE, dtype=np.float32)  # continuous values: no ties for max to break
    N, C, H, W = POOL_SHAPE
    g = rng.standard_normal((N, C, H // 2, W // 2), dtype=np.float32)
    fns = {}

    xa, ga = ax.tensor(x, requires_grad=True), ax.from_numpy(g)
    pool_a = F.max_pool2d if kind == "max" else F.avg_pool2d

    def run_axonal():
        xa.grad = None
        y = pool_a(xa, 2, 2)
        if backward:
            y.backward(ga)
        return y, xa.grad

    fns["axonal"] = run_axonal
    if torch is not None:
        xt, gt = torch.tensor(x, requires_grad=True), torch.from_numpy(g)
        pool_t = torch.nn.functional.max_pool2d if kind == "max" else torch.nn.functional.avg_pool2d

        def run_torch():
            xt.grad = None
            y = pool_t(xt, 2, 2)
            if backward:
                y.backward(gt)
            return y, xt.grad

        fns["torch"] = run_torch
    return fns


# ----------------------------------------------------------------------------------------------- steps

STEPS = {
    # name: (axonal model factory, optimizer name, optimizer kwargs)
    "cnn": (ax.models.fashion_cnn, "Adam", dict(lr=1e-3)),
    "mlp": (ax.models.fashion_mlp, "SGD", dict(lr=0.05, momentum=0.9)),
}


def step_label(name):
    _, opt, kw = STEPS[name]
    args = ", ".join(f"{k}={v:g}" for k, v in kw.items())
    return f"{name} step b{STEP_BATCH} {opt}({args})"


def make_models(name, torch, seed=0):
    """(axonal model, optimizer), and the torch twin with copies of the same initial weights (or None)."""
    make, opt_name, kw = STEPS[name]
    ax.manual_seed(seed)
    model = make()
    pair_a = (model, getattr(ax.optim, opt_name)(model.parameters(), **kw))
    if torch is None:
        return pair_a, None
    twin = copy_weights(model, torch_twin(name, torch), torch)
    return pair_a, (twin, getattr(torch.optim, opt_name)(twin.parameters(), **kw))


def axonal_step(model, opt, x, y):
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    opt.zero_grad()
    return loss


def torch_step(torch, model, opt, x, y):
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    opt.zero_grad()
    return loss


def step_batch(seed=2):
    rng = np.random.default_rng(seed)
    x = rng.random((STEP_BATCH, 1, 28, 28), dtype=np.float32)  # pixel values in [0, 1) like the dataset
    y = rng.integers(0, 10, STEP_BATCH).astype(np.int64)
    return x, y


def check_step(name, pair_a, pair_t, torch, x, y):
    """One step by hand on both twins: logits, loss, every gradient, then every updated parameter."""
    (ma, oa), (mt, ot) = pair_a, pair_t
    xa, ya, xt, yt = ax.from_numpy(x), ax.from_numpy(y), torch.from_numpy(x), torch.from_numpy(y)
    out_a, out_t = ma(xa), mt(xt)
    loss_a = F.cross_entropy(out_a, ya)
    loss_t = torch.nn.functional.cross_entropy(out_t, yt)
    loss_a.backward()
    loss_t.backward()
    pa, pt = dict(ma.named_parameters()), dict(mt.named_parameters())
    try:
        assert_close("logits", out_a.data, out_t.detach().numpy())
        assert_close("loss", loss_a.data, loss_t.detach().numpy())
        for k in pt:
            assert_close(f"grad of {k}", pa[k].grad.numpy(), pt[k].grad.numpy())
        oa.step()
        ot.step()
        for k in pt:
            assert_close(f"{k} after the optimizer step", pa[k].numpy(), pt[k].detach().numpy())
    except Mismatch as e:
        raise Mismatch(f"{step_label(name)}: axonal vs torch, {e}") from None
    oa.zero_grad()
    ot.zero_grad()


def step_fns(name, torch, check=True):
    x, y = step_batch()
    pair_a, pair_t = make_models(name, torch)
    if check and pair_t is not None:
        check_step(name, pair_a, pair_t, torch, x, y)
    xa, ya = ax.from_numpy(x), ax.from_numpy(y)
    fns = {"axonal": lambda: axonal_step(*pair_a, xa, ya)}
    if pair_t is not None:
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        fns["torch"] = lambda: torch_step(torch, *pair_t, xt, yt)
    return fns
