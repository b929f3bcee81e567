"""axonal.nn: Module bookkeeping, state_dict, Sequential, repr, default inits, nn.init, and every layer's
forward/backward against torch (with the same weights), Dropout's mask and BatchNorm's running statistics."""
import math
from collections import OrderedDict

import numpy as np
import pytest

import axonal as ax
from axonal import nn
from axonal.autograd import gradcheck

try:
    import torch
    import torch.nn as tnn

    torch.set_num_threads(1)  # the machine is shared; these tensors are tiny anyway
except ImportError:  # pragma: no cover - torch is an optional test dependency
    torch = tnn = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


# ---- helpers -------------------------------------------------------------------------------------
def copy_torch_into_ax(tmod, amod):
    """Loads torch's parameters and buffers into the axonal module by state_dict key (which also checks that
    both sides name their state the same way)."""
    amod.load_state_dict({k: v.detach().numpy().copy() for k, v in tmod.state_dict().items()})


def assert_close(a, t, rtol=1e-5, atol=1e-6, what=""):
    a = a.data if isinstance(a, ax.Tensor) else np.asarray(a)
    t = t.detach().numpy() if torch is not None and isinstance(t, torch.Tensor) else np.asarray(t)
    assert a.shape == t.shape, f"{what}: shape {a.shape} vs torch {t.shape}"
    np.testing.assert_allclose(a, t, rtol=rtol, atol=atol, err_msg=what)


def run_both(amod, tmod, x_np, rtol=1e-5, atol=1e-6, seed=0):
    """Forward and backward (with a random upstream gradient) through both modules; compares the output,
    the input gradient and every parameter gradient by name."""
    x_a = ax.tensor(x_np, requires_grad=True)
    x_t = torch.tensor(x_np, requires_grad=True)
    out_a, out_t = amod(x_a), tmod(x_t)
    assert_close(out_a, out_t, rtol, atol, "forward")
    g = np.random.default_rng(seed).standard_normal(out_t.shape).astype(x_np.dtype)
    out_a.backward(ax.tensor(g))
    out_t.backward(torch.tensor(g))
    assert_close(x_a.grad, x_t.grad, rtol, atol, "input grad")
    tparams = dict(tmod.named_parameters())
    aparams = dict(amod.named_parameters())
    assert set(aparams) == set(tparams)
    for name, p in aparams.items():
        if tparams[name].grad is None:  # a parameter the forward did not use
            assert p.grad is None, name
            continue
        assert_close(p.grad, tparams[name].grad, rtol, atol, f"grad of {name}")
    return out_a, out_t


def rand(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def build_net(m, param):
    """The same custom model in either library: m is axonal.nn or torch.nn, param makes a Parameter."""

    class Block(m.Module):
        def __init__(self):
            super().__init__()
            self.seq = m.Sequential(m.Linear(4, 5), m.BatchNorm1d(5), m.ReLU())
            self.scale = param(np.ones(5, dtype=np.float32))

        def forward(self, x):
            return self.seq(x) * self.scale

    class Net(m.Module):
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.head = m.Sequential(OrderedDict(fc=m.Linear(5, 3), act=m.Tanh()))
            self.extra = m.Linear(3, 2, bias=False)
            self.plain_number = 7  # not state
            self.conv = m.Conv2d(1, 2, 3)
            self.bn2 = m.BatchNorm2d(2)

        def forward(self, x):
            return self.extra(self.head(self.block(x)))

    return Net()


def ax_net():
    return build_net(nn, lambda a: nn.Parameter(ax.tensor(a)))


def torch_net():
    return build_net(tnn, lambda a: tnn.Parameter(torch.tensor(a)))


# ---- registration and traversal --------------------------------------------------------------------
EXPECTED_PARAMS = [
    "block.scale", "block.seq.0.weight", "block.seq.0.bias", "block.seq.1.weight", "block.seq.1.bias",
    "head.fc.weight", "head.fc.bias", "extra.weight", "conv.weight", "conv.bias", "bn2.weight", "bn2.bias",
]


def test_named_parameters_have_dotted_names():
    net = ax_net()
    assert [n for n, _ in net.named_parameters()] == EXPECTED_PARAMS
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    assert len(list(net.parameters())) == len(EXPECTED_PARAMS)
    assert net.block.seq[0].weight is dict(net.named_parameters())["block.seq.0.weight"]
    assert [n for n, _ in net.block.named_parameters(prefix="b")][:2] == ["b.scale", "b.seq.0.weight"]
    assert [n for n, _ in net.block.named_parameters(recurse=False)] == ["scale"]


@needs_torch
def test_parameter_names_and_order_match_torch():
    assert [n for n, _ in ax_net().named_parameters()] == [n for n, _ in torch_net().named_parameters()]


def test_children_and_modules():
    net = ax_net()
    assert [type(c).__name__ for c in net.children()] == ["Block", "Sequential", "Linear", "Conv2d", "BatchNorm2d"]
    assert [n for n, _ in net.named_children()] == ["block", "head", "extra", "conv", "bn2"]
    names = [n for n, _ in net.named_modules()]
    assert names == ["", "block", "block.seq", "block.seq.0", "block.seq.1", "block.seq.2", "head", "head.fc",
                     "head.act", "extra", "conv", "bn2"]
    assert list(net.modules())[0] is net
    assert len(list(net.modules())) == len(names)


def test_plain_attributes_are_not_state():
    net = ax_net()
    assert net.plain_number == 7
    assert "plain_number" not in net.state_dict()
    with pytest.raises(AttributeError, match="nothing_here"):
        net.nothing_here  # noqa: B018


def test_reassigning_and_deleting_attributes():
    net = ax_net()
    net.extra = nn.Linear(3, 4)  # replacing a module
    assert net.extra.out_features == 4 and "extra.bias" in dict(net.named_parameters())
    net.extra = 5  # a plain value replaces the module and is no longer traversed
    assert net.extra == 5 and not any(n.startswith("extra") for n, _ in net.named_parameters())
    del net.conv
    assert "conv" not in dict(net.named_children())
    with pytest.raises(AttributeError):
        net.conv  # noqa: B018
    net.w = nn.Parameter(ax.zeros(2))
    assert "w" in dict(net.named_parameters(recurse=False))


def test_setattr_before_super_init_is_a_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"\[Module\].*super\(\)\.__init__"):
        Bad()


