"""DataLoader workers: processes (fork, spawn, forkserver) and threads load in parallel, give the batches of
num_workers=0, tell workers who they are, seed them, shard iterable datasets, carry exceptions back, notice dead
workers, and a fork after multi-threaded kernels does not hang (the OpenMP rule in loader.py's docstring).

Every loader here has a timeout, so that a broken worker fails the test instead of hanging the session. The
datasets live at module level: spawn and forkserver pickle them into the workers."""
import gc
import multiprocessing
import os
import random
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import axonal as ax
from axonal.data import DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info

CONTEXTS = [c for c in ("fork", "spawn", "forkserver") if c in multiprocessing.get_all_start_methods()] + ["thread"]
PROCESS_CONTEXTS = [c for c in CONTEXTS if c != "thread"]
WAIT = 60  # seconds: a loader's timeout in these tests


def loader(dataset, context, **kwargs):
    kwargs.setdefault("num_workers", 2)
    return DataLoader(dataset, multiprocessing_context=context, timeout=WAIT, **kwargs)


class Numbers(Dataset):
    """i -> (float32 row, int label), read one by one."""

    def __init__(self, n=37):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full(3, i, dtype=np.float32), i


class WhoAmI(Dataset):
    """Each sample tells which worker loaded it, and what that worker's generators drew."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return {"id": info.id, "num_workers": info.num_workers, "seed": info.seed, "pid": os.getpid(),
                "same_dataset": type(info.dataset) is WhoAmI, "init": INIT_MARKS.get(threading.get_ident(), -1),
                "np": int(np.random.randint(0, 2**31)), "py": random.random(), "ax": float(ax.rand(1).item())}


INIT_MARKS = {}


def mark_init(worker_id):
    INIT_MARKS[threading.get_ident()] = 100 + worker_id


class Rendezvous(Dataset):
    """Samples 0 and 1 (the first task of each of two workers) each wait for the other: only workers that run at the
    same time get past the barrier (a worker alone times out with BrokenBarrierError)."""

    def __init__(self, barrier):
        self.barrier = barrier

    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i < 2:
            self.barrier.wait(timeout=30)
        return i


class ShardedStream(IterableDataset):
    """range(n), each worker taking every num_workers-th sample from its id (torch's documented sharding)."""

    def __init__(self, n, shard=True):
        self.n, self.shard = n, shard

    def __iter__(self):
        info = get_worker_info()
        if info is None or not self.shard:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


class Faulty(Dataset):
    def __init__(self, kind):
        self.kind = kind

    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 3:
            if self.kind == "value":
                raise ValueError("sample 3 is bad")
            if self.kind == "key":
                raise KeyError("missing")
            if self.kind == "custom":
                raise TwoArgError("a", "b")
            if self.kind == "exit":
                os._exit(3)
            if self.kind == "sleep":
                time.sleep(1.5)
        return i


class TwoArgError(Exception):
    def __init__(self, a, b):
        super().__init__(a, b)


class Pids(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        return os.getpid()


def epochs_of(dl, n=2):
    return [[(b[0].tolist(), b[1].tolist()) for b in dl] for _ in range(n)]


# ---- the same batches as num_workers=0 -------------------------------------------------------------------

@pytest.mark.parametrize("context", CONTEXTS)
def test_workers_give_the_batches_of_one_process(context):
    ds = Numbers()
    expected = epochs_of(DataLoader(ds, batch_size=5, shuffle=True, seed=3), 3)
    persistent = loader(ds, context, batch_size=5, shuffle=True, seed=3, persistent_workers=True)
    assert epochs_of(persistent, 3) == expected  # the same workers, three epochs
    assert len(persistent) == len(iter(persistent)) == 8
    x = np.arange(40, dtype=np.float32).reshape(20, 2)
    tensors = TensorDataset(x, np.arange(20))
    expected = [[b[1].tolist() for b in DataLoader(tensors, batch_size=6, shuffle=True, seed=1, drop_last=True)]]
    got = [[b[1].tolist() for b in loader(tensors, context, batch_size=6, shuffle=True, seed=1, drop_last=True,
                                            prefetch_factor=1)]]
    assert got == expected


def test_a_generator_gives_the_same_orders_with_and_without_workers():
    ds = Numbers(20)
    one = DataLoader(ds, batch_size=4, shuffle=True, generator=np.random.default_rng(8))
    two = loader(ds, "thread", batch_size=4, shuffle=True, generator=np.random.default_rng(8))
    assert epochs_of(one, 2) == epochs_of(two, 2)


def test_prefetch_factor_zero_is_refused():
    with pytest.raises(ValueError, match=r"\[DataLoader\] prefetch_factor must be at least 1"):
        DataLoader(Numbers(3), num_workers=1, prefetch_factor=0)


def test_unbatched_and_batch_sampler_with_workers():
    ds = Numbers(9)
    unbatched = [b[1] for b in loader(ds, "thread", batch_size=None)]
    assert unbatched == list(range(9))
    custom = loader(ds, "fork" if "fork" in CONTEXTS else "thread", batch_sampler=[[8, 0], [4], [1, 2, 3]])
    assert [b[1].tolist() for b in custom] == [[8, 0], [4], [1, 2, 3]]


# ---- workers really run at the same time -----------------------------------------------------------------

@pytest.mark.parametrize("context", CONTEXTS)
def test_two_workers_run_concurrently(context):
    barrier = threading.Barrier(2) if context == "thread" else multiprocessing.get_context(context).Barrier(2)
    assert sorted(b.item() for b in loader(Rendezvous(barrier), context, batch_size=1)) == list(range(6))


# ---- worker info, init function, seeds --------------------------------------------------------------------

@pytest.mark.parametrize("context", ["fork" if "fork" in CONTEXTS else "spawn", "thread"])
def test_worker_info_init_fn_and_seeds(context):
    assert get_worker_info() is None
    INIT_MARKS.clear()
    samples = [s for batch in loader(WhoAmI(), context, batch_size=1, worker_init_fn=mark_init, seed=11,
                                     collate_fn=lambda b: b) for s in batch]
    ids = [s["id"] for s in samples]
    assert ids == [0, 1] * 4  # tasks go round-robin
    assert all(s["num_workers"] == 2 and s["same_dataset"] for s in samples)
    assert all(s["init"] == 100 + s["id"] for s in samples)
    base = samples[0]["seed"]
    assert all(s["seed"] == base + s["id"] for s in samples)
    if context == "thread":
        assert all(s["pid"] == os.getpid() for s in samples)
        return
    assert all(s["pid"] != os.getpid() for s in samples) and len({s["pid"] for s in samples}) == 2
    for key in ("np", "py", "ax"):  # each worker's generators are seeded apart
        assert samples[0][key] != samples[1][key]
    again = [s for batch in loader(WhoAmI(), context, batch_size=1, seed=11, collate_fn=lambda b: b) for s in batch]
    assert [(s["seed"], s["np"], s["py"], s["ax"]) for s in again] == \
        [(s["seed"], s["np"], s["py"], s["ax"]) for s in samples]  # the loader's seed fixes the workers' seeds


def test_worker_info_is_read_only():
    info = ax.data.WorkerInfo(0, 2, 5, None)
    with pytest.raises(RuntimeError, match=r"\[WorkerInfo\] cannot assign"):
        info.id = 3


# ---- iterable datasets --------------------------------------------------------------------------------

@pytest.mark.parametrize("context", CONTEXTS)
def test_sharded_iterable_dataset_yields_every_sample_once(context):
    got = [b.tolist() for b in loader(ShardedStream(11), context, batch_size=2)]
    assert sorted(v for b in got for v in b) == list(range(11))
    # worker 0 has 0, 2, 4, 6, 8, 10 and worker 1 has 1, 3, 5, 7, 9; batches alternate until one runs out
    assert got == [[0, 2], [1, 3], [4, 6], [5, 7], [8, 10], [9]]


def test_iterable_dataset_batches_match_torch_workers():
    tud = pytest.importorskip("torch.utils.data")

    class TorchSharded(tud.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            info = tud.get_worker_info()
            return iter(range(info.id, self.n, info.num_workers))

    for kwargs in ({"batch_size": 2}, {"batch_size": 3, "drop_last": True}, {"batch_size": None}):
        ours = [np.asarray(b).tolist() for b in loader(ShardedStream(11), "thread", **kwargs)]
        theirs = [np.asarray(b).tolist() for b in tud.DataLoader(TorchSharded(11), num_workers=2, timeout=WAIT,
                                                                   multiprocessing_context="fork", **kwargs)]
        assert ours == theirs, kwargs


def test_unsharded_iterable_dataset_is_repeated_per_worker():
    got = sorted(v for b in loader(ShardedStream(5, shard=False), "thread", batch_size=2) for v in b.tolist())
    assert got == sorted(list(range(5)) * 2)  # as in torch: every worker yields the whole stream


def test_persistent_workers_restart_an_iterable_stream():
    dl = loader(ShardedStream(7), "thread", batch_size=2, persistent_workers=True)
    first = [b.tolist() for b in dl]
    assert [b.tolist() for b in dl] == first and sorted(sum(first, [])) == list(range(7))


# ---- errors in workers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("context", ["fork" if "fork" in CONTEXTS else "spawn", "thread"])
def test_worker_exceptions_are_raised_in_the_main_process(context):
    what = "process" if context != "thread" else "thread"
    it = iter(loader(Faulty("value"), context, batch_size=1))
    assert [next(it).item() for _ in range(3)] == [0, 1, 2]
    with pytest.raises(ValueError, match=rf"Caught ValueError in DataLoader worker {what} 1\.\n"
                                         r"Original Traceback[\s\S]*sample 3 is bad"):
        next(it)
    assert next(it).item() == 4  # as torch: the loader goes on after a failed batch
    with pytest.raises(KeyError, match="missing"):
        list(loader(Faulty("key"), context, batch_size=1))
    with pytest.raises(RuntimeError, match=r"Caught TwoArgError"):
        list(loader(Faulty("custom"), context, batch_size=1))


@pytest.mark.skipif("fork" not in CONTEXTS, reason="needs the fork start method")
def test_a_dead_worker_is_reported():
    with pytest.raises(RuntimeError, match=r"\[DataLoader\] worker .*exit code 3\) exited unexpectedly"):
        list(DataLoader(Faulty("exit"), batch_size=1, num_workers=2, multiprocessing_context="fork"))


@pytest.mark.parametrize("context", ["fork" if "fork" in CONTEXTS else "spawn", "thread"])
def test_timeout(context):
    with pytest.raises(RuntimeError, match=r"\[DataLoader\] DataLoader timed out after 0.5 seconds"):
        list(DataLoader(Faulty("sleep"), batch_size=1, num_workers=2, multiprocessing_context=context, timeout=0.5))


def unpicklable(samples):
    return lambda: samples


@pytest.mark.skipif("fork" not in CONTEXTS, reason="needs the fork start method")
def test_a_batch_that_cannot_be_pickled_comes_back_as_an_error():
    with pytest.raises(Exception, match=r"sending the batch to the main process"):
        list(loader(Numbers(4), "fork", batch_size=2, collate_fn=unpicklable))


# ---- prefetching, persistence, shutdown ------------------------------------------------------------------

class Recorded(Dataset):
    def __init__(self):
        self.calls = []

    def __len__(self):
        return 40

    def __getitem__(self, i):
        self.calls.append(i)
        return i


def test_prefetch_keeps_at_most_prefetch_factor_batches_per_worker_in_flight():
    ds = Recorded()
    it = iter(loader(ds, "thread", batch_size=1, prefetch_factor=3))
    assert next(it).item() == 0
    time.sleep(0.3)  # let the workers run ahead as far as they may
    assert len(ds.calls) <= 3 * 2 + 1  # the delivered batch freed one slot
    assert [b.item() for b in it] == list(range(1, 40))


@pytest.mark.skipif("fork" not in CONTEXTS, reason="needs the fork start method")
def test_persistent_workers_keep_their_processes_and_others_exit():
    persistent = loader(Pids(), "fork", batch_size=1, persistent_workers=True)
    first = {b.item() for b in persistent}
    it = iter(persistent)
    next(it)  # an epoch broken off early: its late results must not leak into the next one
    second = [b.item() for b in persistent]
    assert len(second) == 8 and set(second) == first and len(first) == 2 and os.getpid() not in first
    workers = persistent._iterator._group.workers
    del persistent, it
    gc.collect()
    assert all(not w.is_alive() for w in workers)  # the loader is gone: so are its workers
    plain = loader(Pids(), "fork", batch_size=1)
    it = iter(plain)
    pids = {b.item() for b in it}
    assert all(not w.is_alive() for w in it._group.workers)  # the epoch ended: workers shut down
    assert pids.isdisjoint({b.item() for b in plain})  # new workers for the next epoch


# ---- fork after OpenMP ran, spawn ---------------------------------------------------------------------------

FORK_AFTER_OPENMP = textwrap.dedent("""
    import sys
    import numpy as np
    import axonal as ax
    from axonal.data import DataLoader, Dataset


    class MatmulDataset(Dataset):
        # every sample runs a GEMM large enough to be split over threads when a worker has more than one
        def __len__(self):
            return 4

        def __getitem__(self, i):
            a = ax.ones(512, 512)
            return float((a @ a).sum().item())


    if __name__ == "__main__":
        ax.set_num_threads(2)
        a = ax.randn(512, 512)
        (a @ a).sum()  # the parent has run a multi-threaded OpenMP region: its thread team exists now
        loader = DataLoader(MatmulDataset(), batch_size=1, num_workers=2, multiprocessing_context=sys.argv[1],
                            timeout=30)
        values = [b.item() for b in loader]
        assert values == [512.0 ** 3] * 4, values
        assert ax.get_num_threads() == 2  # the workers' single thread is theirs alone
        print("ok", sys.argv[1])
""")


@pytest.mark.parametrize("context", [c for c in ("fork", "spawn") if c in CONTEXTS])
def test_workers_after_multithreaded_kernels_do_not_hang(context, tmp_path):
    script = tmp_path / "fork_after_openmp.py"
    script.write_text(FORK_AFTER_OPENMP)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    result = subprocess.run([sys.executable, str(script), context], capture_output=True, text=True, timeout=180,
                            env=env)
    assert result.returncode == 0 and f"ok {context}" in result.stdout, result.stderr[-3000:]


class _ModuleLevelError(Exception):
    pass


def test_worker_exception_keeps_a_type_the_main_process_can_find():
    """A type the main process can look up by module and name keeps its type; one defined inside a function
    (which cannot cross the pipe) is carried as a RuntimeError."""
    from axonal.data.worker import ExceptionWrapper

    class LocalError(Exception):
        pass

    kept = {}
    for cls in (ValueError, _ModuleLevelError, LocalError):
        try:
            raise cls("boom")
        except cls:
            kept[cls] = ExceptionWrapper("in worker 0").exc_type
    assert kept == {ValueError: ValueError, _ModuleLevelError: _ModuleLevelError, LocalError: RuntimeError}
