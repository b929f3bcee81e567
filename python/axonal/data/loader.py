"""DataLoader: iterate over a dataset in batches, one pass per epoch.

The batch size picks the flavour of gradient descent:

* ``batch_size=None`` or ``batch_size >= len(dataset)``: full-batch (one batch holding every sample);
* ``batch_size=1``: stochastic (one sample per step);
* anything in between: mini-batch.

Shuffling draws a new permutation every epoch from the loader's own ``np.random.Generator``, seeded by
``seed``; when ``seed`` is None the seed is drawn once, at construction, from axonal's global generator,
so ``ax.manual_seed(s)`` before building the loader makes its epochs repeatable too.
"""
import numbers

import numpy as np

from .. import backend, dtypes
from ..random import generator
from ..tensor import Tensor
from .dataset import TensorDataset


class DataLoader:
    """Yields batches of ``dataset``: a tuple of Tensors per batch when samples are tuples.

    For a ``TensorDataset`` each batch is cut from the whole arrays at once (a slice — a view, no
    copy — when not shuffling; one fancy-index per tensor when shuffling). Other datasets are read
    sample by sample and collated with ``np.stack``; dtypes of array/Tensor fields are kept, Python
    ints become int64 and Python floats the default float dtype (float32).
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None):
        if not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
            raise TypeError(f"[DataLoader] dataset must define __getitem__ and __len__, got {type(dataset).__name__}")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral)
                                       or batch_size < 1):
            raise ValueError(f"[DataLoader] batch_size must be a positive int or None (full batch), got {batch_size!r}")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        if seed is None:
            seed = int(generator().integers(0, 2**63 - 1))
        self.seed = int(seed)
        self._rng = np.random.default_rng(self.seed)

    @property
    def effective_batch_size(self):
        """Samples per batch actually used: ``batch_size`` clamped to the dataset's length."""
        n = len(self.dataset)
        return n if self.batch_size is None or self.batch_size >= n else int(self.batch_size)

    @property
    def mode(self):
        """'full-batch', 'stochastic' or 'mini-batch' gradient descent."""
        n, bs = len(self.dataset), self.effective_batch_size
        if bs == n:
            return "full-batch"
        return "stochastic" if bs == 1 else "mini-batch"

    def __len__(self):
        n, bs = len(self.dataset), self.effective_batch_size
        if n == 0:
            return 0
        return n // bs if self.drop_last else -(-n // bs)

    def __iter__(self):
        n, bs = len(self.dataset), self.effective_batch_size
        order = self._rng.permutation(n) if self.shuffle else None
        fast = isinstance(self.dataset, TensorDataset)
        arrays = self.dataset.arrays if fast else None
        for b in range(len(self)):
            start, stop = b * bs, min((b + 1) * bs, n)
            index = slice(start, stop) if order is None else order[start:stop]
            if fast:
                yield tuple(Tensor._make(a[index]) for a in arrays)
            else:
                indices = range(start, stop) if order is None else index.tolist()
                yield collate([self.dataset[i] for i in indices])

    def __repr__(self):
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, seed={self.seed}, {self.mode})")


def collate(samples):
    """Stacks a list of samples into a batch: tuples/lists field by field, dicts key by key."""
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(collate([s[i] for s in samples]) for i in range(len(first)))
    if isinstance(first, dict):
        return {k: collate([s[k] for s in samples]) for k in first}
    arrays = [s.data if isinstance(s, Tensor) else s for s in samples]
    xp = backend.of(arrays[0]).xp if type(arrays[0]) in backend._by_type else np
    batch = xp.stack(arrays)
    if not isinstance(first, (Tensor, np.ndarray, np.generic)):
        if batch.dtype.kind == "f":
            batch = batch.astype(dtypes.get_default_dtype(), copy=False)
        elif batch.dtype.kind in "iu":
            batch = batch.astype(dtypes.int64, copy=False)
    return Tensor._make(batch)