def test_shared_parameters_counted_once():
    lin = nn.Linear(3, 3)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(seq.parameters())) == 2


@needs_torch
def test_state_dict_of_a_shared_module_matches_torch():
    lin, tlin = nn.Linear(3, 3), tnn.Linear(3, 3)
    assert list(nn.Sequential(lin, nn.ReLU(), lin).state_dict()) == list(tnn.Sequential(tlin, tnn.ReLU(), tlin).state_dict())


@needs_torch
def test_modules_of_a_shared_layer_listed_once_like_torch():
    def count(m):
        relu = m.ReLU()
        return len(list(m.Sequential(m.Linear(2, 2), relu, m.Linear(2, 2), relu).modules()))

    assert count(nn) == count(tnn) == 4


def test_buffers_stay_registered_when_reassigned():
    bn = nn.BatchNorm1d(3)
    bn.running_mean = ax.full((3,), 2.0)
    assert "running_mean" in bn.state_dict() and bn.state_dict()["running_mean"] is bn.running_mean
    assert [n for n, _ in bn.named_buffers()] == ["running_mean", "running_var", "num_batches_tracked"]
    assert "running_mean" not in dict(bn.named_parameters())


@needs_torch
def test_replacing_a_parameter_keeps_its_place_like_torch():
    def keys(m):
        lin = m.Linear(2, 3)
        lin.weight = m.Parameter(lin.weight.detach().clone() * 2)
        return list(lin.state_dict())

    assert keys(nn) == keys(tnn) == ["weight", "bias"]


def test_register_parameter_and_buffer_by_hand():
    m = nn.Module()
    m.register_parameter("w", nn.Parameter(ax.ones(2)))
    m.register_parameter("unused", None)
    m.register_buffer("stat", ax.zeros(2))
    assert list(m.state_dict()) == ["w", "stat"]
    assert m.unused is None and m.w.shape == (2,)


def test_apply_visits_children_then_self_and_requires_grad_():
    net = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.Linear(3, 3)), nn.ReLU())
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Linear", "Sequential", "ReLU", "Sequential"]

    def init_fn(m):
        if isinstance(m, nn.Linear):
            nn.init.ones_(m.weight)

    net.apply(init_fn)
    assert all((m.weight.data == 1).all() for m in net.modules() if isinstance(m, nn.Linear))
    assert net.requires_grad_(False) is net
    assert not any(p.requires_grad for p in net.parameters())
    assert not net(ax.randn(2, 2)).requires_grad


def test_parameter_is_a_tensor_that_requires_grad():
    p = nn.Parameter(ax.zeros(2, 3))
    assert isinstance(p, ax.Tensor) and p.requires_grad and p.shape == (2, 3)
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert not nn.Parameter(ax.zeros(1), requires_grad=False).requires_grad


