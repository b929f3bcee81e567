"""The device API and every op on every device present (the CPU, and "cuda": a real GPU or the emulated one).

Each op runs on the CPU and on the device under test from the same inputs; the forward values and every input
gradient must agree (the device's kernels are different code: the CUDA sources). The device plumbing around
them is tested here too: .to()/.cuda()/.cpu(), device= on creation, model.to(device) keeping Parameter
identity and the optimizer working, optimizer state on the parameter's device, autograd across .to(), save
and load with map_location, and the cross-device errors.
"""
import numpy as np
import pytest

import axonal as ax
import axonal.nn.functional as F
from axonal import nn, optim

RNG = np.random.default_rng(0)


def randn(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def host(t):
    return t.cpu().numpy()


def run_op(fn, arrays, device, requires_grad, seed=0):
    """fn on tensors made from ``arrays`` on ``device``: (outputs as host arrays, input gradients as host arrays)."""
    inputs = [ax.tensor(a, device=device, requires_grad=rg) for a, rg in zip(arrays, requires_grad)]
    out = fn(*inputs)
    outs = out if isinstance(out, tuple) else (out,)
    values = [host(o) for o in outs]
    grads = []
    if any(requires_grad):
        rng = np.random.default_rng(seed)
        loss = sum((o * ax.tensor(rng.standard_normal(o.shape).astype(o.dtype), device=device)).sum()
                   for o in outs if o.requires_grad)
        loss.backward()
        grads = [host(t.grad) for t, rg in zip(inputs, requires_grad) if rg]
    return values, grads


# (id, fn, input arrays, requires_grad flags)
OPS = [
    ("add", lambda a, b: a + b, [randn(3, 4), randn(4)], [True, True]),
    ("sub-scalar", lambda a: 2.0 - a, [randn(5)], [True]),
    ("mul-div", lambda a, b: a * b / (b * b + 1), [randn(3, 4), randn(3, 1)], [True, True]),
    ("pow", lambda a: (a * a + 1) ** 1.5, [randn(7)], [True]),
    ("exp-log-sqrt-abs", lambda a: (a.exp() + a.abs().sqrt()).log(), [randn(2, 3)], [True]),
    ("clamp", lambda a: a.clamp(-0.5, 0.5), [randn(10)], [True]),
    ("where", lambda a, b: ax.where(a > 0, a, b), [randn(6), randn(6)], [True, True]),
    ("sum-mean-var", lambda a: a.sum(1) + a.mean(0).sum() + a.var(), [randn(4, 5)], [True]),
    ("max-dim", lambda a: a.max(1)[0], [randn(4, 5)], [True]),
    ("reshape-permute-index", lambda a: a.reshape(2, 3, 4).permute(2, 0, 1)[1:, :, ::2], [randn(24)], [True]),
    ("fancy-index", lambda a: a[ax.tensor([0, 2, 2])], [randn(3, 4)], [True]),
    ("cat-stack", lambda a, b: ax.cat([a, b], 1).sum(1) + ax.stack([a, b]).sum((0, 2)), [randn(2, 3), randn(2, 3)],
     [True, True]),
    ("matmul-2d", lambda a, b: a @ b, [randn(17, 33), randn(33, 9)], [True, True]),
    ("matmul-batched-broadcast", lambda a, b: a @ b, [randn(2, 3, 5, 4), randn(4, 6)], [True, True]),
    ("matmul-transposed", lambda a, b: a.T @ b.transpose(0, 1).T, [randn(5, 3), randn(5, 4)], [True, True]),
    ("matmul-vector", lambda a, b: a @ b, [randn(6), randn(6, 2)], [True, True]),
    ("linear", lambda x, w, b: F.linear(x, w, b), [randn(8, 5), randn(3, 5), randn(3)], [True, True, True]),
    ("linear-relu", lambda x, w, b: F.relu(F.linear(x, w, b)), [randn(8, 5), randn(3, 5), randn(3)], [True] * 3),
    ("relu-sigmoid-tanh", lambda a: F.relu(a) + F.sigmoid(a) * F.tanh(a), [randn(4, 4)], [True]),
    ("leaky-relu", lambda a: F.leaky_relu(a, 0.2), [randn(9)], [True]),
    ("softmax-logsoftmax", lambda a: F.softmax(a, 1) + F.log_softmax(a, 0), [randn(3, 5)], [True]),
    ("conv2d", lambda x, w, b: F.conv2d(x, w, b, padding=1), [randn(2, 3, 7, 6), randn(4, 3, 3, 3), randn(4)],
     [True, True, True]),
    ("conv2d-stride-dilation", lambda x, w: F.conv2d(x, w, stride=2, padding=(2, 1), dilation=(2, 1)),
     [randn(2, 2, 9, 8), randn(3, 2, 3, 2)], [True, True]),
    ("conv2d-5x5", lambda x, w, b: F.conv2d(x, w, b, padding=2), [randn(1, 8, 9, 9), randn(8, 8, 5, 5), randn(8)],
     [True, True, True]),
    ("max-pool", lambda x: F.max_pool2d(x, 2), [randn(2, 3, 8, 6)], [True]),
    ("max-pool-padded", lambda x: F.max_pool2d(x, 3, 2, 1), [randn(1, 2, 7, 7)], [True]),
    ("avg-pool", lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False), [randn(2, 2, 7, 5)], [True]),
    ("cross-entropy", lambda x: F.cross_entropy(x, ax.tensor([0, 3, 1, 3], device=x.device)), [randn(4, 5)],
     [True]),
    ("cross-entropy-smoothing-sum", lambda x: F.cross_entropy(
        x, ax.tensor([0, 3, 1, 3], device=x.device), label_smoothing=0.1, reduction="sum"), [randn(4, 5)], [True]),
    ("cross-entropy-probabilities", lambda x, p: F.cross_entropy(x, F.softmax(p, 1)), [randn(3, 4), randn(3, 4)],
     [True, False]),
    ("nll", lambda x: F.nll_loss(F.log_softmax(x, 1), ax.tensor([1, 0, 2], device=x.device)), [randn(3, 3)], [True]),
    ("mse-l1", lambda a, b: F.mse_loss(a, b) + F.l1_loss(a, b), [randn(4, 3), randn(4, 3)], [True, True]),
    ("bce", lambda a, t: F.binary_cross_entropy(F.sigmoid(a), t), [randn(6), (randn(6) > 0).astype(np.float32)],
     [True, False]),
    ("bce-logits", lambda a, t: F.binary_cross_entropy_with_logits(a, t), [randn(6), (randn(6) > 0).astype(np.float32)],
     [True, False]),
    ("batch-norm-train", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [randn(4, 3, 2, 2),
                                                                                        randn(3), randn(3)],
     [True, True, True]),
    ("batch-norm-relu", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True, relu=True),
     [randn(4, 3, 2, 2), randn(3), randn(3)], [True, True, True]),
    ("batch-norm-eval-1d", lambda x, w, b: F.batch_norm(x, ax.zeros(3, device=x.device) + 0.1,
                                                        ax.ones(3, device=x.device) * 2, w, b, training=False),
     [randn(5, 3), randn(3), randn(3)], [True, True, True]),
    # Channel arrays of another dtype than the input (a float32 layer fed float64): the kernels read them through
    # raw pointers as the input's type, so these must take the generic path (the kernels overran the buffers).
    ("batch-norm-mixed-dtypes", lambda x, w, b: F.batch_norm(x, ax.zeros(3, device=x.device),
                                                             ax.ones(3, device=x.device), w, b, training=True),
     [randn(5, 3, dtype=np.float64), randn(3), randn(3)], [True, True, True]),
    ("batch-norm-eval-mixed-dtypes", lambda x, w, b: F.batch_norm(x, ax.zeros(3, device=x.device) + 0.1,
                                                                  ax.ones(3, device=x.device), w, b, training=False),
     [randn(5, 3, dtype=np.float64), randn(3), randn(3)], [True, True, True]),
    ("batch-norm-strided-input", lambda x, w, b: F.batch_norm(x.transpose(0, 1), None, None, w, b, training=True),
     [randn(3, 6), randn(3), randn(3)], [True, True, True]),
    ("float64-matmul", lambda a, b: a @ b, [randn(5, 4, dtype=np.float64), randn(4, 3, dtype=np.float64)],
     [True, True]),
]


