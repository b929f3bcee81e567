"""What runs inside a DataLoader worker: the fetchers, the worker loop, get_worker_info, and exceptions carried
back to the main process.

The same loop serves worker processes (fork / spawn / forkserver) and worker threads; see loader.py's
docstring for the OpenMP rule that makes forked workers safe.
"""
import os
import queue
import random
import sys
import threading
import traceback

import numpy as np

from ..tensor import Tensor
from .dataset import Subset, TensorDataset

# How often a waiting worker checks that its parent is still alive, and a waiting main process that its workers
# are (torch uses 5 s; a shorter wait only costs an occasional wake-up).
STATUS_CHECK_INTERVAL = 1.0


class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker: ``id``, ``num_workers``, ``seed`` and ``dataset`` (the
    worker process's copy; for worker threads the loader's dataset itself). Read-only, as torch's."""

    __slots__ = ("id", "num_workers", "seed", "dataset")

    def __init__(self, id, num_workers, seed, dataset):  # noqa: A002 - torch's field name
        for name, value in (("id", id), ("num_workers", num_workers), ("seed", seed), ("dataset", dataset)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise RuntimeError(f"[WorkerInfo] cannot assign attribute {name!r}: WorkerInfo is read-only")

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


_process_info = None               # set once in a worker process
_thread_info = threading.local()   # set per worker thread


def get_worker_info():
    """The current worker's WorkerInfo inside a DataLoader worker (process or thread); None in the main process."""
    info = getattr(_thread_info, "info", None)
    return info if info is not None else _process_info


def _importable(cls):
    """True when ``cls`` can be found again by its module and qualified name (how a class crosses a pipe)."""
    owner = sys.modules.get(getattr(cls, "__module__", ""), None)
    for part in getattr(cls, "__qualname__", "<locals>").split("."):
        owner = getattr(owner, part, None)
    return owner is cls


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process and raised there with the worker's traceback
    in its message and the original type (RuntimeError when that type cannot be rebuilt from one message)."""

    def __init__(self, where):
        exc_type, exc, _ = sys.exc_info()
        self.exc_type = exc_type
        self.message = "".join(traceback.format_exception(exc_type, exc, exc.__traceback__))
        self.where = where
        if not _importable(exc_type):  # a type defined where the main process cannot import it
            self.exc_type = RuntimeError

    def reraise(self):
        message = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.message}"
        if self.exc_type is KeyError:
            raise KeyError(_KeyErrorMessage(message))
        try:
            exception = self.exc_type(message)
        except Exception:
            raise RuntimeError(message) from None
        raise exception


class _KeyErrorMessage(str):
    """KeyError's str() is the repr of its argument; this keeps the multi-line traceback readable."""

    def __repr__(self):
        return self


class IterableStop:
    """A worker's reply once its copy of an IterableDataset is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class ResumeIteration:
    """Sent to persistent workers at the start of each epoch after the first; echoed back as the acknowledgement."""

    def __init__(self, epoch):
        self.epoch = epoch


# ---- fetchers: one batch (or sample) from an index ----------------------------------------------------

def _tensor_arrays(dataset):
    """(arrays, index map) when ``dataset`` is a TensorDataset or Subsets of one, else None.

    The index map (None, or an int array) turns the loader's indices into rows of the arrays."""
    base = None
    while type(dataset) is Subset:
        indices = np.asarray(dataset.indices)
        if indices.dtype.kind not in "iu" or indices.ndim != 1:
            return None
        base = indices if base is None else indices[base]
        dataset = dataset.dataset
    if not isinstance(dataset, TensorDataset) or type(dataset).__getitem__ is not TensorDataset.__getitem__:
        return None
    return dataset.arrays, (None if base is None else base.astype(np.intp, copy=False))


class MapFetcher:
    """Samples of a map-style dataset, collated.

    With the default collate function and a TensorDataset (possibly under Subsets), a batch is cut from the whole
    arrays: a slice (a view, no copy) or one fancy index per tensor, never sample by sample."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last, fast):
        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn
        self.getitems = getattr(dataset, "__getitems__", None) if auto_collation else None
        arrays = _tensor_arrays(dataset) if fast else None
        if arrays is not None:
            self.fetch = self._array_fetch(*arrays)  # per batch: one index per array, and nothing else

    @staticmethod
    def _array_fetch(arrays, base):
        make = Tensor._make

        def fetch(index):
            if type(index) is list:
                index = np.asarray(index, dtype=np.intp)
            if base is not None:
                index = base[index]
            return [make(a[index]) for a in arrays]

        return fetch

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if isinstance(index, slice):
            index = range(index.start, index.stop)
        elif isinstance(index, np.ndarray):
            index = index.tolist()
        if callable(self.getitems):
            return self.collate_fn(self.getitems(list(index)))
        return self.collate_fn([self.dataset[i] for i in index])


class IterableFetcher:
    """The next ``batch_size`` samples of an iterable dataset's stream (the next one when not batching).

    Raises StopIteration once the stream is exhausted (or, with drop_last, cannot fill a batch)."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last, fast=False):
        self.iterator = iter(dataset)
        self.auto_collation, self.collate_fn, self.drop_last = auto_collation, collate_fn, drop_last
        self.ended = False

    def fetch(self, batch_size):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.iterator))
        samples = []
        for _ in range(batch_size):
            try:
                samples.append(next(self.iterator))
            except StopIteration:
                self.ended = True
                break
        if not samples or (self.drop_last and len(samples) < batch_size):
            raise StopIteration
        return self.collate_fn(samples)


