"""autograd.grad, autograd.backward, retain_graph, create_graph (gradients of gradients) and tensor hooks."""
import numpy as np
import pytest

import axonal as ax
import axonal.nn.functional as F

RNG = np.random.default_rng(0)


def t64(*shape, requires_grad=True):
    return ax.tensor(RNG.standard_normal(shape), requires_grad=requires_grad)


# ---- autograd.grad / backward -----------------------------------------------------------------------------
def test_grad_returns_gradients_without_touching_dot_grad():
    x, w = t64(3, 4), t64(4, 2)
    y = (x @ w).tanh().sum()
    gx, gw = ax.autograd.grad(y, (x, w))
    assert x.grad is None and w.grad is None
    y2 = (x @ w).tanh().sum()
    y2.backward()
    np.testing.assert_allclose(gx.numpy(), x.grad.numpy())
    np.testing.assert_allclose(gw.numpy(), w.grad.numpy())


def test_grad_of_an_intermediate_tensor_and_grad_outputs():
    x = t64(5)
    h = x * 2
    y = h * h
    (gh,) = ax.autograd.grad(y, h, grad_outputs=ax.ones(5, dtype=ax.float64))
    np.testing.assert_allclose(gh.numpy(), 2 * h.numpy())


def test_grad_allow_unused():
    x, unused = t64(2), t64(2)
    y = (x * 3).sum()
    with pytest.raises(RuntimeError, match=r"^\[grad\] one of the differentiated tensors"):
        ax.autograd.grad(y, (x, unused), retain_graph=True)
    gx, gu = ax.autograd.grad(y, (x, unused), allow_unused=True)
    assert gu is None and gx.numpy().tolist() == [3.0, 3.0]


def test_backward_of_several_roots_and_inputs_argument():
    x, w = t64(3), t64(3)
    a, b = (x * w).sum(), (x * x).sum()
    ax.autograd.backward([a, b])
    np.testing.assert_allclose(x.grad.numpy(), w.numpy() + 2 * x.numpy())
    x.grad = w.grad = None
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None
    np.testing.assert_allclose(w.grad.numpy(), x.numpy())


def test_second_backward_needs_retain_graph():
    x = t64(3)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()  # the graph was kept
    np.testing.assert_allclose(x.grad.numpy(), 2 * (x.numpy() + 1) * np.exp(x.numpy()))
    with pytest.raises(RuntimeError, match=r"^\[backward\] trying to backward through the graph a second time"):
        y.backward()


def test_zero_dim_tensor_used_many_times():
    x = ax.tensor(1.5, requires_grad=True)
    ((x + x) * x + F.relu(x) * x).backward()
    assert x.grad.item() == pytest.approx(9.0)  # d/dx 3x^2
    y = ax.tensor(0.7, requires_grad=True)
    (F.relu(y) + F.relu(y) * y).backward()
    assert y.grad.item() == pytest.approx(1 + 2 * 0.7)


# ---- create_graph: gradients of gradients ------------------------------------------------------------------
SECOND_ORDER = [
    ("mul-add", lambda x, w: (x * w + x * x).sum()),
    ("div-sub-neg", lambda x, w: (x / (w * w + 1) - (-x)).sum()),
    ("pow", lambda x, w: ((x * x + 1) ** 1.5 + x ** 3 * w).sum()),
    ("exp-log-sqrt", lambda x, w: ((x * w).exp() + (x * x + 1).log() + (w * w + 1).sqrt() * x).sum()),
    ("abs-clamp-where", lambda x, w: ((x * w).abs() * x + (x * 3).clamp(-1, 1) * w
                                      + ax.where(x > 0, x * x, w * x)).sum()),
    ("matmul", lambda x, w: ((x @ w.T) * (x @ w.T)).sum()),
    ("linear-tanh", lambda x, w: F.tanh(F.linear(x, w)).sum()),
    ("linear-relu", lambda x, w: (F.relu(F.linear(x, w)) ** 2).sum()),
    ("linear-relu-fused", lambda x, w: (ax.ops.linear.linear_relu(x, w) ** 2).sum()),
    ("sigmoid-softmax", lambda x, w: (F.sigmoid(x) * F.softmax(x * w, 1)).sum()),
    ("log-softmax-leaky", lambda x, w: (F.log_softmax(x, 1) * F.leaky_relu(x * w, 0.1)).sum()),
    ("reductions", lambda x, w: ((x * w).mean(0) * x.sum(1, keepdim=True).sum() + x.var(1).sum() * w.sum()).sum()),
    ("shapes", lambda x, w: ((x.T.reshape(-1)[::2] * w.permute(1, 0).flatten()[:6]).sum()
                             + ax.cat([x, w], 0)[1:, 2].sum() * ax.stack([x, w]).sum() + x[[0, 0, 2]].sum() ** 2)),
]


