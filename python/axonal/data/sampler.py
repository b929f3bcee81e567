"""Samplers: which sample indices an epoch visits, and in what order (torch.utils.data's names and rules).

A sampler is an iterable of indices (``__iter__``, usually ``__len__``); ``BatchSampler`` groups one into lists.
The deterministic ones yield exactly torch's sequences; the random ones draw from NumPy (``generator=``: see
_random.py), so their orders are not torch's but follow the same distributions and contracts.

The random ones derive from ``IndexArraySampler``: an epoch is one array of int indices (``_index_array()``),
which ``__iter__`` yields item by item, and which ``BatchSampler`` and the DataLoader cut into batches directly
(array slices, no Python list per batch) whenever a sampler's ``__iter__`` is that one. A new sampler (a
distributed one, say) gets the fast path by deriving from it and defining ``_index_array``.
"""
import numbers
import warnings

import numpy as np

from ._random import check_generator, numpy_rng


class Sampler:
    """Base class: subclasses define ``__iter__`` (indices) and, when they can, ``__len__``."""

    def __init__(self, data_source=None):
        if data_source is not None:
            warnings.warn("[Sampler] the data_source argument is not used (as in torch, which is removing it)",
                          UserWarning, stacklevel=2)

    def __iter__(self):
        raise NotImplementedError(f"[{type(self).__name__}] subclasses of Sampler must implement __iter__")

    def __class_getitem__(cls, item):  # Sampler[int] in type annotations, as torch's Sampler is Generic
        return cls


class IndexArraySampler(Sampler):
    """A sampler whose epoch is one int array drawn by ``_index_array()``; ``__iter__`` yields its items as ints.

    ``_index_array()`` may return None when the indices are no ints (then ``_iter_other()`` serves them); it must
    then draw nothing, so that asking twice stays the same epoch."""

    def _index_array(self):
        raise NotImplementedError(f"[{type(self).__name__}] subclasses of IndexArraySampler define _index_array")

    def _iter_other(self):
        raise NotImplementedError(f"[{type(self).__name__}] has no int index array and no other way to iterate")

    def __iter__(self):
        order = self._index_array()
        if order is None:
            yield from self._iter_other()
        else:
            yield from order.tolist()


def _positive_int(value, allow_bool=True):
    # torch accepts True as a num_samples of 1 (a bool is an int) but refuses it as a batch_size
    return isinstance(value, numbers.Integral) and (allow_bool or not isinstance(value, bool)) and value > 0


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(IndexArraySampler):
    """A random permutation per epoch, or ``num_samples`` draws with ``replacement=True``.

    Without replacement and ``num_samples > len(data_source)``, whole permutations follow each other (the last one
    cut short), as in torch. ``generator``: None (axonal's global generator), a seed, or a Generator."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = check_generator(generator, "RandomSampler")
        if not isinstance(self.replacement, bool):
            raise TypeError(f"[RandomSampler] replacement should be a boolean value, but got replacement={replacement}")
        if not _positive_int(self.num_samples):
            raise ValueError(f"[RandomSampler] num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _index_array(self):
        n, k, rng = len(self.data_source), self.num_samples, numpy_rng(self.generator)
        if self.replacement:
            return rng.integers(0, n, size=k, dtype=np.intp)
        if k == n:
            return rng.permutation(n)
        parts = [rng.permutation(n) for _ in range(k // n)]
        if k % n:
            parts.append(rng.permutation(n)[: k % n])
        return np.concatenate(parts)

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(IndexArraySampler):
    """The given indices, in a random order per epoch."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = check_generator(generator, "SubsetRandomSampler")

    def _permutation(self):
        return numpy_rng(self.generator).permutation(len(self.indices))

    def _index_array(self):
        indices = np.asarray(self.indices)
        if indices.dtype.kind not in "iu" or indices.ndim != 1:
            return None  # not plain ints: _iter_other yields the items themselves
        return indices[self._permutation()].astype(np.intp, copy=False)

    def _iter_other(self):
        for i in self._permutation().tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(IndexArraySampler):
    """``num_samples`` indices drawn with probability proportional to ``weights`` (which need not sum to 1)."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not _positive_int(num_samples):
            raise ValueError(f"[WeightedRandomSampler] num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"[WeightedRandomSampler] replacement should be a boolean value, but got "
                             f"replacement={replacement}")
        weights = np.asarray(getattr(weights, "data", weights), dtype=np.float64)
        if weights.ndim != 1:
            raise ValueError(f"[WeightedRandomSampler] weights should be a 1d sequence but given weights have shape "
                             f"{weights.shape}")
        self.weights = weights
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = check_generator(generator, "WeightedRandomSampler")

    def _check_distribution(self):
        # torch.multinomial's checks, raised when drawing (as torch does) and with its error type.
        w, op = self.weights, "[WeightedRandomSampler]"
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise RuntimeError(f"{op} invalid multinomial distribution (weights must be finite and >= 0), "
                               f"weights of shape {w.shape}")
        if w.sum() <= 0:
            raise RuntimeError(f"{op} invalid multinomial distribution (sum of weights <= 0), weights of shape "
                               f"{w.shape}")
        if not self.replacement and self.num_samples > w.size:
            raise RuntimeError(f"{op} cannot draw {self.num_samples} samples without replacement from {w.size} "
                               "weights")

    def _index_array(self):
        self._check_distribution()
        rng, w = numpy_rng(self.generator), self.weights
        if self.replacement:
            return rng.choice(w.size, size=self.num_samples, replace=True, p=w / w.sum()).astype(np.intp, copy=False)
        # Without replacement: the k smallest of E_i / w_i (E_i ~ Exp(1)) are distributed exactly as k sequential
        # weighted draws without replacement (Efraimidis-Spirakis keys). Zero weights come last, in a random order,
        # when more samples are asked for than there are non-zero weights (torch returns them too).
        nonzero, zero = np.flatnonzero(w > 0), np.flatnonzero(w == 0)
        keys = rng.standard_exponential(nonzero.size) / w[nonzero]
        order = np.concatenate([nonzero[np.argsort(keys, kind="stable")], rng.permutation(zero)])
        return order[: self.num_samples].astype(np.intp, copy=False)

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` (any iterable of indices) into lists of ``batch_size``; the last, shorter
    list is dropped with ``drop_last``."""

    def __init__(self, sampler, batch_size, drop_last):
        if not _positive_int(batch_size, allow_bool=False):
            raise ValueError(f"[BatchSampler] batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"[BatchSampler] drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def _array_batches(self):
        """The batches as slices (SequentialSampler) or index arrays (an IndexArraySampler's epoch), or None for
        other samplers: the same values ``__iter__`` yields, drawn with the same random calls."""
        s = self.sampler
        if type(s) is SequentialSampler:
            return self._cut(range(len(s)))
        if type(s).__iter__ is IndexArraySampler.__iter__:
            order = s._index_array()
            if order is not None:
                return self._cut(order)
        return None

    def _cut(self, order):
        """Batches of ``order``: slices of a range (as slice objects), views of an array."""
        n, bs = len(order), self.batch_size
        stop = n - n % bs if self.drop_last else n
        if isinstance(order, range):
            for start in range(0, stop, bs):
                yield slice(start, min(start + bs, n))
        else:
            for start in range(0, stop, bs):
                yield order[start:start + bs]

    def __iter__(self):
        fast = self._array_batches()
        if fast is not None:
            for batch in fast:
                yield list(range(batch.start, batch.stop)) if isinstance(batch, slice) else batch.tolist()
            return
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