@pytest.mark.parametrize("name, fn, arrays, requires_grad", OPS, ids=[c[0] for c in OPS])
def test_op_matches_the_cpu(device, name, fn, arrays, requires_grad):
    want, want_grads = run_op(fn, arrays, "cpu", requires_grad)
    got, got_grads = run_op(fn, arrays, device, requires_grad)
    # float32: the CPU's Winograd convolutions round differently from the GPU's direct sums (relative to the
    # largest value, ~1e-5 for a 5x5 layer over 8 channels).
    tol = 1e-10 if arrays[0].dtype == np.float64 else 1e-4
    for w, g in zip(want + want_grads, got + got_grads):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol * max(1.0, float(np.abs(w).max(initial=0))))


# ---- the device API ---------------------------------------------------------------------------------------
def test_device_objects():
    assert str(ax.device("cpu")) == "cpu" and str(ax.device("cuda:0")) == "cuda:0"
    assert ax.device("cuda", 1) == ax.device("cuda:1") == "cuda:1"
    assert repr(ax.device("cuda:0")) == "device(type='cuda', index=0)"
    assert ax.tensor([1.0]).device == "cpu" and ax.tensor([1.0]).device == ax.device("cpu")
    for bad in ("gpu", "cuda:x", "cpu:1"):
        with pytest.raises(RuntimeError, match=r"^\[device\]"):
            ax.device(bad)


