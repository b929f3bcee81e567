"""Datasets (torch.utils.data's names and rules).

* map-style: anything with ``__getitem__`` and ``__len__`` (subclass ``Dataset`` or not); ``TensorDataset`` wraps
  whole arrays; ``Subset``, ``ConcatDataset`` (also ``ds1 + ds2``) and ``random_split`` rearrange datasets;
* iterable-style: ``IterableDataset`` subclasses define ``__iter__``; ``ChainDataset`` (also ``it1 + it2``)
  chains them. Under a DataLoader with workers each worker iterates its own copy: shard the stream with
  ``axonal.data.get_worker_info()`` or every worker yields the whole of it.

A dataset holds data, not a graph: items come back as plain tensors (``requires_grad=False``) even
when the wrapped tensors require gradients.
"""
import bisect
import itertools
import math
import numbers
import warnings

import numpy as np

from ..creation import as_tensor
from ..tensor import Tensor
from ._random import check_generator, numpy_rng


class DatasetError(ValueError, AssertionError):
    """A dataset built from inconsistent parts. torch asserts here (AssertionError); a ValueError is what the
    mistake is, so the error is both."""


class Dataset:
    """Base class: subclasses return one sample (usually a tuple) per index and say how many there are."""

    def __getitem__(self, index):
        raise NotImplementedError(f"[{type(self).__name__}] subclasses of Dataset must implement __getitem__")

    def __len__(self):
        raise NotImplementedError(f"[{type(self).__name__}] subclasses of Dataset must implement __len__")

    def __add__(self, other):
        return ConcatDataset([self, other])

    def __class_getitem__(cls, item):  # Dataset[tuple] in type annotations, as torch's Dataset is Generic
        return cls


class IterableDataset(Dataset):
    """A stream of samples: subclasses define ``__iter__`` (and may define ``__len__``)."""

    def __iter__(self):
        raise NotImplementedError(f"[{type(self).__name__}] subclasses of IterableDataset must implement __iter__")

    def __getitem__(self, index):
        raise TypeError(f"[{type(self).__name__}] an IterableDataset is read by iterating over it, not by index")

    __len__ = None  # a stream has no length unless a subclass gives one: len() raises TypeError, as in torch

    def __add__(self, other):
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the i-th rows of each tensor: ``ds[i] == (t0[i], t1[i], ...)``.

    Accepts Tensors, ndarrays (wrapped without a copy) or nested lists. Indexing with an int, a slice,
    an integer index array or a boolean mask returns a tuple of Tensors; with an index array every
    tensor is fancy-indexed at once, which is what DataLoader's fast path relies on.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("[TensorDataset] needs at least one tensor")
        tensors = tuple(as_tensor(t) for t in tensors)
        for i, t in enumerate(tensors):
            if t.ndim == 0:
                raise ValueError(f"[TensorDataset] tensor {i} is 0-d (shape {tuple(t.shape)}); every tensor needs a "
                                 "first (sample) dimension")
        if len({t.shape[0] for t in tensors}) != 1:
            shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
            raise DatasetError(f"[TensorDataset] all tensors must have the same size in their first dimension, "
                             f"got shapes {shapes}")
        self.tensors = tensors

    @property
    def arrays(self):
        """The wrapped ndarrays (shared memory), one per tensor."""
        return tuple(t.data for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]

    def __getitem__(self, index):
        key = _check_index(index, len(self))
        return tuple(Tensor._make(t.data[key]) for t in self.tensors)

    def __repr__(self):
        shapes = ", ".join(f"{tuple(t.shape)} {t.dtype}" for t in self.tensors)
        return f"TensorDataset({shapes})"


def _check_index(index, n):
    """Validates an index into n samples; returns what to index the arrays with."""
    if isinstance(index, Tensor):
        index = index.data
    if isinstance(index, (bool, np.bool_)):
        raise TypeError("[TensorDataset] a bool is not a valid sample index")
    if isinstance(index, numbers.Integral):
        if not -n <= index < n:
            raise IndexError(f"[TensorDataset] index {index} is out of range for a dataset of {n} samples")
        return int(index)
    if isinstance(index, slice):
        return index
    key = np.asarray(index)
    if key.dtype == np.bool_:
        if key.shape != (n,):
            raise IndexError(f"[TensorDataset] a boolean mask must have shape ({n},), got {key.shape}")
        return key
    if key.dtype.kind not in "iu" and key.size > 0:
        raise TypeError(f"[TensorDataset] indices must be ints, slices, integer arrays or boolean masks, "
                        f"got {type(index).__name__} of dtype {key.dtype}")
    key = key.astype(np.intp, copy=False)
    if key.size and (key.max() >= n or key.min() < -n):
        bad = key[(key >= n) | (key < -n)][0]
        raise IndexError(f"[TensorDataset] index {bad} is out of range for a dataset of {n} samples")
    return key


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order: ``Subset(ds, idx)[i] == ds[idx[i]]``."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices):
        """A batch of samples at once (the DataLoader calls this when it exists, as torch's does)."""
        base = [self.indices[i] for i in indices]
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__(base)
        return [self.dataset[i] for i in base]

    def __len__(self):
        return len(self.indices)

    def __repr__(self):
        return f"Subset({type(self.dataset).__name__}, {len(self)} of {len(self.dataset)} samples)"


class ConcatDataset(Dataset):
    """The samples of several map-style datasets, one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise DatasetError("[ConcatDataset] datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise DatasetError("[ConcatDataset] ConcatDataset does not support IterableDataset (use ChainDataset)")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        n = len(self)
        if index < 0:
            if -index > n:
                raise ValueError(f"[ConcatDataset] absolute value of index should not exceed dataset length "
                                 f"(index {index}, length {n})")
            index += n
        which = bisect.bisect_right(self.cumulative_sizes, index)
        if which == len(self.datasets):
            raise IndexError(f"[ConcatDataset] index {index} is out of range for a dataset of {n} samples")
        return self.datasets[which][index - (self.cumulative_sizes[which - 1] if which else 0)]


class ChainDataset(IterableDataset):
    """The streams of several IterableDatasets, one after the other."""

    def __init__(self, datasets):
        self.datasets = datasets

    def _checked(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise DatasetError(f"[ChainDataset] ChainDataset only supports IterableDataset, got {type(d).__name__}")
            yield d

    def __iter__(self):
        for d in self._checked():
            yield from d

    def __len__(self):
        return sum(len(d) for d in self._checked())


def random_split(dataset, lengths, generator=None):
    """Splits ``dataset`` into non-overlapping random Subsets of the given lengths.

    ``lengths`` are sample counts summing to ``len(dataset)``, or fractions summing to 1: then each split gets
    ``floor(len * fraction)`` samples and the remainder goes one by one to the first splits (torch's rule).
    ``generator``: None (axonal's global generator), a seed, or a Generator."""
    generator = check_generator(generator, "random_split")
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = []
        for i, fraction in enumerate(lengths):
            if fraction < 0 or fraction > 1:
                raise ValueError(f"[random_split] fraction at index {i} is not between 0 and 1, got {fraction}")
            counts.append(int(math.floor(n * fraction)))
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(f"[random_split] length of split at index {i} is 0. This might result in an empty "
                              "dataset.", UserWarning, stacklevel=2)
        lengths = counts
    if sum(lengths) != n:
        raise ValueError(f"[random_split] sum of input lengths does not equal the length of the input dataset! "
                         f"(lengths {lengths}, dataset of {n} samples)")
    order = numpy_rng(generator).permutation(n).tolist()
    return [Subset(dataset, order[stop - length:stop]) for stop, length in zip(itertools.accumulate(lengths), lengths)]