@pytest.mark.parametrize("name, fn", SECOND_ORDER, ids=[c[0] for c in SECOND_ORDER])
def test_create_graph_second_derivatives_gradcheck(name, fn):
    """gradcheck of the first derivative (computed with create_graph) checks the second derivatives."""
    x, w = t64(3, 4), t64(3, 4)

    def first_derivative(x, w):
        gx, gw = ax.autograd.grad(fn(x, w), (x, w), create_graph=True)
        return (gx * gx).sum() + (gw * x).sum()

    assert ax.autograd.gradcheck(first_derivative, (x, w))


@pytest.mark.parametrize("name, fn", SECOND_ORDER[:7], ids=[c[0] for c in SECOND_ORDER[:7]])
def test_create_graph_matches_torch(name, fn):
    torch = pytest.importorskip("torch")
    xa, wa = t64(3, 4), t64(3, 4)
    xt = torch.tensor(xa.numpy(), requires_grad=True)
    wt = torch.tensor(wa.numpy(), requires_grad=True)
    torch_fns = {
        "mul-add": lambda x, w: (x * w + x * x).sum(),
        "div-sub-neg": lambda x, w: (x / (w * w + 1) - (-x)).sum(),
        "pow": lambda x, w: ((x * x + 1) ** 1.5 + x ** 3 * w).sum(),
        "exp-log-sqrt": lambda x, w: ((x * w).exp() + (x * x + 1).log() + (w * w + 1).sqrt() * x).sum(),
        "abs-clamp-where": lambda x, w: ((x * w).abs() * x + (x * 3).clamp(-1, 1) * w
                                         + torch.where(x > 0, x * x, w * x)).sum(),
        "matmul": lambda x, w: ((x @ w.T) * (x @ w.T)).sum(),
        "linear-tanh": lambda x, w: torch.tanh(torch.nn.functional.linear(x, w)).sum(),
    }
    ga = ax.autograd.grad(fn(xa, wa), (xa, wa), create_graph=True)
    gt = torch.autograd.grad(torch_fns[name](xt, wt), (xt, wt), create_graph=True)
    (sum((g * g).sum() for g in ga)).backward()
    (sum((g * g).sum() for g in gt)).backward()
    for a, t in ((xa, xt), (wa, wt)):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_create_graph_through_an_op_without_a_rule_says_so():
    x = ax.tensor(RNG.standard_normal((1, 1, 4, 4)), requires_grad=True)
    y = F.max_pool2d(x.float(), 2).sum()
    with pytest.raises(RuntimeError, match=r"create_graph=True is not supported through MaxPool2d"):
        ax.autograd.grad(y, x, create_graph=True)


def test_backward_create_graph_keeps_the_graph_in_dot_grad():
    x = t64(3)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    (gg,) = ax.autograd.grad(x.grad.sum(), x)
    np.testing.assert_allclose(gg.numpy(), 6 * x.numpy())


# ---- hooks ---------------------------------------------------------------------------------------------------
def test_register_hook_sees_and_replaces_the_gradient():
    x = t64(3)
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 2)
    (x * 3).sum().backward()
    np.testing.assert_allclose(seen[0], [3, 3, 3])
    np.testing.assert_allclose(x.grad.numpy(), [6, 6, 6])
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3, 3, 3])
    assert len(seen) == 1


def test_hook_on_an_intermediate_tensor():
    x = t64(2)
    h = x * x
    h.register_hook(lambda g: g * 0 + 1)
    (h * 5).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy())  # the hook replaced 5 by 1


def test_post_accumulate_grad_hook_runs_after_dot_grad_is_final():
    w = t64(4)
    order = []
    w.register_post_accumulate_grad_hook(lambda t: order.append(t.grad.numpy().copy()))
    ((w * 2).sum() + (w * 3).sum()).backward()
    assert len(order) == 1  # once, with both uses summed
    np.testing.assert_allclose(order[0], [5, 5, 5, 5])
    with pytest.raises(RuntimeError, match="only leaf tensors"):
        (w * 2).register_post_accumulate_grad_hook(lambda t: None)


def test_hook_errors():
    with pytest.raises(RuntimeError, match=r"^\[register_hook\] cannot register a hook"):
        ax.ones(2).register_hook(lambda g: g)
    x = t64(2)
    x.register_hook(lambda g: ax.ones(3))
    with pytest.raises(RuntimeError, match=r"expected a Tensor of shape \(2,\)"):
        (x * 1).sum().backward()
