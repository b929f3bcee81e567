"""DataLoader: iterate over a dataset in batches, one pass per epoch (torch.utils.data.DataLoader's signature,
defaults, rules and error types).

What a batch is:

* ``batch_size=n`` (default 1) groups the sampler's indices by n (``drop_last`` drops a short last batch) and
  collates the samples with ``collate_fn`` (default ``default_collate``: see collate.py). A batch size of at
  least ``len(dataset)`` gives one batch holding every sample (full-batch gradient descent), 1 gives stochastic
  gradient descent, anything between mini-batches;
* ``batch_sampler=`` yields whole index lists instead; ``batch_size=None`` turns batching off: each sample goes
  through ``collate_fn`` (default ``default_convert``) on its own;
* which indices and in what order: ``sampler=`` (any iterable of indices), or ``shuffle=True`` (a
  ``RandomSampler``), else ``SequentialSampler``. An ``IterableDataset`` is read as a stream instead (no sampler).

Shuffling draws a new permutation every epoch. ``generator=`` (a seed, a ``numpy.random.Generator`` or an axonal
Generator) is drawn from as torch draws from its generator; ``seed=`` (axonal's) seeds the loader's own NumPy
generator; with neither, the seed is drawn once, at construction, from axonal's global generator, so
``ax.manual_seed(s)`` before building the loader makes its epochs repeatable.

A ``TensorDataset`` (or a Subset / ``random_split`` of one) with the default collate function is cut from the
whole arrays: a slice -- a view, no copy -- per batch in order, one fancy index per tensor when shuffling or
sampling; never sample by sample.

Workers (``num_workers > 0``) load batches in parallel while the main process trains:

* ``multiprocessing_context`` None (the platform's default start method: fork on Linux up to Python 3.13),
  ``"fork"``, ``"spawn"``, ``"forkserver"`` or a multiprocessing context gives worker processes; ``"thread"``
  (axonal's own) gives worker threads, which share the dataset without copying or pickling it and help when
  loading releases the GIL (NumPy copies, file reads, decompression).
* The OpenMP rule: every worker process sets axonal's kernels to one thread (``ax.set_num_threads(1)``) before it
  runs anything. That is what makes fork safe after the parent ran multi-threaded kernels: a forked child
  inherits OpenMP's bookkeeping but not its threads, and would hang in its first multi-threaded region. So inside
  a worker never raise the thread count again under fork; with spawn or forkserver a worker may, at the price of
  workers x threads oversubscribing the cores. Worker threads leave the thread count alone (it is process-wide).
* spawn and forkserver pickle the dataset, ``collate_fn`` and ``worker_init_fn`` into each worker (define them at
  module level) and re-import the main module (guard scripts with ``if __name__ == "__main__":``).
* Each worker is seeded with ``base_seed + worker_id`` (Python's ``random``, NumPy's legacy global generator
  and axonal's); ``get_worker_info()`` tells a worker who it is (shard an IterableDataset with it);
  ``worker_init_fn(worker_id)`` runs first in each worker. ``prefetch_factor`` batches per worker are kept in
  flight; ``persistent_workers=True`` keeps the workers across epochs; ``timeout`` bounds the wait for a batch.
  An exception in a worker is raised in the main process with the worker's traceback.
* Batches come back in the sampler's order, the same batches as with ``num_workers=0`` for the same seed.
* Workers pay off when producing a sample costs more than moving it: decoding, augmenting, reading files. A
  worker process sends each batch to the main process through a pipe (pickled), so for a TensorDataset already
  in memory -- where a batch is one copy out of the arrays -- ``num_workers=0`` (or worker threads) is faster.

``pin_memory`` (and ``pin_memory_device``) are accepted for torch's signature; CPU batches are already in host
memory, so they change nothing.
"""
from __future__ import annotations

import math
import multiprocessing
import numbers
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from ..random import Generator
from ..random import generator as global_generator
from ._multiworker import MultiWorkerIterator
from ._random import check_generator, draw_seed
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler
from .worker import IterableFetcher, MapFetcher

_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")
_THREAD = "thread"


class _StreamSampler(Sampler):
    """Stands in for the sampler of an IterableDataset (torch's _InfiniteConstantSampler)."""

    def __iter__(self):
        while True:
            yield None


