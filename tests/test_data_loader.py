"""DataLoader in one process: torch's options and their rules, the same batches as torch.utils.data.DataLoader
for the deterministic orders, torch's error types, generators, iterable datasets, and the TensorDataset fast path
under every sampler."""
import numpy as np
import pytest

import axonal as ax
from axonal.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    random_split,
)
from test_data_collate import describe


def torch_data():
    return pytest.importorskip("torch.utils.data")


class Records(Dataset):
    """Per-sample dicts and tuples of NumPy arrays, Python numbers and strings (works under torch's loader too)."""

    def __init__(self, n=11):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        image = np.full((2, 3), i, dtype=np.float32)
        return {"image": image, "label": i % 3, "weight": np.float64(i) / 2, "flag": i % 2 == 0,
                "name": f"s{i}", "pair": (i, np.int32(-i))}


class Count(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))


class NoLenCount(IterableDataset):
    def __iter__(self):
        return iter(range(3))


def torch_loader_batches(dataset, **kwargs):
    tud = torch_data()
    return [describe(b) for b in tud.DataLoader(dataset, **kwargs)]


def batches(loader):
    return [describe(b) for b in loader]


@pytest.mark.parametrize("kwargs", [
    {"batch_size": 4}, {"batch_size": 4, "drop_last": True}, {"batch_size": 1}, {"batch_size": 11},
    {"batch_size": None}, {"sampler": [3, 1, 4, 1, 5]}, {"sampler": [3, 1, 4, 1, 5], "batch_size": 2},
    {"batch_sampler": [[0, 1], [5], [2, 3, 4]]},
])
def test_batches_match_torch_for_the_deterministic_orders(kwargs):
    pytest.importorskip("torch")
    ds = Records()
    ours, theirs = batches(DataLoader(ds, **kwargs)), torch_loader_batches(ds, **kwargs)
    # Python floats collate to float64 in torch, to the default float32 in axonal; nothing else may differ.
    assert ours == theirs
    assert len(DataLoader(ds, **kwargs)) == len(torch_data().DataLoader(ds, **kwargs))


def test_collate_fn_and_tensor_dataset_batches_match_torch():
    tud = torch_data()
    import torch
    x = np.arange(30, dtype=np.float32).reshape(10, 3)
    y = np.arange(10)
    for kwargs in ({"batch_size": 3}, {"batch_size": 3, "drop_last": True}, {"sampler": [9, 0, 4], "batch_size": 2},
                   {"batch_sampler": BatchSampler(SequentialSampler(range(10)), 4, False)}):
        ours = batches(DataLoader(TensorDataset(x, y), **kwargs))
        theirs = [describe(b) for b in tud.DataLoader(tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                                                      **kwargs)]
        assert ours == theirs, kwargs
    pairs = DataLoader(TensorDataset(x, y), batch_size=4, collate_fn=lambda samples: [len(samples), samples[0][1]])
    assert [[n, int(first.item())] for n, first in pairs] == [[4, 0], [4, 4], [2, 8]]


def test_unbatched_loading_converts_each_sample():
    loader = DataLoader(Records(3), batch_size=None)
    first = next(iter(loader))
    assert first["image"].shape == (2, 3) and isinstance(first["image"], ax.Tensor)
    assert first["label"] == 0 and type(first["label"]) is int and first["pair"][1].shape == ()
    assert len(loader) == 3 and loader.mode == "unbatched"
    custom = DataLoader(Records(3), batch_size=None, collate_fn=lambda s: s["name"])
    assert list(custom) == ["s0", "s1", "s2"]


def test_errors_match_torch():
    tud = torch_data()
    ds = Records(5)
    cases = [
        {"num_workers": -1}, {"timeout": -1}, {"prefetch_factor": 2}, {"num_workers": 1, "prefetch_factor": -1},
        {"persistent_workers": True}, {"sampler": [0, 1], "shuffle": True},
        {"batch_sampler": [[0]], "batch_size": 2}, {"batch_sampler": [[0]], "shuffle": True},
        {"batch_sampler": [[0]], "sampler": [0]}, {"batch_sampler": [[0]], "drop_last": True},
        {"batch_size": None, "drop_last": True}, {"batch_size": 0}, {"batch_size": -3},
        {"multiprocessing_context": "fork"}, {"num_workers": 1, "multiprocessing_context": "nonsense"},
        {"num_workers": 1, "multiprocessing_context": 42},
    ]
    for kwargs in cases:
        with pytest.raises(Exception) as torchs:
            tud.DataLoader(ds, **kwargs)
        with pytest.raises(type(torchs.value), match=r"^\[DataLoader\]"):
            DataLoader(ds, **kwargs)
    for kwargs in ({"shuffle": True}, {"sampler": [0]}, {"batch_sampler": [[0]]}):
        with pytest.raises(ValueError, match=r"\[DataLoader\] DataLoader with IterableDataset"):
            DataLoader(Count(3), **kwargs)
    loader, theirs = DataLoader(ds), tud.DataLoader(ds)
    for name in ("batch_size", "sampler", "batch_sampler", "drop_last", "dataset", "persistent_workers"):
        with pytest.raises(ValueError):
            setattr(theirs, name, None)
        with pytest.raises(ValueError, match=rf"\[DataLoader\] {name} attribute should not be set"):
            setattr(loader, name, None)
    loader.num_workers = 0  # the others may change, as in torch


