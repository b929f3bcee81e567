"""Datasets: anything with ``__getitem__`` and ``__len__``; ``TensorDataset`` wraps whole arrays.

A dataset holds data, not a graph: items come back as plain tensors (``requires_grad=False``) even
when the wrapped tensors require gradients.
"""
import numbers

import numpy as np

from ..creation import as_tensor
from ..tensor import Tensor


class Dataset:
    """Base class: subclasses return one sample (usually a tuple) per index and say how many there are."""

    def __getitem__(self, index):
        raise NotImplementedError(f"[{type(self).__name__}] subclasses of Dataset must implement __getitem__")

    def __len__(self):
        raise NotImplementedError(f"[{type(self).__name__}] subclasses of Dataset must implement __len__")


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
            raise ValueError(f"[TensorDataset] all tensors must have the same size in their first dimension, "
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