# ---- the worker loop ----------------------------------------------------------------------------------

def numpy_seed(seed):
    """NumPy's legacy global seed for a worker (must fit 32 bits)."""
    return [seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF]


def seed_worker(seed):
    """Seeds every generator a worker's dataset may draw from: Python's, NumPy's legacy global, axonal's."""
    from ..random import manual_seed

    random.seed(seed)
    np.random.seed(numpy_seed(seed))
    manual_seed(seed)


def worker_loop(is_process, fetcher_class, dataset, index_queue, results, done_event, auto_collation, collate_fn,
                drop_last, fast, base_seed, init_fn, worker_id, num_workers, parent_pid):
    """Serves (task id, index) requests from ``index_queue`` until it receives None, answering each with
    (task id, batch) on ``results``: the sending end of a pipe for a process (its send pickles here, so a batch
    that cannot be pickled comes back as an error instead of being lost), a queue for a thread."""
    global _process_info
    reply = results.send if is_process else results.put
    if is_process:
        # First, before anything can run a kernel: one OpenMP thread per worker. A forked child inherits the
        # parent's OpenMP state but not its threads, and its first multi-threaded region would wait for them
        # forever; with one thread axonal never opens a region. (It also keeps N workers from oversubscribing.)
        from ..threads import set_num_threads

        set_num_threads(1)
    seed = base_seed + worker_id
    info = WorkerInfo(worker_id, num_workers, seed, dataset)
    if is_process:
        _process_info = info
        seed_worker(seed)
    else:
        _thread_info.info = info  # threads share the process's generators: seeding them would reseed the main's
    where = f"in DataLoader worker {'process' if is_process else 'thread'} {worker_id}"

    def make_fetcher():
        return fetcher_class(dataset, auto_collation, collate_fn, drop_last, fast)

    pending_error, fetcher = None, None
    try:
        if init_fn is not None:
            init_fn(worker_id)
        fetcher = make_fetcher()
    except Exception:
        pending_error = ExceptionWrapper(where)
    exhausted = False
    try:
        while True:
            try:
                request = index_queue.get(timeout=STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if done_event.is_set() or (is_process and os.getppid() != parent_pid):
                    return  # shut down, or the main process died and nobody reads our replies
                continue
            if request is None:
                return
            if isinstance(request, ResumeIteration):  # a new epoch of persistent workers
                exhausted = False
                if pending_error is None and fetcher_class is IterableFetcher:
                    try:
                        fetcher = make_fetcher()
                    except Exception:
                        pending_error = ExceptionWrapper(where)
                reply((request, None))
                continue
            if done_event.is_set() or exhausted:
                continue  # tasks sent to an exhausted iterable worker get no answer; the main process skips them
            task, index = request
            if pending_error is not None:
                data, pending_error = pending_error, None
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    if fetcher_class is IterableFetcher:
                        data, exhausted = IterableStop(worker_id), True
                    else:
                        data = ExceptionWrapper(where)
                except Exception:
                    data = ExceptionWrapper(where)
            try:
                reply((task, data))
            except (BrokenPipeError, EOFError, OSError):
                return  # the main process closed our pipe: it is shutting down
            except Exception:  # the batch could not be pickled
                reply((task, ExceptionWrapper(where + " (sending the batch to the main process)")))
            del data  # do not hold a batch while waiting for the next request
    except KeyboardInterrupt:
        pass
    finally:
        if not is_process:
            _thread_info.info = None
