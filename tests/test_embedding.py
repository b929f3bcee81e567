"""nn.Embedding / F.embedding against torch (forward and the weight gradient for padding_idx, max_norm, norm_type,
scale_grad_by_freq, any index shape; from_pretrained with freeze), the C++ scatter-add kernel against its
reference (repeated indices, thread counts, float32 / float64), on every device present, and the errors."""
import numpy as np
import pytest

import axonal as ax
import axonal.nn.functional as F
from axonal import _C, nn
from torch_compare import compare_with_torch

RNG = np.random.default_rng(0)


def randn(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


OPTIONS = [
    ("plain", {}),
    ("padding_idx", dict(padding_idx=2)),
    ("negative-padding_idx", dict(padding_idx=-1)),
    ("scale_grad_by_freq", dict(scale_grad_by_freq=True)),
    ("padding-and-freq", dict(padding_idx=0, scale_grad_by_freq=True)),
]


@pytest.mark.parametrize("label, options", OPTIONS, ids=[o[0] for o in OPTIONS])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_embedding_matches_torch(label, options, dtype):
    torch = pytest.importorskip("torch")
    weight = randn(9, 5, dtype=dtype)
    idx = np.array([[0, 2, 2, 8], [8, 8, 1, 2], [0, 0, 0, 3]], dtype=np.int64)  # repeats, the last row, padding
    compare_with_torch(lambda w: F.embedding(ax.tensor(idx), w, **options),
                       lambda w: torch.nn.functional.embedding(torch.tensor(idx), w, **options), [weight], [True],
                       rtol=1e-6 if dtype == np.float32 else 1e-12)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0])