def test_tensor_moves_and_keeps_values(device):
    a = randn(3, 4)
    t = ax.tensor(a).to(device)
    assert str(t.device) == ("cpu" if device == "cpu" else "cuda:0")
    np.testing.assert_array_equal(host(t), a)
    assert t.to(device) is t  # no move: the same tensor, as in torch
    d = t.to(device, ax.float64)
    assert d.dtype == np.float64 and d.device == t.device
    assert t.to(dtype=ax.float64, device="cpu").device == "cpu"
    assert t.cpu().device == "cpu"
    assert ax.tensor(a).to(t).device == t.device  # to(other) takes its device and dtype
    if device != "cpu":
        assert t.is_cuda and ax.tensor(a).cuda().device == "cuda:0"
        assert "device='cuda:0'" in repr(t)


def test_creation_on_a_device(device):
    for t in (ax.zeros(2, 3, device=device), ax.ones(2, device=device), ax.full((2,), 7.0, device=device),
              ax.empty(4, device=device), ax.arange(5, device=device), ax.rand(3, device=device),
              ax.randn(3, device=device), ax.randint(0, 5, (3,), device=device), ax.tensor([1, 2], device=device),
              ax.linspace(0, 1, 5, device=device), ax.zeros_like(ax.zeros(2, device=device))):
        assert t.device == ax.device(device if device == "cpu" else "cuda:0")
    ax.manual_seed(3)
    a = ax.randn(4, device=device)
    ax.manual_seed(3)
    np.testing.assert_array_equal(host(a), ax.randn(4).numpy())  # one seed, the same numbers everywhere


def test_numpy_refuses_a_device_tensor(device):
    if device == "cpu":
        pytest.skip("CPU tensors share memory with NumPy")
    t = ax.ones(2, device=device)
    with pytest.raises(TypeError, match=r"^\[numpy\] can't convert a cuda:0 tensor"):
        t.numpy()
    with pytest.raises(TypeError):
        np.asarray(t)
    assert t.cpu().numpy().tolist() == [1.0, 1.0] and t.tolist() == [1.0, 1.0] and t.sum().item() == 2.0


def test_ops_across_devices_raise(device):
    if device == "cpu":
        pytest.skip("needs a second device")
    a, b = ax.ones(2), ax.ones(2, device=device)
    for op, call in (("add", lambda: a + b), ("mul", lambda: b * a), ("matmul", lambda: a @ b),
                     ("linear", lambda: F.linear(ax.ones(1, 2), ax.ones(3, 2, device=device))),
                     ("conv2d", lambda: F.conv2d(ax.ones(1, 1, 3, 3), ax.ones(1, 1, 2, 2, device=device))),
                     ("eq", lambda: a == b), ("cat", lambda: ax.cat([a, b]))):
        with pytest.raises(RuntimeError, match=r"expected all tensors on one device, got (cpu and cuda:0|cuda:0 and cpu)"):
            call()


