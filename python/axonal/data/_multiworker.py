"""The main process's side of DataLoader workers: start them, hand out index batches, put results back in order.

Each worker has its own index queue; the main process keeps ``prefetch_factor * num_workers`` tasks in flight,
round-robin over the workers, and yields results in the sampler's order (a result that arrives early waits in a
buffer). Worker processes answer through one pipe each (the main process waits on all pipes and on the processes'
sentinels at once, so a worker that dies is noticed at once); worker threads share one queue.
"""
import itertools
import multiprocessing.connection
import os
import queue
import threading
import weakref

from .worker import (
    STATUS_CHECK_INTERVAL,
    ExceptionWrapper,
    IterableFetcher,
    IterableStop,
    MapFetcher,
    ResumeIteration,
    worker_loop,
)


class WorkerGroup:
    """The workers of one iterator (or of a loader's whole life, with persistent_workers) and their channels."""

    def __init__(self, loader, base_seed):
        context = loader._worker_context()
        self.is_process = context is not None
        n = loader.num_workers
        self.done = context.Event() if self.is_process else threading.Event()
        self.index_queues, self.workers, self.readers = [], [], []
        self.results = None if self.is_process else queue.Queue()
        fetcher_class = IterableFetcher if loader._is_iterable else MapFetcher
        for worker_id in range(n):
            index_queue = context.Queue() if self.is_process else queue.Queue()
            if self.is_process:
                reader, writer = context.Pipe(duplex=False)
                channel = writer
            else:
                channel = self.results
            args = (self.is_process, fetcher_class, loader.dataset, index_queue, channel, self.done,
                    loader._auto_collation, loader.collate_fn, loader.drop_last, loader._fast_path_allowed(),
                    base_seed, loader.worker_init_fn, worker_id, n, os.getpid())
            if self.is_process:
                worker = context.Process(target=worker_loop, args=args, daemon=True,
                                         name=f"axonal-data-worker-{worker_id}")
            else:
                worker = threading.Thread(target=worker_loop, args=args, daemon=True,
                                          name=f"axonal-data-worker-{worker_id}")
            worker.start()
            if self.is_process:
                writer.close()  # the child holds the writing end now: EOF on the reader means the child is gone
                self.readers.append(reader)
            self.index_queues.append(index_queue)
            self.workers.append(worker)
        self._finalizer = weakref.finalize(self, _shutdown, self.is_process, self.done, self.index_queues,
                                           self.workers, self.readers)

    def get(self, timeout):
        """The next (task, data) any worker sends; RuntimeError if a worker died or ``timeout`` (> 0) passed."""
        wait = timeout if timeout > 0 else STATUS_CHECK_INTERVAL
        while True:
            if self.is_process:
                sentinels = {w.sentinel: w for w in self.workers}
                ready = multiprocessing.connection.wait(self.readers + list(sentinels), timeout=wait)
                for r in ready:
                    if r in sentinels:
                        continue
                    try:
                        return r.recv()
                    except EOFError:
                        pass  # its worker died: reported below, from its sentinel
                dead = [w for w in self.workers if not w.is_alive()] if ready else []
            else:
                try:
                    return self.results.get(timeout=wait)
                except queue.Empty:
                    ready = []
                dead = [w for w in self.workers if not w.is_alive()]
            if dead:
                self.shutdown()
                what = ", ".join(f"{w.name} (pid {w.pid}, exit code {w.exitcode})" if self.is_process else w.name
                                 for w in dead)
                raise RuntimeError(f"[DataLoader] worker {what} exited unexpectedly")
            if not ready and timeout > 0:
                self.shutdown()
                raise RuntimeError(f"[DataLoader] DataLoader timed out after {timeout} seconds")

    def shutdown(self):
        self._finalizer()


def _shutdown(is_process, done, index_queues, workers, readers):
    done.set()
    for r in readers:  # a worker blocked sending a batch nobody will read gets a broken pipe and exits
        r.close()
    for q in index_queues:
        q.put(None)
    for w in workers:
        w.join(timeout=STATUS_CHECK_INTERVAL * 2)
        if is_process and w.is_alive():
            w.terminate()
            w.join(timeout=STATUS_CHECK_INTERVAL)
    if is_process:
        for q in index_queues:
            q.cancel_join_thread()
            q.close()


class MultiWorkerIterator:
    """One epoch over a DataLoader with ``num_workers > 0``; with persistent workers, ``reset`` starts the next."""

    def __init__(self, loader):
        self._loader = loader
        self._num_workers = loader.num_workers
        self._timeout = loader.timeout
        self._prefetch = loader.prefetch_factor * loader.num_workers
        self._persistent = loader.persistent_workers
        self._epoch = 0
        self._group = WorkerGroup(loader, loader._draw_worker_seed())
        self._start_epoch()

    def _start_epoch(self):
        self._index_iter = self._loader._index_iter()
        self._send_idx = self._rcvd_idx = 0
        self._task_info = {}  # task -> [worker id] or [worker id, data] once it came back out of order
        self._outstanding = 0
        self._active = [True] * self._num_workers
        self._next_worker = itertools.cycle(range(self._num_workers))
        self._finished = False
        for _ in range(self._prefetch):
            self._try_put_index()

    def reset(self):
        """The next epoch on the same (persistent) workers."""
        self._epoch += 1
        resume = ResumeIteration(self._epoch)
        for q in self._group.index_queues:
            q.put(resume)
        acknowledged = 0
        while acknowledged < self._num_workers:  # results of an epoch broken off early arrive first: dropped
            task, _ = self._group.get(self._timeout)
            if isinstance(task, ResumeIteration) and task.epoch == self._epoch:
                acknowledged += 1
        self._start_epoch()

    def _try_put_index(self):
        if self._outstanding >= self._prefetch:
            return
        try:
            index = next(self._index_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker = next(self._next_worker)
            if self._active[worker]:
                break
        else:
            return  # every worker's stream is exhausted
        self._group.index_queues[worker].put((self._send_idx, index))
        self._task_info[self._send_idx] = [worker]
        self._outstanding += 1
        self._send_idx += 1

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._loader)

    def __next__(self):
        if self._finished:
            raise StopIteration
        while True:
            while self._rcvd_idx < self._send_idx:
                info = self._task_info[self._rcvd_idx]
                if len(info) == 2 or self._active[info[0]]:
                    break
                del self._task_info[self._rcvd_idx]  # sent to a worker whose stream ended: it will not answer
                self._rcvd_idx += 1
            else:
                self._finished = True
                if not self._persistent:
                    self._group.shutdown()
                raise StopIteration
            info = self._task_info[self._rcvd_idx]
            if len(info) == 2:
                del self._task_info[self._rcvd_idx]
                return self._deliver(info[1])
            task, data = self._group.get(self._timeout)
            if isinstance(task, ResumeIteration):
                continue
            self._outstanding -= 1
            if isinstance(data, IterableStop):
                self._active[data.worker_id] = False
                self._try_put_index()
                continue
            if task != self._rcvd_idx:
                self._task_info[task].append(data)
                continue
            del self._task_info[task]
            return self._deliver(data)

    def _deliver(self, data):
        self._rcvd_idx += 1
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()  # as torch: the next call goes on with the next batch
        return data

    def shutdown(self):
        self._group.shutdown()
