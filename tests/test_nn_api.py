"""torch.nn.functional and torch.nn as a ported script uses them: the same line on torch and on axonal (values,
dtypes, every input gradient, float64 gradchecks through tests/test_torch_api.py's case runner), then the modules
(same options, same weights, same outputs and gradients), containers, hooks and the nn.utils helpers."""
import numpy as np
import pytest

import axonal
from test_torch_api import case, check

torch = pytest.importorskip("torch")


def F(lib):
    return lib.nn.functional


FUNCTIONAL = [
    case("gelu", lambda lib, x: F(lib).gelu(x) + F(lib).gelu(x, approximate="tanh"), (3, 4)),
    case("silu-mish", lambda lib, x: F(lib).silu(x) * 2 + F(lib).mish(x), (3, 4)),
    case("elu-selu-celu", lambda lib, x: F(lib).elu(x, alpha=0.7) + F(lib).selu(x) + F(lib).celu(x, alpha=1.3),
         (3, 4)),
    case("softplus", lambda lib, x: F(lib).softplus(x) + F(lib).softplus(x * 8, beta=2.0, threshold=5.0), (3, 4)),
    case("softsign-logsigmoid", lambda lib, x: F(lib).softsign(x) + F(lib).logsigmoid(x), (3, 4)),
    case("hardtanh-relu6", lambda lib, x: F(lib).hardtanh(x * 2, -0.5, 0.7) + F(lib).relu6(x * 4), (3, 4)),
    case("hardsigmoid-hardswish", lambda lib, x: F(lib).hardsigmoid(x * 4) + F(lib).hardswish(x * 4), (3, 5),
         gradcheck=False),
    case("prelu", lambda lib, x, w: F(lib).prelu(x, w), (2, 3, 4), (3,)),
    case("prelu-single", lambda lib, x, w: F(lib).prelu(x, w), (2, 3), (1,)),
    case("glu", lambda lib, x: F(lib).glu(x, dim=1), (2, 6)),
    case("softmin", lambda lib, x: F(lib).softmin(x, dim=1), (3, 4)),
    case("threshold-shrinks", lambda lib, x: F(lib).threshold(x, 0.3, -1.0) + F(lib).hardshrink(x) +
         F(lib).softshrink(x, 0.4) + F(lib).tanhshrink(x), (4, 4), gradcheck=False),
    case("one_hot", lambda lib, y: F(lib).one_hot(y % 5, 5) + F(lib).one_hot(y % 5), (6,), domain="nat", grad=False),
    case("pad-constant", lambda lib, x: F(lib).pad(x, (1, 2, 0, 1), value=0.5), (2, 3, 4)),
    case("pad-negative", lambda lib, x: F(lib).pad(x, (-1, 2)), (2, 5)),
    case("pad-reflect", lambda lib, x: F(lib).pad(x, (2, 1, 1, 2), mode="reflect"), (1, 2, 4, 5)),
    case("pad-replicate", lambda lib, x: F(lib).pad(x, (3, 1), mode="replicate"), (2, 2, 4)),
    case("pad-circular", lambda lib, x: F(lib).pad(x, (2, 1, 1, 0), mode="circular"), (1, 1, 3, 4)),
    case("normalize", lambda lib, x: F(lib).normalize(x) + F(lib).normalize(x, p=1, dim=0), (3, 4)),
    case("cosine_similarity", lambda lib, a, b: F(lib).cosine_similarity(a, b, dim=1), (3, 4), (3, 4)),
    case("pairwise_distance", lambda lib, a, b: F(lib).pairwise_distance(a, b), (3, 4), (3, 4)),
    case("kl_div", lambda lib, x, t: (F(lib).kl_div(F(lib).log_softmax(x, 1), F(lib).softmax(t, 1),
                                                    reduction="batchmean"),
                                      F(lib).kl_div(F(lib).log_softmax(x, 1), F(lib).log_softmax(t, 1),
                                                    reduction="sum", log_target=True)), (3, 4), (3, 4)),
    case("huber-smooth-l1", lambda lib, a, b: F(lib).huber_loss(a, b, delta=0.5) + F(lib).smooth_l1_loss(a, b, beta=0.7)
         + F(lib).smooth_l1_loss(a, b, reduction="sum"), (4, 3), (4, 3)),
    case("bce-probability-target", lambda lib, p, t: F(lib).binary_cross_entropy(F(lib).sigmoid(p), F(lib).sigmoid(t)),
         (5,), (5,)),
    case("bce-logits-target-pos-weight", lambda lib, x, t: F(lib).binary_cross_entropy_with_logits(
        x, F(lib).sigmoid(t), pos_weight=lib.tensor([0.5, 1.0, 2.5])), (2, 3), (2, 3)),
    case("cross-entropy-probability-target", lambda lib, x, t: F(lib).cross_entropy(x, F(lib).softmax(t, 1),
                                                                                      label_smoothing=0.1),
         (3, 4), (3, 4)),
    case("layer_norm", lambda lib, x, w, b: F(lib).layer_norm(x, (4,), w, b), (3, 2, 4), (4,), (4,)),
    case("layer_norm-2d-no-affine", lambda lib, x: F(lib).layer_norm(x, (2, 4), eps=1e-3), (3, 2, 4)),
    case("group_norm", lambda lib, x, w, b: F(lib).group_norm(x, 2, w, b), (2, 4, 3, 3), (4,), (4,)),
    case("dropout2d-eval", lambda lib, x: F(lib).dropout2d(x, 0.5, training=False), (2, 3, 4, 4)),
    case("adaptive_max_pool2d", lambda lib, x: F(lib).adaptive_max_pool2d(x, (2, 3), return_indices=True),
         (2, 3, 5, 7), domain="distinct"),
    case("adaptive_avg_pool2d", lambda lib, x: F(lib).adaptive_avg_pool2d(x, (3, None)), (2, 3, 7, 5)),
    case("conv1d", lambda lib, x, w, b: F(lib).conv1d(x, w, b, stride=2, padding=1), (2, 3, 9), (4, 3, 3), (4,)),
    case("conv1d-dilation-groups", lambda lib, x, w: F(lib).conv1d(x, w, dilation=2, groups=2), (2, 4, 9), (6, 2, 3)),
    case("max_pool1d", lambda lib, x: F(lib).max_pool1d(x, 3, stride=2, padding=1), (2, 3, 9), domain="distinct"),
    case("avg_pool1d", lambda lib, x: F(lib).avg_pool1d(x, 2), (2, 3, 8)),
    case("max_pool2d-ceil-dilation", lambda lib, x: F(lib).max_pool2d(x, 2, stride=2, dilation=2, ceil_mode=True),
         (1, 2, 7, 8), domain="distinct"),
    case("max_pool2d-indices", lambda lib, x: F(lib).max_pool2d(x, 3, 2, 1, return_indices=True), (2, 2, 7, 6),
         domain="distinct"),
    case("max_pool2d-ceil-indices", lambda lib, x: F(lib).max_pool2d(x, 2, ceil_mode=True, return_indices=True),
         (1, 2, 5, 5), domain="distinct"),
    case("avg_pool2d-ceil", lambda lib, x: F(lib).avg_pool2d(x, 3, 2, 1, ceil_mode=True), (1, 2, 6, 6)),
    case("avg_pool2d-ceil-exclude-pad", lambda lib, x: F(lib).avg_pool2d(x, 3, 2, 1, ceil_mode=True,
                                                                           count_include_pad=False), (1, 2, 6, 6)),
    case("avg_pool2d-divisor", lambda lib, x: F(lib).avg_pool2d(x, 2, divisor_override=3), (1, 2, 4, 6)),
    case("conv2d-groups", lambda lib, x, w, b: F(lib).conv2d(x, w, b, padding=1, groups=2), (2, 4, 5, 5),
         (6, 2, 3, 3), (6,)),
    case("conv2d-depthwise", lambda lib, x, w: F(lib).conv2d(x, w, stride=2, padding=1, groups=3), (2, 3, 6, 6),
         (3, 1, 3, 3)),
]