# ---- state_dict / load_state_dict -----------------------------------------------------------------
@needs_torch
def test_state_dict_keys_match_torch_including_batchnorm_buffers():
    keys = list(ax_net().state_dict())
    tkeys = list(torch_net().state_dict())
    assert set(keys) == set(tkeys)
    assert keys == tkeys  # same order too, so zipping the two dicts pairs the same tensors
    for k in ("block.seq.1.running_mean", "block.seq.1.running_var", "block.seq.1.num_batches_tracked",
              "bn2.running_mean", "bn2.running_var", "bn2.num_batches_tracked"):
        assert k in keys


def test_state_dict_values_are_shared_and_shapes_match():
    net = ax_net()
    sd = net.state_dict()
    assert sd["head.fc.weight"] is net.head.fc.weight
    assert sd["bn2.running_var"].shape == (2,) and sd["bn2.num_batches_tracked"].shape == ()
    assert sd["bn2.num_batches_tracked"].dtype == np.int64
    assert sd["conv.weight"].shape == (2, 1, 3, 3)


@needs_torch
def test_load_state_dict_from_torch_then_same_outputs():
    tnet, anet = torch_net(), ax_net()
    with torch.no_grad():
        tnet.block.seq[1].running_mean.uniform_(-1, 1)
        tnet.block.seq[1].running_var.uniform_(0.5, 2)
        tnet.block.scale.uniform_(0.5, 2)
    copy_torch_into_ax(tnet, anet)
    for k, v in anet.state_dict().items():
        assert_close(v, tnet.state_dict()[k], 0, 0, k)
    anet.eval(), tnet.eval()
    run_both(anet, tnet, rand(6, 4))


def test_load_state_dict_round_trip_copies_values():
    a, b = ax_net(), ax_net()
    b.load_state_dict(a.state_dict())
    for (k, va), (_, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(va.data, vb.data, err_msg=k)
    # values are copied in place: b keeps its own arrays
    assert b.head.fc.weight.data is not a.head.fc.weight.data
    with ax.no_grad():
        a.head.fc.weight.data[...] += 1
    assert not np.allclose(a.head.fc.weight.data, b.head.fc.weight.data)


def test_load_state_dict_strict_missing_and_unexpected_keys():
    net = ax_net()
    sd = dict(net.state_dict())
    del sd["head.fc.bias"]
    with pytest.raises(KeyError, match=r"\[load_state_dict\].*missing.*head\.fc\.bias"):
        net.load_state_dict(sd)
    sd = dict(net.state_dict())
    sd["head.fc.nonsense"] = ax.zeros(3)
    with pytest.raises(KeyError, match=r"\[load_state_dict\].*unexpected.*head\.fc\.nonsense"):
        net.load_state_dict(sd)


def test_load_state_dict_non_strict_reports_and_loads_the_rest():
    src, dst = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)), nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    sd = dict(src.state_dict())
    del sd["2.bias"]
    sd["9.weight"] = ax.zeros(1)
    before = dst[2].bias.data.copy()
    missing, unexpected = dst.load_state_dict(sd, strict=False)
    assert list(missing) == ["2.bias"] and list(unexpected) == ["9.weight"]
    np.testing.assert_array_equal(dst[0].weight.data, src[0].weight.data)
    np.testing.assert_array_equal(dst[2].weight.data, src[2].weight.data)
    np.testing.assert_array_equal(dst[2].bias.data, before)


@pytest.mark.parametrize("strict", [True, False])
def test_load_state_dict_shape_mismatch_names_key_and_shapes(strict):
    dst = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    before = [p.data.copy() for p in dst.parameters()]
    sd = dict(nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1)).state_dict())
    sd["1.weight"] = np.zeros((2, 3), dtype=np.float32)
    with pytest.raises(ValueError, match=r"\[load_state_dict\].*1\.weight.*\(2, 3\).*\(1, 3\)"):
        dst.load_state_dict(sd, strict=strict)
    # nothing was half-loaded
    for p, b in zip(dst.parameters(), before):
        np.testing.assert_array_equal(p.data, b)


def test_load_state_dict_accepts_numpy_and_fills_buffers():
    bn = nn.BatchNorm1d(3)
    bn.load_state_dict({"weight": np.full(3, 2.0), "bias": np.zeros(3), "running_mean": np.arange(3.0),
                        "running_var": np.full(3, 4.0), "num_batches_tracked": np.array(5)})
    np.testing.assert_array_equal(bn.running_mean.data, [0, 1, 2])
    assert bn.running_mean.dtype == np.float32  # values are copied into the existing arrays
    assert int(bn.num_batches_tracked.item()) == 5


