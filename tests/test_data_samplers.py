"""Samplers: torch's index sequences for the deterministic ones, distributions and contracts for the random ones,
and torch's error types (compared with torch.utils.data where torch is installed)."""
import itertools

import numpy as np
import pytest

import axonal as ax
from axonal.data import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)


def torch_data():
    return pytest.importorskip("torch.utils.data")


def raises_like_torch(ours, theirs):
    """Both calls raise, and the same exception type (torch's own, where torch is installed)."""
    with pytest.raises(Exception) as mine:
        ours()
    try:
        import torch  # noqa: F401
    except ImportError:
        return mine.value
    with pytest.raises(Exception) as torchs:
        theirs()
    assert isinstance(mine.value, type(torchs.value)), (mine.value, torchs.value)
    return mine.value


class Plain(Sampler):
    """Hides a sampler's type, so that BatchSampler / DataLoader take their generic, index-by-index path."""

    def __init__(self, inner):
        self.inner = inner

    def __iter__(self):
        return iter(self.inner)

    def __len__(self):
        return len(self.inner)


# ---- deterministic samplers: torch's exact sequences ------------------------------------------------

@pytest.mark.parametrize("n", [0, 1, 7, 10])
def test_sequential_sampler_matches_torch(n):
    tud = torch_data()
    assert list(SequentialSampler(range(n))) == list(tud.SequentialSampler(range(n)))
    assert len(SequentialSampler(range(n))) == n


@pytest.mark.parametrize("n,batch_size,drop_last",
                         list(itertools.product([0, 1, 7, 10], [1, 3, 10, 11], [False, True])))
def test_batch_sampler_matches_torch(n, batch_size, drop_last):
    tud = torch_data()
    ours = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)
    theirs = tud.BatchSampler(tud.SequentialSampler(range(n)), batch_size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)
    # the same over a plain iterable and over a sampler BatchSampler does not know
    assert list(BatchSampler(range(n), batch_size, drop_last)) == list(theirs)
    generic = BatchSampler(Plain(SequentialSampler(range(n))), batch_size, drop_last)
    assert list(generic) == list(theirs) and len(generic) == len(theirs)
    assert all(type(b) is list and all(type(i) is int for i in b) for b in ours)


def test_batch_sampler_errors_match_torch():
    tud = torch_data()
    for bad in (0, -1, True, 2.5, "3"):
        raises_like_torch(lambda: BatchSampler(range(4), bad, False), lambda: tud.BatchSampler(range(4), bad, False))
    for bad in ("yes", 1, None):
        err = raises_like_torch(lambda: BatchSampler(range(4), 2, bad), lambda: tud.BatchSampler(range(4), 2, bad))
        assert isinstance(err, ValueError) and "[BatchSampler] drop_last" in str(err)


def test_sampler_base_needs_iter():
    with pytest.raises(NotImplementedError, match=r"\[Sampler\]"):
        iter(Sampler())
    assert Sampler[int] is Sampler
    with pytest.warns(UserWarning, match="data_source"):
        Sampler(range(3))


# ---- RandomSampler -------------------------------------------------------------------------------

def test_random_sampler_permutes_each_epoch():
    s = RandomSampler(range(50), generator=7)
    epochs = [list(s) for _ in range(3)]
    assert all(sorted(e) == list(range(50)) for e in epochs)
    assert epochs[0] != epochs[1] != epochs[2] and epochs[0] != list(range(50))
    assert len(s) == 50 and all(type(i) is int for i in epochs[0])
    again = RandomSampler(range(50), generator=7)
    assert [list(again) for _ in range(3)] == epochs  # the same seed, the same epochs


def test_random_sampler_num_samples_without_replacement_chains_permutations():
    s = RandomSampler(range(5), num_samples=13, generator=0)
    order = list(s)
    assert len(order) == len(s) == 13
    assert sorted(order[:5]) == sorted(order[5:10]) == list(range(5))
    assert len(set(order[10:])) == 3
    short = list(RandomSampler(range(10), num_samples=4, generator=1))
    assert len(short) == len(set(short)) == 4


def test_random_sampler_with_replacement():
    s = RandomSampler(range(4), replacement=True, num_samples=4000, generator=3)
    order = np.array(list(s))
    assert len(order) == 4000 and order.min() == 0 and order.max() == 3
    counts = np.bincount(order, minlength=4)
    assert np.all(np.abs(counts - 1000) < 150)  # ~5 standard deviations of a binomial(4000, 1/4)
    assert len(RandomSampler(range(4), replacement=True)) == 4


def test_random_sampler_generators():
    # an int, a NumPy Generator, an object keeping one as _rng (axonal's Generator), or the global generator
    from_int = list(RandomSampler(range(20), generator=5))
    assert list(RandomSampler(range(20), generator=np.random.default_rng(5))) == from_int

    class GeneratorLike:
        def __init__(self, seed):
            self._rng = np.random.default_rng(seed)

    g = GeneratorLike(5)
    s = RandomSampler(range(20), generator=g)
    assert list(s) == from_int
    g._rng = np.random.default_rng(5)  # reseeding the generator (g.manual_seed) takes effect at the next epoch
    assert list(s) == from_int
    ax.manual_seed(11)
    a = list(RandomSampler(range(20)))
    ax.manual_seed(11)
    assert list(RandomSampler(range(20))) == a
    with pytest.raises(TypeError, match=r"\[RandomSampler\] generator"):
        RandomSampler(range(3), generator="seed")