@pytest.mark.parametrize("fn, shapes, domains, grad, rtol, atol, gradcheck", FUNCTIONAL)
def test_functional_same_as_torch(fn, shapes, domains, grad, rtol, atol, gradcheck):
    check(fn, shapes, domains, grad, rtol, atol, gradcheck)


# ---- modules: same construction, same weights, same outputs and gradients ------------------------------------
def _run_module(lib, make, x, state=None):
    m = make(lib)
    if state is not None:
        m.load_state_dict(state)
    xt = lib.tensor(x.copy(), requires_grad=True)
    out = m(xt)
    g = np.random.default_rng(3).standard_normal(tuple(out.shape)).astype(np.float32)
    out.backward(lib.tensor(g))
    grads = {k: p.grad for k, p in m.named_parameters()}
    to_np = (lambda t: t.detach().numpy()) if lib is torch else (lambda t: t.cpu().numpy())
    return to_np(out), to_np(xt.grad), {k: to_np(v) for k, v in grads.items() if v is not None}, m


MODULES = [
    ("GELU-tanh", lambda lib: lib.nn.GELU(approximate="tanh"), (3, 4)),
    ("SiLU", lambda lib: lib.nn.SiLU(), (3, 4)),
    ("Mish", lambda lib: lib.nn.Mish(), (3, 4)),
    ("ELU", lambda lib: lib.nn.ELU(alpha=0.5), (3, 4)),
    ("SELU", lambda lib: lib.nn.SELU(), (3, 4)),
    ("CELU", lambda lib: lib.nn.CELU(2.0), (3, 4)),
    ("Softplus", lambda lib: lib.nn.Softplus(beta=2, threshold=3), (3, 4)),
    ("Hardtanh", lambda lib: lib.nn.Hardtanh(-0.3, 0.3), (3, 4)),
    ("ReLU6", lambda lib: lib.nn.ReLU6(), (3, 4)),
    ("Hardswish", lambda lib: lib.nn.Hardswish(), (3, 4)),
    ("LogSigmoid", lambda lib: lib.nn.LogSigmoid(), (3, 4)),
    ("PReLU", lambda lib: lib.nn.PReLU(3, init=0.1), (2, 3, 4)),
    ("GLU", lambda lib: lib.nn.GLU(dim=-1), (3, 4)),
    ("Softmin", lambda lib: lib.nn.Softmin(dim=1), (3, 4)),
    ("LayerNorm", lambda lib: lib.nn.LayerNorm([2, 4]), (3, 2, 4)),
    ("LayerNorm-no-bias", lambda lib: lib.nn.LayerNorm(4, bias=False), (3, 4)),
    ("GroupNorm", lambda lib: lib.nn.GroupNorm(2, 6), (2, 6, 3, 2)),
    ("Conv1d", lambda lib: lib.nn.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 9)),
    ("Conv1d-same", lambda lib: lib.nn.Conv1d(2, 2, 5, padding="same", bias=False), (2, 2, 9)),
    ("Conv2d-groups", lambda lib: lib.nn.Conv2d(4, 6, 3, padding=1, groups=2), (2, 4, 5, 5)),
    ("Conv2d-reflect", lambda lib: lib.nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"), (1, 2, 5, 6)),
    ("Conv2d-circular", lambda lib: lib.nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="circular"), (1, 2, 5, 6)),
    ("MaxPool1d", lambda lib: lib.nn.MaxPool1d(2), (2, 3, 8)),
    ("AvgPool1d", lambda lib: lib.nn.AvgPool1d(3, stride=1), (2, 3, 8)),
    ("MaxPool2d-ceil", lambda lib: lib.nn.MaxPool2d(2, ceil_mode=True), (1, 2, 5, 5)),
    ("AvgPool2d-divisor", lambda lib: lib.nn.AvgPool2d(2, divisor_override=2), (1, 2, 4, 4)),
    ("AdaptiveMaxPool2d", lambda lib: lib.nn.AdaptiveMaxPool2d(2), (2, 3, 5, 5)),
    ("Unflatten", lambda lib: lib.nn.Sequential(lib.nn.Flatten(), lib.nn.Unflatten(1, (3, 4))), (2, 12)),
    ("Dropout2d-eval", lambda lib: lib.nn.Dropout2d(0.3).eval(), (2, 3, 4, 4)),
]


