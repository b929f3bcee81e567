"""Datasets beyond TensorDataset: Subset, ConcatDataset, ChainDataset, IterableDataset, random_split; compared
with torch.utils.data where torch is installed."""
import warnings

import numpy as np
import pytest

import axonal as ax
from axonal.data import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    DatasetError,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)


def torch_data():
    return pytest.importorskip("torch.utils.data")


def same_error_type(ours, theirs):
    with pytest.raises(Exception) as mine:
        ours()
    with pytest.raises(Exception) as torchs:
        theirs()
    assert isinstance(mine.value, type(torchs.value)), (mine.value, torchs.value)
    return mine.value


class Squares(Dataset):
    def __init__(self, n, offset=0):
        self.n, self.offset = n, offset

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return (self.offset + i) ** 2


class Stream(IterableDataset):
    def __init__(self, start, stop):
        self.start, self.stop = start, stop

    def __iter__(self):
        return iter(range(self.start, self.stop))

    def __len__(self):
        return self.stop - self.start


def torch_stream(tud):
    """Stream as torch's IterableDataset (torch's containers check for their own base class)."""
    class TorchStream(tud.IterableDataset):
        __init__, __iter__, __len__ = Stream.__init__, Stream.__iter__, Stream.__len__

    return TorchStream


def test_subset():
    ds = Squares(10)
    sub = Subset(ds, [7, 2, 2, 9])
    assert len(sub) == 4 and [sub[i] for i in range(4)] == [49, 4, 4, 81]
    assert sub.__getitems__([0, 3]) == [49, 81]
    t = TensorDataset(np.arange(10) * 10)
    assert Subset(t, [3, 1])[[0, 1]][0].tolist() == [30, 10]  # a list index goes through to the dataset at once


def test_concat_dataset_matches_torch():
    tud = torch_data()
    parts = [Squares(3), Squares(0), Squares(4, offset=10)]
    ours, theirs = ConcatDataset(parts), tud.ConcatDataset(parts)
    assert len(ours) == len(theirs) == 7 and ours.cumulative_sizes == theirs.cumulative_sizes
    assert [ours[i] for i in range(-7, 7)] == [theirs[i] for i in range(-7, 7)]
    same_error_type(lambda: ours[7], lambda: theirs[7])
    assert isinstance(same_error_type(lambda: ours[-8], lambda: theirs[-8]), ValueError)
    same_error_type(lambda: ConcatDataset([]), lambda: tud.ConcatDataset([]))
    same_error_type(lambda: ConcatDataset([Squares(2), Stream(0, 2)]),
                    lambda: tud.ConcatDataset([Squares(2), torch_stream(tud)(0, 2)]))
    err = same_error_type(lambda: ConcatDataset([]), lambda: tud.ConcatDataset([]))
    assert isinstance(err, ValueError) and isinstance(err, DatasetError)  # and an AssertionError, as torch's
    added = Squares(2) + Squares(3, offset=5)
    assert isinstance(added, ConcatDataset) and [added[i] for i in range(5)] == [0, 1, 25, 36, 49]


def test_iterable_and_chain_datasets():
    tud = torch_data()
    chain = Stream(0, 3) + Stream(10, 12)
    assert isinstance(chain, ChainDataset) and list(chain) == [0, 1, 2, 10, 11] and len(chain) == 5
    TorchStream = torch_stream(tud)
    assert list(ChainDataset([Stream(0, 2), Stream(5, 6)])) == list(tud.ChainDataset([TorchStream(0, 2),
                                                                                      TorchStream(5, 6)]))
    same_error_type(lambda: list(ChainDataset([Squares(2)])), lambda: list(tud.ChainDataset([Squares(2)])))
    with pytest.raises(NotImplementedError, match=r"\[IterableDataset\]"):
        iter(IterableDataset())
    with pytest.raises(TypeError, match=r"not by index"):
        Stream(0, 3)[0]
    assert Dataset[int] is Dataset and IterableDataset[int] is IterableDataset


@pytest.mark.parametrize("n,fractions", [(10, [0.5, 0.5]), (11, [0.7, 0.2, 0.1]), (7, [0.33, 0.33, 0.34]),
                                         (5, [1.0]), (3, [0.1, 0.1, 0.8])])
def test_random_split_fraction_lengths_match_torch(n, fractions):
    tud = torch_data()
    import torch
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = random_split(range(n), fractions, generator=0)
        theirs = tud.random_split(range(n), fractions, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert sorted(i for s in ours for i in s.indices) == list(range(n))  # a partition


def test_random_split_counts_generator_and_errors():
    ds = Squares(10)
    a, b = random_split(ds, [3, 7], generator=4)
    assert isinstance(a, Subset) and len(a) == 3 and len(b) == 7 and a.dataset is ds
    assert sorted(a.indices + b.indices) == list(range(10))
    assert [s.indices for s in random_split(ds, [3, 7], generator=np.random.default_rng(4))] == [a.indices, b.indices]
    ax.manual_seed(1)
    first = [s.indices for s in random_split(ds, [5, 5])]
    ax.manual_seed(1)
    assert [s.indices for s in random_split(ds, [5, 5])] == first
    with pytest.raises(ValueError, match=r"\[random_split\] sum of input lengths"):
        random_split(ds, [3, 3])
    with pytest.raises(ValueError, match=r"\[random_split\] fraction at index 0"):
        random_split(ds, [1.5, -0.5])
    with pytest.warns(UserWarning, match=r"length of split at index 1 is 0"):
        random_split(Squares(2), [0.9, 0.1])


def test_random_split_errors_match_torch():
    tud = torch_data()
    for lengths in ([3, 3], [1.5, -0.5], [0.5, 0.6]):
        same_error_type(lambda: random_split(Squares(10), lengths), lambda: tud.random_split(Squares(10), lengths))


def test_tensor_dataset_size_mismatch_is_value_and_assertion_error():
    tud = torch_data()
    import torch
    err = same_error_type(lambda: TensorDataset(np.zeros(3), np.zeros(4)),
                          lambda: tud.TensorDataset(torch.zeros(3), torch.zeros(4)))
    assert isinstance(err, ValueError)