def test_random_sampler_errors_match_torch():
    tud = torch_data()
    for kwargs in ({"replacement": 1}, {"replacement": "no"}, {"num_samples": 0}, {"num_samples": -2},
                   {"num_samples": 1.5}):
        raises_like_torch(lambda: RandomSampler(range(4), **kwargs), lambda: tud.RandomSampler(range(4), **kwargs))
    raises_like_torch(lambda: RandomSampler([]), lambda: tud.RandomSampler([]))  # no samples to draw


# ---- SubsetRandomSampler / WeightedRandomSampler ---------------------------------------------------

def test_subset_random_sampler():
    indices = [3, 9, 4, 20]
    s = SubsetRandomSampler(indices, generator=2)
    epochs = [list(s) for _ in range(6)]
    assert all(sorted(e) == sorted(indices) for e in epochs) and len(s) == 4
    assert len({tuple(e) for e in epochs}) > 1
    assert sorted(SubsetRandomSampler(["a", "b", "c"], generator=0)) == ["a", "b", "c"]  # any index type
    assert sorted(sum(BatchSampler(SubsetRandomSampler(["a", "b", "c"]), 2, False), [])) == ["a", "b", "c"]


def test_weighted_random_sampler_frequencies():
    w = [1.0, 0.0, 3.0, 6.0]
    order = np.array(list(WeightedRandomSampler(w, 20000, generator=4)))
    freq = np.bincount(order, minlength=4) / 20000
    np.testing.assert_allclose(freq, np.array(w) / 10, atol=0.015)
    assert freq[1] == 0
    assert len(WeightedRandomSampler(ax.tensor(w), 5)) == 5  # weights may be a Tensor


def test_weighted_random_sampler_without_replacement_draws_sequentially():
    # P(first = a, second = b) = w_a / W * w_b / (W - w_a): the distribution of torch.multinomial(replacement=False)
    w = np.array([1.0, 2.0, 3.0])
    s = WeightedRandomSampler(w, 2, replacement=False, generator=9)
    pairs = [tuple(s) for _ in range(12000)]
    for a, b in itertools.permutations(range(3), 2):
        expected = w[a] / 6 * w[b] / (6 - w[a])
        assert abs(pairs.count((a, b)) / 12000 - expected) < 0.02, (a, b)
    full = list(WeightedRandomSampler([5.0, 0.0, 1.0], 2, replacement=False, generator=1))
    assert sorted(full) == [0, 2]
    # more samples than non-zero weights: the zero-weight ones come last (torch.multinomial does not refuse)
    assert sorted(list(WeightedRandomSampler([5.0, 0.0, 1.0], 3, replacement=False))[:2]) == [0, 2]


def test_weighted_random_sampler_errors_match_torch():
    tud = torch_data()
    for args, kwargs in ((([1.0, 2.0], 0), {}), (([1.0, 2.0], -1), {}), (([1.0, 2.0], 2.5), {}),
                         (([1.0, 2.0], 2), {"replacement": 1}), (([[1.0, 2.0]], 2), {})):
        raises_like_torch(lambda: WeightedRandomSampler(*args, **kwargs),
                          lambda: tud.WeightedRandomSampler(*args, **kwargs))
    # distribution errors come when drawing, as RuntimeError (torch.multinomial's)
    for args, kwargs in ((([1.0, -1.0], 2), {}), (([0.0, 0.0], 2), {}), (([1.0, 2.0], 3), {"replacement": False}),
                         (([1.0, float("nan")], 2), {})):
        sampler = WeightedRandomSampler(*args, **kwargs)
        err = raises_like_torch(lambda: list(sampler), lambda: list(tud.WeightedRandomSampler(*args, **kwargs)))
        assert isinstance(err, RuntimeError) and str(err).startswith("[WeightedRandomSampler]")


# ---- the array fast path cuts the same batches as the index-by-index path ---------------------------

@pytest.mark.parametrize("make", [
    lambda seed: RandomSampler(range(23), generator=seed),
    lambda seed: RandomSampler(range(23), replacement=True, num_samples=40, generator=seed),
    lambda seed: RandomSampler(range(7), num_samples=23, generator=seed),
    lambda seed: SubsetRandomSampler([5, 1, 8, 13, 2, 21, 0], generator=seed),
    lambda seed: WeightedRandomSampler(np.arange(23.0), 30, generator=seed),
    lambda seed: WeightedRandomSampler(np.arange(23.0), 15, replacement=False, generator=seed),
    lambda seed: SequentialSampler(range(23)),
])
@pytest.mark.parametrize("drop_last", [False, True])
def test_array_batches_equal_generic_batches(make, drop_last):
    fast = BatchSampler(make(3), 4, drop_last)
    generic = BatchSampler(Plain(make(3)), 4, drop_last)
    assert BatchSampler(make(3), 4, drop_last)._array_batches() is not None  # (a copy: this draws an epoch)
    assert generic._array_batches() is None
    for _ in range(2):  # two epochs: the random draws line up too
        assert list(fast) == list(generic)
    assert len(fast) == len(generic)


def test_a_new_index_array_sampler_gets_the_fast_path():
    from axonal.data.sampler import IndexArraySampler

    class Evens(IndexArraySampler):  # e.g. a distributed sampler's shard
        def __init__(self, n):
            self.n = n

        def _index_array(self):
            return np.arange(0, self.n, 2)

        def __len__(self):
            return (self.n + 1) // 2

    assert list(Evens(7)) == [0, 2, 4, 6]
    batches = BatchSampler(Evens(7), 3, False)
    assert batches._array_batches() is not None and list(batches) == [[0, 2, 4], [6]]

    class Overridden(Evens):  # a subclass with its own __iter__ is iterated, not cut from the array
        def __iter__(self):
            return iter([1])

    assert BatchSampler(Overridden(7), 3, False)._array_batches() is None
    assert list(BatchSampler(Overridden(7), 3, False)) == [[1]]