# ---- modes, gradients, dtype --------------------------------------------------------------------
def test_train_eval_propagate_to_every_module():
    net = ax_net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net.train(False)
    assert not any(m.training for m in net.modules())


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    net = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    net(ax.randn(4, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=set_to_none)
    for p in net.parameters():
        if set_to_none:
            assert p.grad is None
        else:
            assert p.grad.shape == p.shape and not p.grad.data.any()


def test_zero_grad_default_sets_none():
    lin = nn.Linear(2, 2)
    lin(ax.randn(1, 2)).sum().backward()
    lin.zero_grad()
    assert lin.weight.grad is None


def test_double_converts_parameters_and_float_buffers():
    bn = nn.BatchNorm1d(3).double()
    assert bn.weight.dtype == np.float64 and bn.running_mean.dtype == np.float64 and bn.running_var.dtype == np.float64
    assert bn.num_batches_tracked.dtype == np.int64  # integer buffers keep their dtype, as in torch
    out = bn(ax.randn(4, 3, dtype=ax.float64))
    assert out.dtype == np.float64 and bn.running_mean.dtype == np.float64


# ---- repr --------------------------------------------------------------------------------------
@needs_torch
def test_repr_matches_torch_line_by_line():
    def make(m):
        return m.Sequential(
            m.Linear(4, 3), m.ReLU(), m.Conv2d(1, 2, 3, stride=2, padding=1, dilation=2, bias=False),
            m.Conv2d(2, 4, (3, 5)), m.MaxPool2d(2), m.AvgPool2d(3, stride=2, padding=1), m.Flatten(),
            m.LeakyReLU(0.2), m.Sigmoid(), m.Tanh(), m.Softmax(dim=1), m.LogSoftmax(dim=-1), m.Dropout(0.2),
            m.BatchNorm2d(3), m.Sequential(m.Linear(2, 2, bias=False), m.ReLU()),
            m.Conv2d(2, 2, 3, padding="valid"), m.Conv2d(2, 2, 3, padding="same"), m.Conv2d(2, 2, 1, padding=(0, 1)),
        )

    ours, theirs = repr(make(nn)).splitlines(), repr(make(tnn)).splitlines()
    assert len(ours) == len(theirs)
    for a, t in zip(ours, theirs):
        # torch lists options axonal does not have (ceil_mode, inplace, BatchNorm's bias, ...); every item
        # axonal shows must appear, in the same order, in torch's line
        if any(k in t for k in ("MaxPool2d", "Dropout", "BatchNorm2d")):
            head_a, items_a = a.rstrip(")").split("(", 2)[1:], a.rstrip(")").split(", ")
            items_t = t.rstrip(")").split(", ")
            assert head_a[0] == t.split("(", 2)[1], (a, t)
            assert [i for i in items_t if i in items_a] == items_a, (a, t)
        else:
            assert a == t


def test_repr_of_custom_module_nests_children():
    text = repr(ax_net())
    assert text.startswith("Net(\n  (block): Block(\n    (seq): Sequential(\n      (0): Linear(in_features=4")
    assert "(head): Sequential(\n    (fc): Linear(in_features=5, out_features=3, bias=True)\n    (act): Tanh()\n  )" in text
    assert text.endswith(")\n)")
    assert "track_running_stats=True" in repr(nn.BatchNorm1d(2))


# ---- Sequential ------------------------------------------------------------------------------------
def test_sequential_indexing_len_iteration():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3
    assert seq[0] is layers[0] and seq[-1] is layers[2]
    assert list(seq) == layers
    with pytest.raises(IndexError):
        seq[3]  # noqa: B018
    x = ax.randn(5, 2)
    np.testing.assert_allclose(seq(x).data, layers[2](layers[1](layers[0](x))).data)


def test_sequential_slicing_shares_layers():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    seq = nn.Sequential(*layers)
    tail = seq[1:]
    assert isinstance(tail, nn.Sequential) and len(tail) == 2
    assert list(tail) == layers[1:]
    assert list(seq[::2]) == [layers[0], layers[2]]


@needs_torch
def test_sequential_slice_keeps_torch_names():
    def names(m):
        return list(m.Sequential(m.Linear(2, 3), m.ReLU(), m.Linear(3, 1))[1:].state_dict())

    assert names(nn) == names(tnn) == ["2.weight", "2.bias"]


def test_sequential_ordered_dict_and_append():
    seq = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert [n for n, _ in seq.named_children()] == ["fc", "act"]
    assert seq.fc is seq[0]
    seq.append(nn.Linear(2, 1))
    assert len(seq) == 3 and "2.weight" in seq.state_dict()
    assert seq(ax.randn(4, 2)).shape == (4, 1)


# ---- default initialisation ------------------------------------------------------------------------
@pytest.mark.parametrize("make,fan_in", [
    (lambda: nn.Linear(400, 300), 400),
    (lambda: nn.Conv2d(16, 64, 3), 16 * 9),
    (lambda: nn.Conv2d(8, 128, (3, 5)), 8 * 15),
])
def test_default_init_is_torch_uniform(make, fan_in):
    ax.manual_seed(0)
    layer = make()
    bound = 1 / math.sqrt(fan_in)
    for name, p in layer.named_parameters():
        v = p.data
        assert v.dtype == np.float32
        assert np.abs(v).max() <= bound * (1 + 1e-6), name
        assert np.abs(v).max() > 0.9 * bound, name  # the full range is used
        expected_std = bound / math.sqrt(3)  # std of U(-b, b)
        tol = 0.03 if v.size > 10000 else 0.15
        assert abs(v.std() / expected_std - 1) < tol, (name, v.std(), expected_std)
        assert abs(v.mean()) < 4 * expected_std / math.sqrt(v.size), name


@needs_torch
def test_default_init_bounds_equal_torchs():
    for make in (lambda m: m.Linear(37, 11), lambda m: m.Conv2d(3, 9, (2, 4))):
        t = make(tnn)
        ax.manual_seed(1)
        a = make(nn)
        for name, tp in t.named_parameters():
            ap = dict(a.named_parameters())[name]
            assert ap.shape == tuple(tp.shape)
            fan_in = t.weight[0].numel()
            assert np.abs(ap.data).max() <= 1 / math.sqrt(fan_in) + 1e-7
            assert tp.abs().max().item() <= 1 / math.sqrt(fan_in) + 1e-7


def test_init_is_reproducible_with_manual_seed():
    ax.manual_seed(123)
    a = nn.Linear(5, 4)
    ax.manual_seed(123)
    b = nn.Linear(5, 4)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)


