"""nn.utils.rnn against torch.nn.utils.rnn: pad_sequence, pack_padded_sequence (enforce_sorted both ways),
pad_packed_sequence, pack_sequence, unpad / unpack_sequence, their gradients, and the recurrent layers on
PackedSequences (outputs, h_n / c_n in the original order, every gradient), plus the errors."""
import numpy as np
import pytest

import axonal as ax
from axonal import nn
from axonal.nn.utils import rnn as ax_rnn
from torch_compare import compare_with_torch

torch = pytest.importorskip("torch")
t_rnn = torch.nn.utils.rnn

RNG = np.random.default_rng(0)


def randn(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def host(x):
    return x.detach().numpy() if isinstance(x, torch.Tensor) else x.numpy()


def assert_same_packed(a, t):
    np.testing.assert_allclose(host(a.data), host(t.data), rtol=1e-6, atol=1e-7)
    assert host(a.batch_sizes).tolist() == host(t.batch_sizes).tolist()
    for ai, ti in ((a.sorted_indices, t.sorted_indices), (a.unsorted_indices, t.unsorted_indices)):
        assert (ai is None) == (ti is None)
        if ai is not None:
            assert host(ai).tolist() == host(ti).tolist()


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, side):
    seqs = [randn(3, 2), randn(5, 2), randn(1, 2)]
    compare_with_torch(lambda *s: ax_rnn.pad_sequence(list(s), batch_first, 0.5, side),
                       lambda *s: t_rnn.pad_sequence(list(s), batch_first, 0.5, side), seqs, [True] * 3)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths", [[5, 3, 3, 1], [2, 5, 1, 5]], ids=["sorted", "unsorted-with-ties"])
def test_pack_and_pad_match_torch(batch_first, lengths):
    enforce = lengths == sorted(lengths, reverse=True)
    x = randn(4, 5, 3) if batch_first else randn(5, 4, 3)
    for enforce_sorted in ([True, False] if enforce else [False]):
        a = ax_rnn.pack_padded_sequence(ax.tensor(x), lengths, batch_first, enforce_sorted)
        t = t_rnn.pack_padded_sequence(torch.tensor(x), torch.tensor(lengths), batch_first, enforce_sorted)
        assert_same_packed(a, t)
        pa, la = ax_rnn.pad_packed_sequence(a, batch_first, padding_value=-1.0, total_length=7)
        pt, lt = t_rnn.pad_packed_sequence(t, batch_first, padding_value=-1.0, total_length=7)
        np.testing.assert_array_equal(pa.numpy(), pt.numpy())
        assert la.numpy().tolist() == lt.numpy().tolist() and la.dtype == np.int64

    # Gradients through pack -> unpack.
    def a_fn(x_):
        return ax_rnn.pad_packed_sequence(ax_rnn.pack_padded_sequence(x_, lengths, batch_first, False), batch_first)[0]

    def t_fn(x_):
        return t_rnn.pad_packed_sequence(t_rnn.pack_padded_sequence(x_, lengths, batch_first, False), batch_first)[0]

    compare_with_torch(a_fn, t_fn, [x], [True])


def test_pack_sequence_and_unpack_match_torch():
    seqs = [randn(2, 3), randn(4, 3), randn(3, 3)]
    a = ax_rnn.pack_sequence([ax.tensor(s) for s in seqs], enforce_sorted=False)
    t = t_rnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    assert_same_packed(a, t)
    for got, want in zip(ax_rnn.unpack_sequence(a), seqs):
        np.testing.assert_array_equal(got.numpy(), want)
    padded = ax_rnn.pad_sequence([ax.tensor(s) for s in seqs])
    for got, want in zip(ax_rnn.unpad_sequence(padded, ax.tensor([2, 4, 3])), seqs):
        np.testing.assert_array_equal(got.numpy(), want)
    with pytest.raises(RuntimeError, match=r"^\[pack_padded_sequence\] `lengths` array must be sorted"):
        ax_rnn.pack_sequence([ax.tensor(s) for s in seqs])