def test_autograd_across_to(device):
    x = ax.tensor(randn(3, 2), requires_grad=True)
    y = (x.to(device) * 3).sum(1).cpu()
    (y * ax.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), np.array([[3, 3], [6, 6], [9, 9]], np.float32))


def test_backward_seed_on_another_device_raises(device):
    if device == "cpu":
        pytest.skip("needs a second device")
    y = ax.ones(2, device=device, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"^\[backward\] the gradient is on cpu"):
        y.backward(ax.ones(2))


def test_in_place_updates_on_a_device(device):
    t = ax.zeros(2, 3, device=device)
    t.fill_(2.0)
    t[0] = ax.tensor([1.0, 2.0, 3.0], device=device)
    t.copy_(ax.tensor(t.cpu().numpy() + 1))  # copy_ takes a source from any device
    t.uniform_()
    assert t.device == ax.device(device if device == "cpu" else "cuda:0")
    if device != "cpu":
        with pytest.raises(RuntimeError, match=r"expected all tensors on one device"):
            t[0] = ax.ones(3)


# ---- models, optimizers, checkpoints ------------------------------------------------------------------------
def _mlp():
    return nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))


def _cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))


@pytest.mark.parametrize("make_model, shape", [(_mlp, (5, 6)), (_cnn, (5, 1, 8, 8))], ids=["mlp", "cnn"])
@pytest.mark.parametrize("make_opt", [lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
                                      lambda p: optim.Adam(p, lr=0.01), lambda p: optim.AdamW(p, lr=0.01),
                                      lambda p: optim.RMSprop(p, lr=0.01)], ids=["sgd", "adam", "adamw", "rmsprop"])
def test_training_on_a_device_matches_the_cpu(device, make_model, shape, make_opt):
    x, y = randn(*shape), np.array([0, 2, 1, 1, 0])

    def train(dev):
        ax.manual_seed(1)
        model = make_model()
        params = list(model.parameters())
        opt = make_opt(model.parameters())  # built before the move: it must keep working
        model.to(dev)
        assert [id(p) for p in model.parameters()] == [id(p) for p in params]
        xb, yb = ax.tensor(x, device=dev), ax.tensor(y, device=dev)
        for _ in range(4):
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
        for state in opt.state.values():
            for v in state.values():
                if hasattr(v, "shape") and getattr(v, "ndim", 0) > 0:
                    assert type(v) is type(params[0].data)  # optimizer state lives on the parameter's device
        return [host(p) for p in model.parameters()]

    for w, g in zip(train("cpu"), train(device)):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


def test_model_to_moves_buffers_and_grads(device):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    model(ax.randn(5, 3)).sum().backward()
    model.to(device)
    for t in list(model.parameters()) + list(model.buffers()) + [p.grad for p in model.parameters()]:
        assert t.device == ax.device(device if device == "cpu" else "cuda:0")
    assert model[1].num_batches_tracked.dtype == np.int64
    model.to(ax.float64)
    assert model[0].weight.dtype == np.float64 and model[1].num_batches_tracked.dtype == np.int64
    model(ax.randn(5, 3, dtype=ax.float64, device=device)).sum().backward()


def test_save_and_load_device_tensors(device, tmp_path):
    model = _mlp().to(device)
    opt = optim.Adam(model.parameters())
    model(ax.randn(2, 6, device=device)).sum().backward()
    opt.step()
    path = tmp_path / "ckpt.safetensors"
    ax.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, path)
    back = ax.load(path)
    assert all(t.device == "cpu" for t in back["model"].values())
    on_device = ax.load(path, map_location=device)
    assert all(t.device == ax.device(device if device == "cpu" else "cuda:0") for t in on_device["model"].values())
    fresh = _mlp().to(device)
    fresh.load_state_dict(back["model"])  # host values into device parameters
    fresh_opt = optim.Adam(fresh.parameters())
    fresh_opt.load_state_dict(back["optimizer"])
    for a, b in zip(model.parameters(), fresh.parameters()):
        np.testing.assert_array_equal(host(a), host(b))
    state = next(iter(fresh_opt.state.values()))
    assert type(state["exp_avg"]) is type(fresh[0].weight.data)