BIG = (600, 500)  # fan_in 500, fan_out 600


def _big(shape=BIG):
    return nn.Parameter(ax.zeros(*shape))


def _check_uniform(v, bound):
    assert np.abs(v).max() <= bound * (1 + 1e-6)
    assert np.abs(v).max() > 0.99 * bound
    assert abs(v.std() / (bound / math.sqrt(3)) - 1) < 0.01
    assert abs(v.mean()) < 0.01 * bound


def _check_normal(v, std):
    assert abs(v.std() / std - 1) < 0.01
    assert abs(v.mean()) < 0.01 * std


def test_init_xavier():
    ax.manual_seed(0)
    fan_in, fan_out = 500, 600
    p = _big()
    assert nn.init.xavier_uniform_(p) is p
    _check_uniform(p.data, math.sqrt(6 / (fan_in + fan_out)))
    nn.init.xavier_uniform_(p, gain=2.0)
    _check_uniform(p.data, 2 * math.sqrt(6 / (fan_in + fan_out)))
    nn.init.xavier_normal_(p)
    _check_normal(p.data, math.sqrt(2 / (fan_in + fan_out)))
    nn.init.xavier_normal_(p, gain=0.5)
    _check_normal(p.data, 0.5 * math.sqrt(2 / (fan_in + fan_out)))


def test_init_kaiming():
    ax.manual_seed(0)
    p = _big()
    nn.init.kaiming_uniform_(p)  # a=0, leaky_relu -> gain sqrt(2)
    _check_uniform(p.data, math.sqrt(3) * math.sqrt(2 / 500))
    nn.init.kaiming_uniform_(p, mode="fan_out", nonlinearity="relu")
    _check_uniform(p.data, math.sqrt(3) * math.sqrt(2 / 600))
    nn.init.kaiming_uniform_(p, a=math.sqrt(5))
    _check_uniform(p.data, 1 / math.sqrt(500))
    assert nn.init.kaiming_normal_(p) is p
    _check_normal(p.data, math.sqrt(2 / 500))
    nn.init.kaiming_normal_(p, mode="fan_out", nonlinearity="tanh")
    _check_normal(p.data, (5 / 3) / math.sqrt(600))
    with pytest.raises(ValueError, match=r"\[init\].*mode"):
        nn.init.kaiming_normal_(p, mode="fan_avg")


def test_init_conv_shaped_fans():
    ax.manual_seed(0)
    w = nn.Parameter(ax.zeros(64, 32, 5, 5))  # fan_in 32*25 = 800, fan_out 64*25 = 1600
    nn.init.kaiming_normal_(w, nonlinearity="relu")
    _check_normal(w.data, math.sqrt(2 / 800))
    nn.init.xavier_uniform_(w)
    _check_uniform(w.data, math.sqrt(6 / 2400))