class DataLoader:
    """Yields batches of ``dataset``, one pass per iteration (torch.utils.data.DataLoader's signature and rules).

    See the module docstring for what a batch is, shuffling and seeds, the TensorDataset fast path and workers.

    Args:
        dataset: a map-style Dataset (``__getitem__`` and ``__len__``) or an IterableDataset.
        batch_size: samples per batch; None turns batching off.
        shuffle: a new random order every epoch.
        sampler: the indices to load, in order (any iterable of indices).
        batch_sampler: yields whole lists of indices (instead of batch_size / shuffle / sampler / drop_last).
        num_workers: processes (or threads) loading batches in parallel; 0 loads in the main process.
        collate_fn: merges a list of samples into a batch (default: stack tensors and arrays).
        pin_memory: accepted for torch's signature.
        drop_last: drop the last batch when it is short.
        timeout: seconds to wait for a worker's batch (0: forever).
        worker_init_fn: called with the worker id in each worker.
        multiprocessing_context: "fork", "spawn", "forkserver", "thread" or a multiprocessing context.
        generator: the source of the shuffling (a seed, a numpy Generator or an axonal Generator).
        prefetch_factor: batches each worker loads ahead.
        persistent_workers: keep the workers between epochs.
        pin_memory_device: accepted for torch's signature.
        seed: seeds the loader's own generator (axonal's; repeatable epochs).
    """

    _initialized = False

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable[Any] | None = None, batch_sampler: Sampler | Iterable[Any] | None = None,
                 num_workers: int = 0, collate_fn: Callable[[list[Any]], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context: Any = None, generator: Generator | None = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False, pin_memory_device: str = "",
                 seed: int | None = None) -> None:
        if not hasattr(dataset, "__getitem__") and not hasattr(dataset, "__iter__"):
            raise TypeError(f"[DataLoader] dataset must define __getitem__ and __len__ (or __iter__), "
                            f"got {type(dataset).__name__}")
        if not isinstance(num_workers, numbers.Integral) or num_workers < 0:
            raise ValueError("[DataLoader] num_workers option should be non-negative; use num_workers=0 to disable "
                             f"multiprocessing (got {num_workers!r})")
        if timeout < 0:
            raise ValueError(f"[DataLoader] timeout option should be non-negative (got {timeout!r})")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("[DataLoader] prefetch_factor option could only be specified in multiprocessing. let "
                             "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError(f"[DataLoader] prefetch_factor option should be non-negative (got {prefetch_factor!r})")
        if num_workers > 0 and prefetch_factor == 0:  # torch asserts this later, when iterating
            raise ValueError("[DataLoader] prefetch_factor must be at least 1 with workers: with 0 no batch would "
                             "ever be requested")
        if persistent_workers and num_workers == 0:
            raise ValueError("[DataLoader] persistent_workers option needs num_workers > 0")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral)
                                       or batch_size < 1):
            raise ValueError(f"[DataLoader] batch_size should be a positive integer value (or None to turn batching "
                             f"off), but got batch_size={batch_size!r}")

        self._is_iterable = isinstance(dataset, IterableDataset)
        if self._is_iterable:
            if shuffle not in (False, None):
                raise ValueError(f"[DataLoader] DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"[DataLoader] DataLoader with IterableDataset: expected unspecified sampler option, "
                                 f"but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"[DataLoader] DataLoader with IterableDataset: expected unspecified batch_sampler "
                                 f"option, but got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("[DataLoader] sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("[DataLoader] batch_sampler option is mutually exclusive with batch_size, shuffle, "
                                 "sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("[DataLoader] batch_size=None option disables auto-batching and is mutually exclusive "
                             "with drop_last")
        if generator is not None and seed is not None:
            raise ValueError("[DataLoader] give generator= or seed=, not both")

        self.dataset = dataset
        self.num_workers = int(num_workers)
        self.prefetch_factor = prefetch_factor
        self.pin_memory = bool(pin_memory)
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.persistent_workers = bool(persistent_workers)
        self.multiprocessing_context = self._check_context(multiprocessing_context)
        self.generator = check_generator(generator, "DataLoader")
        if self.generator is None:
            # axonal's seed=: the loader's own NumPy generator, seeded at construction (from the global one when None)
            self.seed = int(global_generator().integers(0, 2**63 - 1)) if seed is None else int(seed)
            self._rng = np.random.default_rng(self.seed)
            self._worker_seeds = np.random.default_rng([self.seed, 1])  # its own stream: shuffles stay the same
        else:
            self.seed, self._rng, self._worker_seeds = None, self.generator, None
        self.shuffle = shuffle
        if sampler is None:
            if self._is_iterable:
                sampler = _StreamSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=self._rng)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, bool(drop_last))
        self.batch_size = batch_size
        self.drop_last = bool(drop_last)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self._iterator = None
        self._initialized = True

    def __setattr__(self, name, value):
        if self._initialized and name in _FROZEN:
            raise ValueError(f"[DataLoader] {name} attribute should not be set after DataLoader is initialized")
        super().__setattr__(name, value)

    def _check_context(self, context):
        if context is None:
            return None
        if self.num_workers == 0:
            raise ValueError("[DataLoader] multiprocessing_context can only be used with multi-process loading "
                             f"(num_workers > 0), but got num_workers={self.num_workers}")
        if isinstance(context, str):
            valid = multiprocessing.get_all_start_methods() + [_THREAD]
            if context not in valid:
                raise ValueError(f"[DataLoader] multiprocessing_context option should specify a valid start method "
                                 f"in {valid!r}, but got multiprocessing_context={context!r}")
            return context if context == _THREAD else multiprocessing.get_context(context)
        if not isinstance(context, multiprocessing.context.BaseContext):
            raise TypeError("[DataLoader] multiprocessing_context option should be a valid context object or a string "
                            f"specifying the start method, but got multiprocessing_context={context}")
        return context

    # ---- what the iterators ask -------------------------------------------------------------------------
    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _index_iter(self):
        """The epoch's indices (index batches when batching), as slices / index arrays when the batch sampler is
        ours over one of our samplers (the same values, without a Python list per batch)."""
        if self._is_iterable:
            while True:
                yield self.batch_size  # an iterable dataset's fetcher reads this many samples
        if type(self.batch_sampler) is BatchSampler:
            fast = self.batch_sampler._array_batches()
            if fast is not None:
                yield from fast
                return
        yield from self._index_sampler

    def _fast_path_allowed(self):
        return self._auto_collation and self.collate_fn is default_collate

    def _worker_context(self):
        """The multiprocessing context of the workers; None for worker threads."""
        context = self.multiprocessing_context
        if context == _THREAD:
            return None
        return multiprocessing.get_context() if context is None else context

    def _draw_worker_seed(self):
        return int(self._worker_seeds.integers(0, 2**63 - 1 - self.num_workers)) if self._worker_seeds is not None \
            else draw_seed(self.generator) % (2**63 - 1 - self.num_workers)

    # ---- iteration ----------------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Any]:
        if self.num_workers == 0:
            if self.generator is not None:
                draw_seed(self.generator)  # as torch, and as with workers: one draw per epoch, so orders agree
            return self._single_process_iter()
        if self.persistent_workers:
            if self._iterator is None:
                self._iterator = MultiWorkerIterator(self)
            else:
                self._iterator.reset()
            return self._iterator
        return MultiWorkerIterator(self)

    def _single_process_iter(self):
        fetcher_class = IterableFetcher if self._is_iterable else MapFetcher
        fetcher = fetcher_class(self.dataset, self._auto_collation, self.collate_fn, self.drop_last,
                                self._fast_path_allowed())
        for index in self._index_iter():
            try:
                batch = fetcher.fetch(index)
            except StopIteration:
                if self._is_iterable:
                    return
                raise
            yield batch

    def __len__(self) -> int:
        if self._is_iterable:
            n = len(self.dataset)  # TypeError when the stream has no length, as in torch
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
            return n
        return len(self._index_sampler)

    # ---- axonal's descriptions of the batching ---------------------------------------------------------------
    @property
    def effective_batch_size(self):
        """Samples per batch actually used: ``batch_size`` clamped to the dataset's length (None without a
        batch_size: batch_size=None or a batch_sampler)."""
        if self.batch_size is None:
            return None
        if self._is_iterable:
            return self.batch_size
        return min(self.batch_size, len(self.dataset)) or self.batch_size

    @property
    def mode(self):
        """'full-batch', 'stochastic' or 'mini-batch' gradient descent ('unbatched' with batch_size=None,
        'batch_sampler' with one)."""
        if self.batch_sampler is not None and self.batch_size is None:
            return "batch_sampler"
        if self.batch_size is None:
            return "unbatched"
        bs = self.effective_batch_size
        if not self._is_iterable and bs == len(self.dataset):
            return "full-batch"
        return "stochastic" if bs == 1 else "mini-batch"

    def __repr__(self):
        what = f"{type(self.dataset).__name__}"
        if not self._is_iterable:
            what += f" of {len(self.dataset)}"
        seed = f", seed={self.seed}" if self.seed is not None else ""
        workers = f", num_workers={self.num_workers}" if self.num_workers else ""
        return (f"DataLoader({what}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}{seed}{workers}, {self.mode})")


def collate(samples):
    """axonal's earlier name of ``default_collate``."""
    return default_collate(samples)