def test_dropout_masks_come_from_the_device(device):
    x = ax.ones(1000, device=device)
    ax.manual_seed(0)
    y = F.dropout(x, 0.5)
    assert y.device == x.device and 400 < int((y > 0).sum().item()) < 600


def test_emulated_device_is_present_when_requested():
    """The emulation is on for this test session (conftest.py) unless a real GPU is there: the device
    tests above must then have run on "cuda" too, so its absence is a failure, not a skip."""
    import os

    if os.environ.get("AXONAL_CUDA_EMULATE") == "1":
        assert ax.cuda.is_available(), ax.cuda.unavailable_reason()
        assert ax.cuda.is_emulated() and ax.cuda.device_count() == 1
        assert "emulated" in ax.cuda.get_device_name()
        ax.cuda.synchronize()


# ---- the PyTorch-API suite (tests/test_torch_api.py) on every device, against the CPU ------------------------
class _OnDevice:
    """``axonal`` with every creation function placing tensors on one device (as torch.set_default_device)."""

    _CREATE = ("tensor", "zeros", "ones", "full", "empty", "arange", "linspace", "logspace", "eye", "rand", "randn",
               "randint", "Tensor")

    def __init__(self, device):
        self._device = device

    def __getattr__(self, name):
        attr = getattr(ax, name)
        if name in self._CREATE:
            dev = self._device
            return lambda *a, **k: attr(*a, **{**k, "device": k.get("device", dev)}) if name != "Tensor" else \
                attr(*a, **k).to(dev)
        return attr


def _api_cases():
    torch_api = pytest.importorskip("test_torch_api", reason="needs torch for the case tables")
    return (torch_api.ELEMENTWISE + torch_api.BINARY + torch_api.REDUCTIONS + torch_api.SHAPES + torch_api.LINALG
            + torch_api.CREATION)


def _run_api(fn, arrays, lib, grad):
    import test_torch_api as T

    inputs = [lib.tensor(np.array(a, copy=True), requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    outs = []
    for o in T.as_tuple(fn(lib, *inputs)):  # nested tuples (nonzero(as_tuple=True)) flattened
        outs.extend(o if isinstance(o, tuple) else (o,))
    values = [host(o) if isinstance(o, ax.Tensor) else np.asarray(o) for o in outs]
    grads = []
    diff = [o for o in outs if isinstance(o, ax.Tensor) and o.requires_grad]
    if grad and diff:
        rng = np.random.default_rng(1)
        sum((o * lib.tensor(rng.standard_normal(tuple(o.shape)).astype(host(o).dtype))).sum() for o in diff).backward()
        grads = [None if t.grad is None else host(t.grad) for t in inputs if t.requires_grad]
    return values, grads


try:
    _API = _api_cases()
except BaseException:  # torch missing: the tables cannot be imported; the CPU-only tests above still run
    _API = []


@pytest.mark.parametrize("fn, shapes, domains, grad, rtol, atol, gradcheck", _API)
def test_torch_api_on_the_device(device, fn, shapes, domains, grad, rtol, atol, gradcheck):
    if device == "cpu":
        pytest.skip("the CPU is the reference here (tests/test_torch_api.py compares it with torch)")
    import test_torch_api as T

    arrays = T.make_inputs(shapes, domains)
    want, want_grads = _run_api(fn, arrays, ax, grad)
    got, got_grads = _run_api(fn, arrays, _OnDevice(device), grad)
    for w, g in zip(want + want_grads, got + got_grads):
        if w is None:
            assert g is None
            continue
        assert g.shape == w.shape and g.dtype == w.dtype
        if w.dtype.kind == "f":
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
        else:
            np.testing.assert_array_equal(g, w)


def test_cross_entropy_target_out_of_range(device):
    """The CPU raises IndexError; a GPU does not read the answer back (no sync per step): the loss is NaN."""
    logits = ax.randn(3, 4, device=device)
    target = ax.tensor([0, 7, 1], device=device)
    if device == "cpu":
        with pytest.raises(IndexError, match=r"\[cross_entropy\] target 7 is out of range for 4 classes"):
            F.cross_entropy(logits, target)
    else:
        assert np.isnan(F.cross_entropy(logits, target).item())