def test_init_fill_and_plain_distributions():
    ax.manual_seed(0)
    p = _big()
    assert nn.init.ones_(p) is p and (p.data == 1).all()
    assert nn.init.zeros_(p) is p and (p.data == 0).all()
    assert nn.init.constant_(p, -0.25) is p and (p.data == -0.25).all()
    nn.init.uniform_(p, -2, 3)
    assert p.data.min() >= -2 and p.data.max() <= 3 and abs(p.data.mean() - 0.5) < 0.02
    nn.init.normal_(p, 1.5, 0.2)
    _check_normal(p.data - 1.5, 0.2)
    assert p.dtype == np.float32 and p.requires_grad and p.grad is None


def test_init_needs_two_dims_for_fans():
    with pytest.raises(ValueError, match=r"\[init\].*\(7,\)"):
        nn.init.xavier_uniform_(nn.Parameter(ax.zeros(7)))


@needs_torch
@pytest.mark.parametrize("args", [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",),
                                  ("leaky_relu", 0.2), ("leaky_relu", 0), ("selu",), ("conv_transpose2d",),
                                  ("conv_transpose3d",), ("conv1d",), ("conv3d",)])
def test_calculate_gain_matches_torch(args):
    assert nn.init.calculate_gain(*args) == pytest.approx(tnn.init.calculate_gain(*args), rel=1e-12)


def test_calculate_gain_unknown():
    with pytest.raises(ValueError, match=r"\[calculate_gain\].*'swish'"):
        nn.init.calculate_gain("swish")


# ---- layers vs torch -----------------------------------------------------------------------------
LAYER_CASES = [
    ("linear", lambda m: m.Linear(5, 3), (4, 5)),
    ("linear_nobias", lambda m: m.Linear(5, 3, bias=False), (4, 5)),
    ("linear_3d_input", lambda m: m.Linear(5, 3), (2, 4, 5)),
    ("conv", lambda m: m.Conv2d(3, 4, 3), (2, 3, 7, 6)),
    ("conv_stride_pad", lambda m: m.Conv2d(3, 4, (3, 2), stride=2, padding=1), (2, 3, 9, 8)),
    ("conv_dilation", lambda m: m.Conv2d(2, 3, 3, stride=(2, 1), padding=(2, 1), dilation=2, bias=False), (1, 2, 11, 9)),
    ("conv_same", lambda m: m.Conv2d(2, 3, 3, padding="same"), (2, 2, 5, 7)),
    ("maxpool", lambda m: m.MaxPool2d(2), (2, 3, 6, 7)),
    ("maxpool_stride_pad", lambda m: m.MaxPool2d(3, stride=2, padding=1), (2, 2, 7, 8)),
    ("avgpool", lambda m: m.AvgPool2d(2), (2, 3, 6, 7)),
    ("avgpool_pad", lambda m: m.AvgPool2d(3, stride=2, padding=1), (2, 2, 7, 8)),
    ("avgpool_no_count_pad", lambda m: m.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (2, 2, 7, 8)),
    ("flatten", lambda m: m.Flatten(), (2, 3, 4, 5)),
    ("flatten_from2", lambda m: m.Flatten(start_dim=2), (2, 3, 4, 5)),
    ("relu", lambda m: m.ReLU(), (3, 7)),
    ("leaky_relu", lambda m: m.LeakyReLU(0.1), (3, 7)),
    ("leaky_relu_default", lambda m: m.LeakyReLU(), (3, 7)),
    ("sigmoid", lambda m: m.Sigmoid(), (3, 7)),
    ("tanh", lambda m: m.Tanh(), (3, 7)),
    ("softmax", lambda m: m.Softmax(dim=1), (3, 7)),
    ("softmax_dim0_3d", lambda m: m.Softmax(dim=0), (3, 4, 2)),
    ("log_softmax", lambda m: m.LogSoftmax(dim=-1), (3, 7)),
    ("log_softmax_4d", lambda m: m.LogSoftmax(dim=1), (2, 3, 2, 2)),
    ("mlp", lambda m: m.Sequential(m.Linear(6, 8), m.ReLU(), m.Linear(8, 3), m.LogSoftmax(dim=1)), (5, 6)),
    ("cnn", lambda m: m.Sequential(m.Conv2d(1, 4, 3, padding=1), m.ReLU(), m.MaxPool2d(2), m.Flatten(),
                                   m.Linear(4 * 4 * 4, 3)), (2, 1, 8, 8)),
]


@needs_torch
@pytest.mark.parametrize("name,make,shape", LAYER_CASES, ids=[c[0] for c in LAYER_CASES])
def test_layer_matches_torch(name, make, shape):
    tmod = make(tnn)
    amod = make(nn)
    if list(tmod.state_dict()):
        copy_torch_into_ax(tmod, amod)
    run_both(amod, tmod, rand(*shape), rtol=1e-5, atol=1e-5)