def test_iterable_dataset_batches_match_torch():
    tud = torch_data()

    class TorchCount(tud.IterableDataset):
        __init__, __iter__ = Count.__init__, Count.__iter__

    for kwargs in ({"batch_size": 3}, {"batch_size": 3, "drop_last": True}, {"batch_size": None}, {"batch_size": 7}):
        ours = batches(DataLoader(Count(7), **kwargs))
        theirs = [describe(b) for b in tud.DataLoader(TorchCount(7), **kwargs)]
        assert ours == theirs, kwargs
    assert len(DataLoader(ax.data.Subset(Records(), [0]), batch_size=1)) == 1
    with pytest.raises(TypeError):
        len(DataLoader(NoLenCount(), batch_size=2))
    assert [b.tolist() for b in DataLoader(NoLenCount(), batch_size=2)] == [[0, 1], [2]]


def test_len_of_iterable_loader():
    class Sized(Count):
        def __len__(self):
            return self.n

    assert len(DataLoader(Sized(7), batch_size=3)) == 3
    assert len(DataLoader(Sized(7), batch_size=3, drop_last=True)) == 2
    assert len(DataLoader(Sized(7), batch_size=None)) == 7


# ---- generators and seeds ----------------------------------------------------------------------------

def epoch(loader):
    return np.concatenate([b[1].numpy() for b in loader]).tolist()


def labelled(n=40):
    return TensorDataset(np.zeros((n, 2), np.float32), np.arange(n))


def test_generator_argument_forms():
    ds = labelled()
    by_int = DataLoader(ds, batch_size=8, shuffle=True, generator=3)
    by_numpy = DataLoader(ds, batch_size=8, shuffle=True, generator=np.random.default_rng(3))

    class GeneratorLike:
        _rng = np.random.default_rng(3)

    by_object = DataLoader(ds, batch_size=8, shuffle=True, generator=GeneratorLike())
    first = [epoch(by_int), epoch(by_int)]
    assert first[0] != first[1] and sorted(first[0]) == list(range(40))  # stateful: a new order every epoch
    assert [epoch(by_numpy), epoch(by_numpy)] == first == [epoch(by_object), epoch(by_object)]
    assert by_int.seed is None
    with pytest.raises(ValueError, match=r"\[DataLoader\] give generator= or seed="):
        DataLoader(ds, shuffle=True, generator=1, seed=1)
    with pytest.raises(TypeError, match=r"\[DataLoader\] generator"):
        DataLoader(ds, shuffle=True, generator="x")


def test_seed_keeps_its_meaning():
    ds = labelled()
    a = DataLoader(ds, batch_size=8, shuffle=True, seed=5)
    rng = np.random.default_rng(5)
    for _ in range(3):  # seed= seeds a NumPy generator that draws one permutation per epoch
        assert epoch(a) == rng.permutation(40).tolist()
    assert a.seed == 5


def test_generator_given_to_a_sampler():
    ds = labelled()
    a = DataLoader(ds, batch_size=8, sampler=RandomSampler(ds, generator=9))
    b = DataLoader(ds, batch_size=8, sampler=RandomSampler(ds, generator=9))
    assert epoch(a) == epoch(b)


# ---- the TensorDataset fast path under every sampler ---------------------------------------------------

class Pairs(Dataset):
    """The same samples as labelled(), read one by one."""

    def __init__(self, base):
        self.base = base

    def __len__(self):
        return len(self.base)

    def __getitem__(self, i):
        x, y = self.base[i]
        return x, y


@pytest.mark.parametrize("make_sampler", [
    lambda ds: None,
    lambda ds: RandomSampler(ds, generator=2),
    lambda ds: RandomSampler(ds, replacement=True, num_samples=50, generator=2),
    lambda ds: SubsetRandomSampler(list(range(0, 40, 3)), generator=2),
    lambda ds: WeightedRandomSampler(np.linspace(0, 1, 40), 30, generator=2),
    lambda ds: [5, 3, 39, 0],
])
def test_fast_path_gives_the_generic_path_batches(make_sampler, monkeypatch):
    ds = labelled()
    generic = [describe(b) for b in DataLoader(Pairs(ds), batch_size=7, sampler=make_sampler(ds))]
    calls = []
    original = TensorDataset.__getitem__
    monkeypatch.setattr(TensorDataset, "__getitem__", lambda self, i: calls.append(i) or original(self, i))
    fast = [describe(b) for b in DataLoader(ds, batch_size=7, sampler=make_sampler(ds))]
    assert fast == generic and calls == []


def test_fast_path_through_subsets_and_random_split(monkeypatch):
    ds = labelled()
    train, val = random_split(ds, [0.75, 0.25], generator=0)
    expected = [describe(default_collate([ds[i] for i in train.indices[j:j + 6]])) for j in range(0, 30, 6)]
    monkeypatch.setattr(TensorDataset, "__getitem__", lambda self, i: pytest.fail("indexed one by one"))
    assert [describe(b) for b in DataLoader(train, batch_size=6)] == expected
    nested = ax.data.Subset(train, [4, 0])
    (xb, yb), = list(DataLoader(nested, batch_size=2))
    assert yb.tolist() == [train.indices[4], train.indices[0]]


def test_custom_collate_fn_disables_the_fast_path():
    ds = labelled(6)
    seen = []
    list(DataLoader(ds, batch_size=3, collate_fn=lambda s: seen.append(len(s))))
    assert seen == [3, 3]


def test_pin_memory_is_accepted():
    ds = labelled(6)
    assert [b[1].tolist() for b in DataLoader(ds, batch_size=3, pin_memory=True, pin_memory_device="cuda")] == \
        [[0, 1, 2], [3, 4, 5]]