def test_max_norm_renormalises_like_torch(norm_type):
    torch = pytest.importorskip("torch")
    weight = randn(6, 4) * 3
    idx = np.array([1, 3, 3, 5], dtype=np.int64)
    a_layer = nn.Embedding(6, 4, max_norm=1.5, norm_type=norm_type)
    t_layer = torch.nn.Embedding(6, 4, max_norm=1.5, norm_type=norm_type)
    with ax.no_grad():
        a_layer.weight.copy_(weight)
    with torch.no_grad():
        t_layer.weight.copy_(torch.tensor(weight))
    a_out, t_out = a_layer(ax.tensor(idx)), t_layer(torch.tensor(idx))
    np.testing.assert_allclose(a_out.numpy(), t_out.detach().numpy(), rtol=1e-6, atol=1e-7)
    # The referenced rows are renormalised in the weight itself, the others left alone.
    np.testing.assert_allclose(a_layer.weight.numpy(), t_layer.weight.detach().numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(a_layer.weight.numpy()[[0, 2, 4]], weight[[0, 2, 4]])
    a_out.sum().backward()
    t_out.sum().backward()
    np.testing.assert_allclose(a_layer.weight.grad.numpy(), t_layer.weight.grad.numpy(), rtol=1e-6)


def test_module_init_repr_and_from_pretrained():
    torch = pytest.importorskip("torch")
    ax.manual_seed(0)
    layer = nn.Embedding(1000, 16, padding_idx=3)
    w = layer.weight.numpy()
    assert w.shape == (1000, 16) and np.all(w[3] == 0)
    assert abs(w.std() - 1) < 0.05 and abs(w.mean()) < 0.05  # normal(0, 1), torch's init
    for args, kwargs in (((10, 3), {}), ((10, 3), dict(padding_idx=1, max_norm=2.0, norm_type=1.0,
                                                         scale_grad_by_freq=True))):
        assert repr(nn.Embedding(*args, **kwargs)) == repr(torch.nn.Embedding(*args, **kwargs))
    table = randn(4, 3)
    frozen = nn.Embedding.from_pretrained(ax.tensor(table))
    assert not frozen.weight.requires_grad and list(frozen.parameters())[0] is frozen.weight
    np.testing.assert_array_equal(frozen(ax.tensor([3, 0])).numpy(), table[[3, 0]])
    trainable = nn.Embedding.from_pretrained(ax.tensor(table), freeze=False, padding_idx=1)
    assert trainable.weight.requires_grad and trainable.padding_idx == 1
    np.testing.assert_array_equal(trainable.weight.numpy()[1], table[1])  # from_pretrained keeps the given row
    trainable(ax.tensor([1, 2, 1])).sum().backward()
    np.testing.assert_array_equal(trainable.weight.grad.numpy()[1], 0)
    trainable.weight.data[0, 0] = 99.0
    assert table[0, 0] != 99.0  # a copy, as torch's from_pretrained makes
    # state_dict names are torch's.
    assert list(layer.state_dict()) == list(torch.nn.Embedding(3, 2).state_dict()) == ["weight"]


def test_int32_indices_and_empty_input():
    weight = ax.tensor(randn(5, 2), requires_grad=True)
    out = F.embedding(ax.tensor(np.array([4, 0], dtype=np.int32)), weight)
    np.testing.assert_array_equal(out.numpy(), weight.numpy()[[4, 0]])
    empty = F.embedding(ax.tensor(np.zeros((0, 3), dtype=np.int64)), weight)
    assert empty.shape == (0, 3, 2)
    empty.sum().backward()
    np.testing.assert_array_equal(weight.grad.numpy(), 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_scatter_add_kernel_matches_reference(dtype):
    before = ax.get_num_threads()
    try:
        for V, D, n in [(1, 1, 1), (7, 3, 17), (65, 130, 1000), (5, 257, 4096)]:
            grad = randn(n, D, dtype=dtype)
            idx = RNG.integers(0, V, n).astype(np.int64)
            want = _C.embedding_backward(grad, idx, V, 1, reference=True)
            expected = np.zeros((V, D))
            np.add.at(expected, idx[idx != 1], grad[idx != 1].astype(np.float64))
            tol = 1e-4 if dtype == np.float32 else 1e-12  # float32 sums of ~800 rows of N(0, 1)
            np.testing.assert_allclose(want, expected, rtol=tol, atol=tol)
            for threads in (1, 2, 3):
                ax.set_num_threads(threads)
                np.testing.assert_array_equal(_C.embedding_backward(grad, idx, V, 1), want)  # same order of adds
    finally:
        ax.set_num_threads(before)


def test_embedding_on_every_device(device):
    weight = randn(7, 4)
    idx = np.array([[1, 6, 1], [0, 3, 6]], dtype=np.int64)
    results = []
    for dev in ("cpu", device):
        w = ax.tensor(weight, device=dev, requires_grad=True)
        out = F.embedding(ax.tensor(idx, device=dev), w, padding_idx=6, scale_grad_by_freq=True)
        (out * out).sum().backward()
        results.append((out.cpu().numpy(), w.grad.cpu().numpy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_training_an_embedding_bag_of_words():
    ax.manual_seed(0)
    emb, head = nn.Embedding(20, 8), nn.Linear(8, 2)
    opt = ax.optim.Adam(list(emb.parameters()) + list(head.parameters()), lr=0.05)
    idx = RNG.integers(0, 20, (64, 5))
    y = (idx < 10).sum(1) > 2  # a word-count rule the embedding has to learn
    losses = []
    for _ in range(80):
        opt.zero_grad()
        loss = F.cross_entropy(head(emb(ax.tensor(idx)).mean(1)), ax.tensor(y.astype(np.int64)))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.3 * losses[0]


def test_errors():
    weight = ax.tensor(randn(5, 2))
    with pytest.raises(IndexError, match=r"^\[embedding\] index 5 is out of range for 5 embeddings"):
        F.embedding(ax.tensor([0, 5]), weight)
    with pytest.raises(IndexError, match=r"^\[embedding\] index -1 is out of range"):
        F.embedding(ax.tensor([-1]), weight)
    with pytest.raises(TypeError, match=r"^\[embedding\] Expected tensor for argument #1 'indices'"):
        F.embedding(ax.tensor([0.0]), weight)
    with pytest.raises(ValueError, match=r"^\[Embedding\] Padding_idx must be within num_embeddings"):
        nn.Embedding(5, 2, padding_idx=5)
    with pytest.raises(NotImplementedError, match=r"^\[Embedding\] sparse"):
        nn.Embedding(5, 2, sparse=True)
    with pytest.raises(ValueError, match=r"^\[embedding\] index 9 is out of range for 5 embeddings"):
        _C.embedding_backward(np.zeros((1, 2), np.float32), np.array([9]), 5)
    with pytest.raises(TypeError, match=r"^\[embedding\] indices must be int64"):
        _C.embedding_backward(np.zeros((1, 2), np.float32), np.array([1], np.int32), 5)