@needs_torch
@pytest.mark.parametrize("name,make,shape", LAYER_CASES[:7], ids=[c[0] for c in LAYER_CASES[:7]])
def test_layer_matches_torch_float64(name, make, shape):
    tmod = make(tnn).double()
    amod = make(nn).double()
    copy_torch_into_ax(tmod, amod)
    out, _ = run_both(amod, tmod, rand(*shape, dtype=np.float64), rtol=1e-10, atol=1e-12)
    assert out.dtype == np.float64


@needs_torch
def test_dropout_eval_is_identity():
    d = nn.Dropout(0.7).eval()
    x = ax.tensor(rand(4, 5), requires_grad=True)
    y = d(x)
    np.testing.assert_array_equal(y.data, x.data)
    run_both(d, tnn.Dropout(0.7).eval(), rand(4, 5))


# ---- Dropout in training ----------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_train_mask_and_scale(p):
    ax.manual_seed(0)
    x = ax.tensor(np.full((200, 250), 2.0, dtype=np.float32), requires_grad=True)
    y = nn.Dropout(p)(x)
    out = y.data
    zero = out == 0
    assert abs(zero.mean() - p) < 0.01
    np.testing.assert_allclose(out[~zero], 2.0 / (1 - p), rtol=1e-6)
    assert y.dtype == np.float32
    g = np.random.default_rng(1).standard_normal(out.shape).astype(np.float32)
    y.backward(ax.tensor(g))
    # the gradient goes through the same mask, with the same scale
    np.testing.assert_allclose(x.grad.data, np.where(zero, 0, g / (1 - p)), rtol=1e-6)


def test_dropout_edge_probabilities():
    x = ax.randn(3, 4, requires_grad=True)
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).data, x.data)
    y = nn.Dropout(1.0)(x)
    assert not y.data.any()
    y.sum().backward()
    assert not x.grad.data.any()
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match=r"\[Dropout\]"):
            nn.Dropout(bad)
        with pytest.raises(ValueError, match=r"\[dropout\]"):
            nn.functional.dropout(x, bad)


def test_dropout_reproducible_with_manual_seed():
    x = ax.ones(50, 40)
    ax.manual_seed(7)
    a = nn.Dropout(0.5)(x).data
    b = nn.Dropout(0.5)(x).data
    ax.manual_seed(7)
    c = nn.Dropout(0.5)(x).data
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)


def test_dropout_module_follows_train_eval():
    seq = nn.Sequential(nn.Dropout(0.5))
    x = ax.ones(20, 20)
    assert (seq(x).data == 0).any()
    seq.eval()
    np.testing.assert_array_equal(seq(x).data, x.data)


def test_dropout_gradcheck():
    x = ax.tensor(rand(3, 4, dtype=np.float64), requires_grad=True)

    def fn(t):
        ax.manual_seed(3)  # the same mask on every call
        return nn.functional.dropout(t, 0.4, training=True)

    assert gradcheck(fn, (x,))


# ---- BatchNorm --------------------------------------------------------------------------------------
BN_CASES = [
    ("bn1d_2d", lambda m, **kw: m.BatchNorm1d(4, **kw), (8, 4)),
    ("bn1d_3d", lambda m, **kw: m.BatchNorm1d(3, **kw), (5, 3, 6)),
    ("bn2d", lambda m, **kw: m.BatchNorm2d(3, **kw), (4, 3, 5, 2)),
]


def _randomise_affine(tmod, seed=0):
    with torch.no_grad():
        g = torch.Generator().manual_seed(seed)
        tmod.weight.copy_(torch.rand(tmod.weight.shape, generator=g) + 0.5)
        tmod.bias.copy_(torch.randn(tmod.bias.shape, generator=g))


@needs_torch
@pytest.mark.parametrize("kw", [{}, {"momentum": 0.3}, {"momentum": None}, {"eps": 1e-3}],
                         ids=["default", "momentum0.3", "momentum_none", "eps"])
