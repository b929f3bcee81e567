"""nn.RNN / nn.LSTM / nn.GRU and their cells against PyTorch: forward outputs, final states and the gradient of
every input, initial state and parameter, for each option (layers, bias, batch_first, bidirectional, initial
states, unbatched input, relu, dropout), through tests/torch_compare.py; plus parameter names, shapes and
init, state_dict interchange with torch, float64 gradchecks of the cells, and the errors.
"""
import numpy as np
import pytest

import axonal as ax
from axonal import nn
from torch_compare import compare_with_torch

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)
KINDS = {"lstm": ("LSTM", {}), "gru": ("GRU", {}), "rnn_tanh": ("RNN", {}), "rnn_relu": ("RNN", {"nonlinearity": "relu"})}


def randn(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def make_pair(kind, *args, dtype=np.float32, **kwargs):
    """An axonal layer and a torch layer of the same class and arguments holding the same (torch's) weights."""
    name, extra = KINDS[kind]
    kwargs = {**extra, **kwargs}
    torch.manual_seed(0)
    t_layer = getattr(torch.nn, name)(*args, **kwargs)
    if dtype == np.float64:
        t_layer = t_layer.double()
    a_layer = getattr(nn, name)(*args, **kwargs, dtype=dtype)
    a_layer.load_state_dict({k: v.detach().numpy() for k, v in t_layer.state_dict().items()})
    return a_layer, t_layer


def functional(layer, names, lib):
    """fn(input, *states, *params) running ``layer`` with ``params`` substituted for its parameters, so the
    compare helper sees the parameters as inputs and compares their gradients too."""
    def run(x, states, params):
        if lib == "torch":
            return torch.func.functional_call(layer, dict(zip(names, params)), (x,) if states is None else (x, states))
        saved = dict(layer._parameters)
        for n, p in zip(names, params):
            layer._parameters[n] = p
        try:
            return layer(x) if states is None else layer(x, states)
        finally:
            layer._parameters.clear()
            layer._parameters.update(saved)
    return run


def outputs(result, lstm):
    out, state = result
    return (out, *state) if lstm else (out, state)


def check_layer(kind, layer_args, layer_kwargs, x, h0=None, c0=None, dtype=np.float32, rtol=1e-4, x_grad=True):
    a_layer, t_layer = make_pair(kind, *layer_args, dtype=dtype, **layer_kwargs)
    lstm = kind == "lstm"
    names = [n for n, _ in t_layer.named_parameters()]
    params = [p.detach().numpy() for _, p in t_layer.named_parameters()]
    n_states = 0 if h0 is None else (2 if lstm else 1)
    states = [] if h0 is None else ([h0, c0] if lstm else [h0])
    a_run, t_run = functional(a_layer, names, "axonal"), functional(t_layer, names, "torch")

    def pack(lib_states):
        if not lib_states:
            return None
        return tuple(lib_states) if lstm else lib_states[0]

    def a_fn(x_, *rest):
        return outputs(a_run(x_, pack(list(rest[:n_states])), rest[n_states:]), lstm)

    def t_fn(x_, *rest):
        return outputs(t_run(x_, pack(list(rest[:n_states])), rest[n_states:]), lstm)

    inputs = [x, *states, *params]
    return compare_with_torch(a_fn, t_fn, inputs, [x_grad] + [True] * (len(inputs) - 1), rtol=rtol)


# ---- every option, each cell type ---------------------------------------------------------------------------
OPTIONS = [
    ("1-layer", dict(num_layers=1)),
    ("2-layers", dict(num_layers=2)),
    ("3-layers-no-bias", dict(num_layers=3, bias=False)),
    ("batch-first", dict(num_layers=2, batch_first=True)),
    ("bidirectional", dict(num_layers=1, bidirectional=True)),
    ("bidirectional-2-layers-batch-first", dict(num_layers=2, bidirectional=True, batch_first=True)),
    ("bidirectional-no-bias", dict(num_layers=2, bidirectional=True, bias=False)),
]


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("label, options", OPTIONS, ids=[o[0] for o in OPTIONS])
def test_layer_matches_torch(kind, label, options):
    T, B, I, H = 5, 3, 4, 6
    x = randn(B, T, I) if options.get("batch_first") else randn(T, B, I)
    check_layer(kind, (I, H), options, x)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
def test_initial_states_match_torch(kind, bidirectional):
    T, B, I, H, L = 4, 3, 5, 7, 2
    D = 2 if bidirectional else 1
    check_layer(kind, (I, H), dict(num_layers=L, bidirectional=bidirectional), randn(T, B, I), h0=randn(L * D, B, H),
                c0=randn(L * D, B, H))


@pytest.mark.parametrize("kind", list(KINDS))
def test_unbatched_input_matches_torch(kind):
    T, I, H = 6, 3, 5
    check_layer(kind, (I, H), dict(num_layers=2, bidirectional=True), randn(T, I))
    check_layer(kind, (I, H), dict(num_layers=2), randn(T, I), h0=randn(2, H), c0=randn(2, H))


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_awkward_sizes_match_torch(kind):
    # Sizes that are no multiple of any vector width: 1 step, 1 sequence, 17 units, 65 features.
    check_layer(kind, (65, 17), dict(num_layers=2), randn(1, 1, 65))
    check_layer(kind, (3, 17), dict(bidirectional=True), randn(7, 1, 3))


def test_long_sequence_matches_torch():
    # 100 steps: errors would compound through the recurrence if a gate were slightly off.
    check_layer("lstm", (8, 16), dict(num_layers=1), randn(100, 2, 8))
    check_layer("gru", (8, 16), dict(num_layers=1), randn(100, 2, 8))


def test_input_without_grad():
    # The first layer of a network gets data: no input gradient, but every parameter gradient.
    check_layer("lstm", (4, 5), dict(num_layers=2), randn(3, 2, 4), x_grad=False)


@pytest.mark.parametrize("kind", list(KINDS))
def test_dropout_one_in_training_matches_torch(kind):
    # dropout=1 zeroes the input of every layer after the first in both libraries: deterministic, comparable.
    a_layer, t_layer = make_pair(kind, 4, 5, num_layers=3, dropout=1.0)
    x = randn(4, 2, 4)
    a_out = outputs(a_layer(ax.tensor(x)), kind == "lstm")
    t_out = outputs(t_layer(torch.tensor(x)), kind == "lstm")
    for a, t in zip(a_out, t_out):
        np.testing.assert_allclose(a.numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_dropout_only_between_layers_and_only_in_training():
    a_layer, t_layer = make_pair("lstm", 4, 8, num_layers=2, dropout=0.5)
    x = ax.tensor(randn(5, 3, 4))
    a_layer.eval()
    t_layer.eval()
    out_eval = a_layer(x)[0].numpy()
    np.testing.assert_allclose(out_eval, t_layer(torch.tensor(x.numpy()))[0].detach().numpy(), rtol=1e-4, atol=1e-6)
    a_layer.train()
    ax.manual_seed(0)
    out_a = a_layer(x)[0].numpy()
    ax.manual_seed(1)
    out_b = a_layer(x)[0].numpy()
    assert not np.allclose(out_a, out_eval) and not np.allclose(out_a, out_b)  # fresh masks each call
    ax.manual_seed(0)
    np.testing.assert_array_equal(a_layer(x)[0].numpy(), out_a)  # the masks come from axonal's generator
    # A single layer has no "between": dropout does nothing (torch warns about it).
    with pytest.warns(UserWarning, match="dropout"):
        one = nn.GRU(4, 8, dropout=0.5)
    np.testing.assert_array_equal(one(x)[0].numpy(), one(x)[0].numpy())


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_float64_layer_matches_torch(kind):
    check_layer(kind, (3, 4), dict(num_layers=2, bidirectional=True), randn(4, 2, 3, dtype=np.float64),
                dtype=np.float64, rtol=1e-10)


# ---- cells ----------------------------------------------------------------------------------------------------
CELLS = {"lstm": ("LSTMCell", {}), "gru": ("GRUCell", {}), "rnn_tanh": ("RNNCell", {}),
         "rnn_relu": ("RNNCell", {"nonlinearity": "relu"})}


def make_cell_pair(kind, *args, dtype=np.float32, **kwargs):
    name, extra = CELLS[kind]
    torch.manual_seed(0)
    t_cell = getattr(torch.nn, name)(*args, **extra, **kwargs)
    if dtype == np.float64:
        t_cell = t_cell.double()
    a_cell = getattr(nn, name)(*args, **extra, **kwargs, dtype=dtype)
    a_cell.load_state_dict({k: v.detach().numpy() for k, v in t_cell.state_dict().items()})
    return a_cell, t_cell


@pytest.mark.parametrize("kind", list(CELLS))
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
def test_cell_matches_torch(kind, bias, batched):
    I, H, B = 5, 7, 3
    a_cell, t_cell = make_cell_pair(kind, I, H, bias=bias)
    names = [n for n, _ in t_cell.named_parameters()]
    params = [p.detach().numpy() for _, p in t_cell.named_parameters()]
    lstm = kind == "lstm"
    x = randn(B, I) if batched else randn(I)
    h = randn(B, H) if batched else randn(H)
    c = randn(B, H) if batched else randn(H)
    a_run, t_run = functional(a_cell, names, "axonal"), functional(t_cell, names, "torch")

    def fn(run):
        def f(x_, h_, c_, *ps):
            out = run(x_, (h_, c_) if lstm else h_, ps)
            return tuple(out) if lstm else out
        return f

    compare_with_torch(fn(a_run), fn(t_run), [x, h, c, *params], [True, True, lstm] + [True] * len(params))
    # Without a state: zeros, as in torch.
    a_out, t_out = a_cell(ax.tensor(x)), t_cell(torch.tensor(x))
    for a, t in zip(a_out if lstm else [a_out], t_out if lstm else [t_out]):
        np.testing.assert_allclose(a.numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", list(CELLS))
def test_cell_gradcheck_float64(kind):
    ax.manual_seed(0)
    name, extra = CELLS[kind]
    cell = getattr(nn, name)(3, 4, **extra, dtype=ax.float64)
    x = ax.tensor(randn(2, 3, dtype=np.float64), requires_grad=True)
    h = ax.tensor(randn(2, 4, dtype=np.float64), requires_grad=True)
    c = ax.tensor(randn(2, 4, dtype=np.float64), requires_grad=True)
    params = list(cell.parameters())
    lstm = kind == "lstm"
    if kind == "rnn_relu":  # keep the pre-activations away from the kink at 0, where finite differences lie
        with ax.no_grad():
            cell.bias_ih.copy_(np.full(4, 3.0))

    def fn(x_, h_, c_, *ps):
        for p_name, p in zip(["weight_ih", "weight_hh", "bias_ih", "bias_hh"], ps):
            cell._parameters[p_name] = p
        out = cell(x_, (h_, c_) if lstm else h_)
        return tuple(out) if lstm else out

    assert ax.autograd.gradcheck(fn, [x, h, c, *params])


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn_tanh"])
def test_layer_gradcheck_float64_packed_bidirectional(kind):
    ax.manual_seed(0)
    name, extra = KINDS[kind]
    layer = getattr(nn, name)(2, 3, num_layers=2, bidirectional=True, dtype=ax.float64, **extra)
    x = ax.tensor(randn(3, 3, 2, dtype=np.float64), requires_grad=True)
    lengths = [2, 3, 1]

    def fn(x_):
        packed = nn.utils.rnn.pack_padded_sequence(x_, lengths, enforce_sorted=False)
        out, state = layer(packed)
        padded, _ = nn.utils.rnn.pad_packed_sequence(out)
        return (padded, *state) if kind == "lstm" else (padded, state)

    assert ax.autograd.gradcheck(fn, [x])


# ---- parameters, init, state_dict ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(KINDS))
def test_parameter_names_shapes_and_order_are_torchs(kind):
    for kwargs in (dict(num_layers=2, bidirectional=True), dict(num_layers=1, bias=False)):
        a_layer, t_layer = make_pair(kind, 3, 5, **kwargs)
        assert [(n, tuple(p.shape)) for n, p in a_layer.named_parameters()] == \
            [(n, tuple(p.shape)) for n, p in t_layer.named_parameters()]
        assert list(a_layer.state_dict()) == list(t_layer.state_dict())
    name, extra = CELLS[kind]
    a_cell = getattr(nn, name)(3, 5, **extra)
    t_cell = getattr(torch.nn, name)(3, 5, **extra)
    assert [(n, tuple(p.shape)) for n, p in a_cell.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in t_cell.named_parameters()]


def test_default_init_is_uniform_in_one_over_sqrt_hidden():
    ax.manual_seed(0)
    layer = nn.LSTM(10, 50, num_layers=2)
    bound = 1 / np.sqrt(50)
    values = np.concatenate([p.numpy().ravel() for p in layer.parameters()])
    assert values.min() >= -bound and values.max() <= bound
    assert abs(values.std() - bound / np.sqrt(3)) < 0.02 * bound  # the std of U(-b, b)
    assert abs(values.mean()) < 0.01 * bound
    cell = nn.GRUCell(4, 9)
    assert all(np.abs(p.numpy()).max() <= 1 / 3 for p in cell.parameters())


def test_repr_matches_torch():
    for args, kwargs in (((3, 5), {}), ((3, 5, 2), dict(batch_first=True, dropout=0.5, bidirectional=True)),
                         ((3, 5), dict(bias=False))):
        assert repr(nn.LSTM(*args, **kwargs)) == repr(torch.nn.LSTM(*args, **kwargs))
        assert repr(nn.GRU(*args, **kwargs)) == repr(torch.nn.GRU(*args, **kwargs))
    assert repr(nn.RNN(3, 5, nonlinearity="relu")) == repr(torch.nn.RNN(3, 5, nonlinearity="relu"))
    assert repr(nn.LSTMCell(3, 5)) == repr(torch.nn.LSTMCell(3, 5))
    assert repr(nn.RNNCell(3, 5, bias=False, nonlinearity="relu")) == repr(torch.nn.RNNCell(3, 5, False, "relu"))


def test_torch_trained_lstm_loads_and_gives_the_same_outputs(tmp_path):
    """Train an LSTM classifier in torch, save with safetensors.torch, load with ax.load: same logits."""
    from safetensors.torch import save_file

    torch.manual_seed(0)
    t_lstm, t_head = torch.nn.LSTM(6, 12, num_layers=2, batch_first=True), torch.nn.Linear(12, 3)
    opt = torch.optim.Adam(list(t_lstm.parameters()) + list(t_head.parameters()), lr=0.01)
    x, y = torch.randn(16, 9, 6), torch.randint(0, 3, (16,))
    for _ in range(20):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(t_head(t_lstm(x)[0][:, -1]), y).backward()
        opt.step()
    path = tmp_path / "lstm.safetensors"
    save_file({**{f"rnn.{k}": v for k, v in t_lstm.state_dict().items()},
               **{f"head.{k}": v for k, v in t_head.state_dict().items()}}, str(path))

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn, self.head = nn.LSTM(6, 12, num_layers=2, batch_first=True), nn.Linear(12, 3)

        def forward(self, x_):
            return self.head(self.rnn(x_)[0][:, -1])

    model = Model()
    model.load_state_dict(ax.load(path))
    np.testing.assert_allclose(model(ax.tensor(x.numpy())).numpy(), t_head(t_lstm(x)[0][:, -1]).detach().numpy(),
                               rtol=1e-4, atol=1e-6)
    # ... and back: axonal's checkpoint (ax.save) is a plain safetensors state_dict that torch loads.
    from safetensors.torch import load_file

    ax.save(model.rnn.state_dict(), tmp_path / "back.safetensors")
    fresh = torch.nn.LSTM(6, 12, num_layers=2, batch_first=True)
    fresh.load_state_dict(load_file(str(tmp_path / "back.safetensors")))
    np.testing.assert_allclose(fresh(x)[0].detach().numpy(), model.rnn(ax.tensor(x.numpy()))[0].numpy(),
                               rtol=1e-4, atol=1e-6)


def test_gradients_accumulate_over_two_backward_calls():
    layer = nn.GRU(3, 4)
    x = ax.tensor(randn(5, 2, 3))
    layer(x)[0].sum().backward()
    once = layer.weight_hh_l0.grad.numpy().copy()
    layer(x)[0].sum().backward()
    np.testing.assert_allclose(layer.weight_hh_l0.grad.numpy(), 2 * once, rtol=1e-6)


def test_retain_graph_backward_twice():
    layer = nn.LSTM(3, 4)
    out, (h, c) = layer(ax.tensor(randn(5, 2, 3)))
    loss = (out.sum() + c.sum())
    loss.backward(retain_graph=True)
    once = layer.weight_ih_l0.grad.numpy().copy()
    loss.backward()
    np.testing.assert_allclose(layer.weight_ih_l0.grad.numpy(), 2 * once, rtol=1e-6)


def test_no_grad_forward_keeps_nothing_for_backward():
    layer = nn.LSTM(3, 4, num_layers=2)
    x = ax.tensor(randn(5, 2, 3))
    with ax.no_grad():
        out, (h, c) = layer(x)
    assert not out.requires_grad and not h.requires_grad
    np.testing.assert_allclose(out.numpy(), layer(x)[0].numpy(), rtol=1e-6)


def test_training_a_small_lstm_lowers_the_loss():
    ax.manual_seed(0)
    lstm, head = nn.LSTM(2, 16, batch_first=True), nn.Linear(16, 1)
    params = list(lstm.parameters()) + list(head.parameters())
    opt = ax.optim.Adam(params, lr=0.02)
    x = RNG.uniform(0, 1, (64, 10, 2)).astype(np.float32)
    y = (x[:, :, 0] * x[:, :, 1]).sum(1, keepdims=True).astype(np.float32)  # the "adding problem", multiplied
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = nn.functional.mse_loss(head(lstm(ax.tensor(x))[0][:, -1]), ax.tensor(y))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]


# ---- errors -----------------------------------------------------------------------------------------------------
def test_errors_name_the_op_and_shapes():
    lstm = nn.LSTM(4, 5, num_layers=2)
    with pytest.raises(ValueError, match=r"^\[lstm\] input.size\(-1\) must be equal to input_size: expected 4, got 3"):
        lstm(ax.zeros(2, 3, 3))
    with pytest.raises(ValueError, match=r"^\[lstm\] expected input to be 2-D \(unbatched\) or 3-D"):
        lstm(ax.zeros(2, 3, 3, 4))
    with pytest.raises(ValueError, match=r"^\[lstm\] Expected hidden size \(2, 3, 5\), got \(1, 3, 5\)"):
        lstm(ax.zeros(2, 3, 4), (ax.zeros(1, 3, 5), ax.zeros(2, 3, 5)))
    with pytest.raises(TypeError, match=r"^\[lstm\] hx must be a tuple"):
        lstm(ax.zeros(2, 3, 4), ax.zeros(2, 3, 5))
    with pytest.raises(TypeError, match=r"^\[gru\] input and weight_ih must have the same dtype"):
        nn.GRU(4, 5)(ax.zeros(2, 3, 4, dtype=ax.float64))
    with pytest.raises(ValueError, match=r"^\[rnn\] Unknown nonlinearity 'sigmoid'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=r"^\[lstm\] hidden_size must be a positive int"):
        nn.LSTM(3, 0)
    with pytest.raises(ValueError, match=r"^\[gru\] dropout should be a number in range \[0, 1\]"):
        nn.GRU(3, 4, dropout=1.5)
    with pytest.raises(NotImplementedError, match=r"^\[lstm\] proj_size"):
        nn.LSTM(3, 4, proj_size=2)
    with pytest.raises(ValueError, match=r"^\[lstm_cell\] Expected hx of shape \(2, 5\)"):
        nn.LSTMCell(4, 5)(ax.zeros(2, 4), (ax.zeros(3, 5), ax.zeros(2, 5)))
    with pytest.raises(ValueError, match=r"^\[gru_cell\] Expected input to be 1D or 2D"):
        nn.GRUCell(4, 5)(ax.zeros(1, 2, 4))


# ---- devices --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(KINDS))
def test_layers_on_every_device(device, kind):
    """The same layer and data on the CPU and on the device under test (the CUDA backend runs the array-module
    recurrence, backend/recurrent_xp.py): outputs, states and every gradient agree; packed input included."""
    name, extra = KINDS[kind]
    x = randn(5, 3, 4)
    results = []
    for dev in ("cpu", device):
        ax.manual_seed(0)
        layer = getattr(nn, name)(4, 6, num_layers=2, bidirectional=True, **extra).to(dev)
        xt = ax.tensor(x, device=dev, requires_grad=True)
        packed = nn.utils.rnn.pack_padded_sequence(xt, [5, 2, 4], enforce_sorted=False)
        out, state = layer(packed)
        padded, _ = nn.utils.rnn.pad_packed_sequence(out)
        h = state[0] if kind == "lstm" else state
        (padded * padded).sum().backward(retain_graph=True)
        (h * h).sum().backward()
        results.append([padded.cpu().numpy(), h.cpu().numpy(), xt.grad.cpu().numpy()]
                       + [p.grad.cpu().numpy() for p in layer.parameters()])
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)


def _graph_nodes(t):
    seen, stack = set(), [t]
    while stack:
        ctx = stack.pop()._ctx
        if ctx is None or id(ctx) in seen:
            continue
        seen.add(id(ctx))
        stack.extend(i for i in ctx.inputs if hasattr(i, "_ctx"))
    return len(seen)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_graph_size_does_not_grow_with_the_sequence(kind):
    """Each layer is one node over the whole sequence: the graph of 5 steps and of 200 steps is the same size, so
    backpropagation through time does no per-step bookkeeping (and no per-step full-size zero gradients)."""
    name, extra = KINDS[kind]
    layer = getattr(nn, name)(3, 4, num_layers=2, bidirectional=True, **extra)
    sizes = []
    for steps in (5, 200):
        out, state = layer(ax.tensor(randn(steps, 2, 3), requires_grad=True))
        sizes.append(_graph_nodes(out[-1].sum() + (state[0] if kind == "lstm" else state).sum()))
    assert sizes[0] == sizes[1] and sizes[0] < 20