@pytest.mark.parametrize("name, make, shape", MODULES, ids=[m[0] for m in MODULES])
def test_module_same_as_torch(name, make, shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    t_out, t_gx, t_grads, t_mod = _run_module(torch, make, x)
    if name == "PReLU":  # give the slopes different values (both init to 0.1)
        with torch.no_grad():
            t_mod.weight.copy_(torch.tensor([0.1, -0.2, 0.3]))
        t_out, t_gx, t_grads, t_mod = _run_module(torch, make, x, t_mod.state_dict())
    state = {k: v.detach().numpy().copy() for k, v in t_mod.state_dict().items()}
    a_out, a_gx, a_grads, a_mod = _run_module(axonal, make, x, state)
    np.testing.assert_allclose(a_out, t_out, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(a_gx, t_gx, rtol=1e-4, atol=1e-5)
    assert set(a_grads) == set(t_grads)
    for k in t_grads:
        np.testing.assert_allclose(a_grads[k], t_grads[k], rtol=1e-4, atol=1e-4, err_msg=k)
    assert list(dict(a_mod.named_parameters())) == list(dict(t_mod.named_parameters()))


def test_default_init_matches_torch_shapes_and_ranges():
    for make in (lambda lib: lib.nn.Conv1d(4, 6, 3), lambda lib: lib.nn.Conv2d(4, 6, 3, groups=2),
                 lambda lib: lib.nn.LayerNorm(5), lambda lib: lib.nn.GroupNorm(2, 4), lambda lib: lib.nn.PReLU()):
        a, t = make(axonal), make(torch)
        for (ka, pa), (kt, pt) in zip(a.named_parameters(), t.named_parameters()):
            assert ka == kt and tuple(pa.shape) == tuple(pt.shape)
            bound = float(pt.detach().abs().max()) + 1e-6
            assert float(pa.abs().max().item()) <= max(bound * 1.5, 1.0)


# ---- containers, hooks, nn.utils -----------------------------------------------------------------------------
def test_containers_register_their_entries():
    nn = axonal.nn
    layers = nn.ModuleList([nn.Linear(2, 3), nn.ReLU()])
    layers.append(nn.Linear(3, 1))
    layers.insert(1, nn.Tanh())
    assert len(layers) == 4 and isinstance(layers[1], nn.Tanh) and isinstance(layers[-1], nn.Linear)
    heads = nn.ModuleDict({"a": nn.Linear(3, 2)})
    heads["b"] = nn.Linear(3, 4)
    params = nn.ParameterList([nn.Parameter(axonal.zeros(2)), axonal.ones(3)])
    pdict = nn.ParameterDict({"scale": nn.Parameter(axonal.ones(1))})

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers, self.heads, self.params, self.pdict = layers, heads, params, pdict

    net = Net()
    names = [k for k, _ in net.named_parameters()]
    assert names == ["layers.0.weight", "layers.0.bias", "layers.3.weight", "layers.3.bias", "heads.a.weight",
                     "heads.a.bias", "heads.b.weight", "heads.b.bias", "params.0", "params.1", "pdict.scale"]
    assert list(heads.keys()) == ["a", "b"] and "a" in heads and len(params) == 2
    tnet = torch.nn.Module()
    tnet.layers = torch.nn.ModuleList([torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.ReLU(), torch.nn.Linear(3, 1)])
    assert [k for k, _ in tnet.named_parameters()] == names[:4]
    with pytest.raises(TypeError):
        nn.ModuleList([3])


def test_forward_hooks_see_and_replace():
    nn = axonal.nn
    lin = nn.Linear(3, 2)
    seen = []
    pre = lin.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
    post = lin.register_forward_hook(lambda m, args, out: seen.append(out.shape) or out + 1)
    x = axonal.ones(4, 3)
    y = lin(x)
    expected = (x * 2) @ lin.weight.T + lin.bias + 1
    np.testing.assert_allclose(y.numpy(), expected.detach().numpy(), rtol=1e-6)
    assert seen == [(4, 2)]
    pre.remove()
    post.remove()
    np.testing.assert_allclose(lin(x).detach().numpy(), (x @ lin.weight.T + lin.bias).detach().numpy(), rtol=1e-6)
    order = []
    seq = nn.Sequential(nn.Linear(3, 3), nn.ReLU())
    seq.apply(lambda m: order.append(type(m).__name__))
    assert order == ["Linear", "ReLU", "Sequential"]
    assert [n for n, _ in seq.named_modules()] == ["", "0", "1"]


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clip_grad_norm_matches_torch(norm_type):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) * 3 for s in ((3, 4), (5,), (2, 2, 2))]
    a_params = [axonal.nn.Parameter(axonal.zeros(*a.shape)) for a in arrays]
    t_params = [torch.nn.Parameter(torch.zeros(a.shape)) for a in arrays]
    for p, a in zip(a_params, arrays):
        p.grad = axonal.tensor(a.copy())
    for p, a in zip(t_params, arrays):
        p.grad = torch.tensor(a.copy())
    ta = axonal.nn.utils.clip_grad_norm_(a_params, 2.0, norm_type)
    tt = torch.nn.utils.clip_grad_norm_(t_params, 2.0, norm_type)
    assert float(ta.item()) == pytest.approx(float(tt), rel=1e-5)
    for p, q in zip(a_params, t_params):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_clip_grad_value_and_parameter_vectors():
    rng = np.random.default_rng(1)
    model = axonal.nn.Sequential(axonal.nn.Linear(3, 4), axonal.nn.Linear(4, 2))
    for p in model.parameters():
        p.grad = axonal.tensor(rng.standard_normal(p.shape).astype(np.float32))
    axonal.nn.utils.clip_grad_value_(model.parameters(), 0.5)
    assert all(float(p.grad.abs().max().item()) <= 0.5 for p in model.parameters())
    vec = axonal.nn.utils.parameters_to_vector(model.parameters())
    assert vec.shape == (sum(p.numel() for p in model.parameters()),)
    axonal.nn.utils.vector_to_parameters(vec * 2, model.parameters())
    np.testing.assert_allclose(axonal.nn.utils.parameters_to_vector(model.parameters()).detach().numpy(),
                               vec.detach().numpy() * 2, rtol=1e-6)