KINDS = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("enforce_sorted", [True, False], ids=["sorted", "unsorted"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
def test_layers_on_packed_sequences_match_torch(kind, enforce_sorted, bidirectional):
    L, D, B, T, I, H = 2, 2 if bidirectional else 1, 4, 6, 3, 5
    lengths = [6, 4, 4, 1] if enforce_sorted else [4, 1, 6, 4]  # sorting order [2, 0, 3, 1]: no involution
    torch.manual_seed(0)
    t_layer = getattr(torch.nn, KINDS[kind])(I, H, num_layers=L, bidirectional=bidirectional, batch_first=True)
    a_layer = getattr(nn, KINDS[kind])(I, H, num_layers=L, bidirectional=bidirectional, batch_first=True)
    a_layer.load_state_dict({k: v.detach().numpy() for k, v in t_layer.state_dict().items()})
    names = [n for n, _ in t_layer.named_parameters()]
    params = [p.detach().numpy() for _, p in t_layer.named_parameters()]
    lstm = kind == "lstm"
    x, h0, c0 = randn(B, T, I), randn(L * D, B, H), randn(L * D, B, H)

    def a_fn(x_, h_, c_, *ps):
        for n, p in zip(names, ps):
            a_layer._parameters[n] = p
        packed = ax_rnn.pack_padded_sequence(x_, lengths, batch_first=True, enforce_sorted=enforce_sorted)
        out, state = a_layer(packed, (h_, c_) if lstm else h_)
        assert isinstance(out, ax_rnn.PackedSequence)
        padded, _ = ax_rnn.pad_packed_sequence(out, batch_first=True)
        return (padded, *state) if lstm else (padded, state)

    def t_fn(x_, h_, c_, *ps):
        packed = t_rnn.pack_padded_sequence(x_, torch.tensor(lengths), batch_first=True, enforce_sorted=enforce_sorted)
        out, state = torch.func.functional_call(t_layer, dict(zip(names, ps)), (packed, (h_, c_) if lstm else h_))
        padded, _ = t_rnn.pad_packed_sequence(out, batch_first=True)
        return (padded, *state) if lstm else (padded, state)

    compare_with_torch(a_fn, t_fn, [x, h0, c0, *params], [True, True, lstm] + [True] * len(params))


def test_packed_output_keeps_the_input_layout():
    layer = nn.GRU(3, 4)
    packed = ax_rnn.pack_padded_sequence(ax.tensor(randn(5, 3, 3)), [2, 5, 3], enforce_sorted=False)
    out, h_n = layer(packed)
    assert out.data.shape == (10, 4) and out.batch_sizes is packed.batch_sizes
    assert out.sorted_indices.numpy().tolist() == [1, 2, 0] and out.unsorted_indices.numpy().tolist() == [2, 0, 1]
    assert h_n.shape == (1, 3, 4)
    # The packed result equals running each sequence alone (no padding computed anywhere).
    x = packed
    for i, n in enumerate([2, 5, 3]):
        seq = ax_rnn.unpack_sequence(x)[i]
        alone_out, alone_h = layer(seq.unsqueeze(1))
        np.testing.assert_allclose(ax_rnn.unpack_sequence(out)[i].numpy(), alone_out.squeeze(1).numpy(), rtol=1e-5,
                                   atol=1e-6)
        np.testing.assert_allclose(h_n[:, i].numpy(), alone_h[:, 0].numpy(), rtol=1e-5, atol=1e-6)


def test_packed_sequence_to():
    packed = ax_rnn.pack_padded_sequence(ax.tensor(randn(3, 2, 2)), [3, 1])
    same = packed.to("cpu")
    assert same is packed
    double = packed.double()
    assert double.data.dtype == np.float64 and double.batch_sizes is packed.batch_sizes


def test_packing_errors():
    x = ax.tensor(randn(4, 3, 2))
    with pytest.raises(RuntimeError, match=r"^\[pack_padded_sequence\] Length of all samples has to be greater than 0"):
        ax_rnn.pack_padded_sequence(x, [4, 0, 0], enforce_sorted=False)
    with pytest.raises(RuntimeError, match=r"^\[pack_padded_sequence\] `lengths` array must be sorted"):
        ax_rnn.pack_padded_sequence(x, [1, 4, 2])
    with pytest.raises(ValueError, match=r"^\[pack_padded_sequence\] expected 3 lengths"):
        ax_rnn.pack_padded_sequence(x, [4, 2])
    with pytest.raises(RuntimeError, match=r"^\[pack_padded_sequence\] a length 5 exceeds the 4 steps"):
        ax_rnn.pack_padded_sequence(x, [5, 2, 1])
    with pytest.raises(ValueError, match=r"^\[pad_packed_sequence\] Expected total_length to be at least"):
        ax_rnn.pad_packed_sequence(ax_rnn.pack_padded_sequence(x, [4, 2, 1]), total_length=3)
    with pytest.raises(ValueError, match=r"^\[pad_sequence\] sequences must agree"):
        ax_rnn.pad_sequence([ax.zeros(2, 3), ax.zeros(2, 4)])
    with pytest.raises(ValueError, match=r"^\[pad_sequence\] received an empty list"):
        ax_rnn.pad_sequence([])