@pytest.mark.parametrize("name,make,shape", BN_CASES, ids=[c[0] for c in BN_CASES])
def test_batchnorm_train_then_eval_matches_torch(name, make, shape, kw):
    tmod, amod = make(tnn, **kw), make(nn, **kw)
    _randomise_affine(tmod)
    copy_torch_into_ax(tmod, amod)
    for step in range(3):
        x = rand(*shape, seed=step) * (step + 1) + step  # each batch has different statistics
        for p in list(amod.parameters()) + list(tmod.parameters()):
            p.grad = None
        run_both(amod, tmod, x, rtol=1e-5, atol=1e-5, seed=step)
        assert_close(amod.running_mean, tmod.running_mean, 1e-5, 1e-6, "running_mean")
        assert_close(amod.running_var, tmod.running_var, 1e-5, 1e-6, "running_var")
        assert int(amod.num_batches_tracked.item()) == int(tmod.num_batches_tracked.item()) == step + 1
    amod.eval(), tmod.eval()
    for p in list(amod.parameters()) + list(tmod.parameters()):
        p.grad = None
    run_both(amod, tmod, rand(*shape, seed=10), rtol=1e-5, atol=1e-5)
    assert int(amod.num_batches_tracked.item()) == 3  # eval does not count or update
    assert_close(amod.running_mean, tmod.running_mean, 1e-5, 1e-6, "running_mean after eval")


@needs_torch
@pytest.mark.parametrize("kw", [{"affine": False}, {"track_running_stats": False}], ids=["no_affine", "no_running"])
@pytest.mark.parametrize("name,make,shape", BN_CASES, ids=[c[0] for c in BN_CASES])
def test_batchnorm_options_match_torch(name, make, shape, kw):
    tmod, amod = make(tnn, **kw), make(nn, **kw)
    assert list(amod.state_dict()) == list(tmod.state_dict())
    if kw.get("affine", True):
        _randomise_affine(tmod)
        copy_torch_into_ax(tmod, amod)
    run_both(amod, tmod, rand(*shape), rtol=1e-5, atol=1e-5)
    amod.eval(), tmod.eval()
    for p in list(amod.parameters()) + list(tmod.parameters()):
        p.grad = None
    run_both(amod, tmod, rand(*shape, seed=1), rtol=1e-5, atol=1e-5)


def test_batchnorm_running_stats_formula():
    bn = nn.BatchNorm1d(2, momentum=0.25)
    x = rand(10, 2, seed=4) * 3 + 1
    bn(ax.tensor(x))
    np.testing.assert_allclose(bn.running_mean.data, 0.25 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.data, 0.75 + 0.25 * x.var(0, ddof=1), rtol=1e-5)


def test_batchnorm_errors():
    with pytest.raises(ValueError, match=r"\[BatchNorm1d\].*\(2, 3, 4, 5\)"):
        nn.BatchNorm1d(3)(ax.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"\[BatchNorm2d\].*\(2, 3\)"):
        nn.BatchNorm2d(3)(ax.randn(2, 3))
    with pytest.raises(ValueError, match=r"\[BatchNorm2d\].*4 channels.*expects 3"):
        nn.BatchNorm2d(3)(ax.randn(2, 4, 3, 3))
    with pytest.raises(ValueError, match=r"\[batch_norm\].*more than 1 value"):
        nn.BatchNorm1d(3)(ax.randn(1, 3))
    nn.BatchNorm1d(3).eval()(ax.randn(1, 3))  # a single sample is fine with running statistics


@pytest.mark.parametrize("shape", [(4, 3), (3, 2, 3), (3, 2, 2, 2)])
def test_batchnorm_gradcheck_train(shape):
    C = shape[1]
    bn = (nn.BatchNorm1d(C) if len(shape) < 4 else nn.BatchNorm2d(C)).double()
    with ax.no_grad():
        bn.weight.data[...] = np.linspace(0.5, 1.5, C)
        bn.bias.data[...] = np.linspace(-1, 1, C)
    x = ax.tensor(rand(*shape, seed=2, dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda t, w, b: bn(t), (x, bn.weight, bn.bias))


def test_batchnorm_gradcheck_eval():
    bn = nn.BatchNorm2d(2).double()
    with ax.no_grad():
        bn.running_mean.data[...] = [0.3, -0.2]
        bn.running_var.data[...] = [0.5, 2.0]
    bn.eval()
    x = ax.tensor(rand(2, 2, 3, 2, seed=5, dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda t, w, b: bn(t), (x, bn.weight, bn.bias))


def test_functional_batch_norm_gradcheck():
    F = nn.functional
    x = ax.tensor(rand(5, 3, dtype=np.float64), requires_grad=True)
    w = ax.tensor(np.array([1.0, 2.0, 0.5]), requires_grad=True)
    b = ax.tensor(np.array([0.1, 0.0, -0.3]), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (x, w, b))


def test_deepcopy_gives_an_independent_model():
    import copy

    net = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    twin = copy.deepcopy(net)
    assert list(twin.state_dict()) == list(net.state_dict())
    assert twin[0].weight is not net[0].weight
    np.testing.assert_array_equal(twin[0].weight.data, net[0].weight.data)
    twin(ax.randn(4, 2))
    assert int(twin[1].num_batches_tracked.item()) == 1 and int(net[1].num_batches_tracked.item()) == 0
