"""One rank of a distributed test: ``mpiexec -n 2 python distributed_worker.py SCENARIO [FOLDER]``.

tests/test_distributed.py launches it; every scenario asserts on each rank and ends by printing
``rank R: SCENARIO ok``. A failed assertion is an uncaught exception, which makes axonal.distributed abort the
whole job (so a broken check ends the test instead of hanging it). The reference for every data-parallel
result is the same training run by this process alone on the global batch.
"""
import contextlib
import io
import os
import sys
import warnings

import numpy as np

import axonal as ax
import axonal.distributed as dist
import axonal.nn.functional as F
from axonal import nn, optim
from axonal.data import DataLoader, DistributedSampler, TensorDataset
from axonal.nn.parallel import DistributedDataParallel as DDP

TOL = 1e-5  # the bound for "the same parameters": float32 sums in another order, a few steps apart


def small_cnn(with_bn=False):
    """A conv and a linear layer (the issue's minimum), for 1 x 8 x 8 inputs, 5 classes."""
    layers = [nn.Conv2d(1, 3, 3, padding=1)]
    if with_bn:
        layers.append(nn.BatchNorm2d(3))
    layers += [nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3 * 4 * 4, 5)]
    return nn.Sequential(*layers)


def batches(steps, global_batch, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        yield (rng.standard_normal((global_batch, 1, 8, 8)).astype(np.float32),
               rng.integers(0, 5, global_batch).astype(np.int64))


def my_share(array, rank, world):
    per = array.shape[0] // world
    return array[rank * per:(rank + 1) * per]


def gathered(value):
    out = [None] * dist.get_world_size()
    dist.all_gather_object(out, value)
    return out


def max_diff(params_a, params_b):
    return max(float(np.abs(a.data - b.data).max()) for a, b in zip(params_a, params_b))


def assert_close(a, b, what):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, f"{what}: shapes {a.shape} and {b.shape}"
    err = float(np.abs(a - b).max()) if a.size else 0.0
    assert np.allclose(a, b, rtol=TOL, atol=TOL), f"{what}: max difference {err}"


def expect_error(kind, fn, *needles):
    try:
        fn()
    except kind as e:
        for needle in needles:
            assert needle in str(e), f"{needle!r} is not in the message: {e}"
        return str(e)
    raise AssertionError(f"{fn} did not raise {kind.__name__}")


# ---- scenarios -----------------------------------------------------------------------------------------------
def scenario_collectives(folder):
    dist.init_process_group("mpi")
    dist.init_process_group("mpi")  # a second call is harmless
    assert dist.is_initialized() and dist.get_backend() == "mpi"
    r, n = dist.get_rank(), dist.get_world_size()
    assert n == 2 and dist.get_local_world_size() == 2 and dist.get_local_rank() == r

    for dtype in (np.float32, np.float64, np.int64):
        base = np.arange(6, dtype=dtype).reshape(2, 3) + 10 * r
        expected = {"sum": base - 10 * r + base - 10 * r + 10, "max": base - 10 * r + 10, "min": base - 10 * r}
        ops = ["sum", "max", "min"] + (["avg"] if dtype != np.int64 else [])
        for op in ops:
            t = ax.from_numpy(base.copy())
            dist.all_reduce(t, op=op)
            want = expected.get(op, (base - 10 * r) + 5)
            assert t.dtype == dtype and np.array_equal(t.numpy(), want.astype(dtype)), (dtype, op, t.numpy())
    # A non-contiguous tensor (a transposed view) is reduced in place through a copy.
    holder = ax.from_numpy(np.arange(6, dtype=np.float32).reshape(2, 3) * (r + 1))
    view = holder.T
    dist.all_reduce(view, op=dist.ReduceOp.SUM)
    assert np.array_equal(holder.numpy(), np.arange(6, dtype=np.float32).reshape(2, 3) * 3)

    t = ax.full((4,), float(r + 7))
    dist.broadcast(t, src=1)
    assert np.array_equal(t.numpy(), np.full(4, 8.0, np.float32))
    outs = [ax.zeros(2, 2, dtype=ax.int64) for _ in range(n)]
    dist.all_gather(outs, ax.full((2, 2), r * 3, dtype=ax.int64))
    assert [int(o.numpy()[0, 0]) for o in outs] == [0, 3]
    objs = [None, None]
    dist.all_gather_object(objs, {"rank": r, "name": f"r{r}"})
    assert objs == [{"rank": 0, "name": "r0"}, {"rank": 1, "name": "r1"}]
    lst = ["from rank 0", 42] if r == 0 else [None, None]
    dist.broadcast_object_list(lst, src=0)
    assert lst == ["from rank 0", 42]
    dist.barrier()

    # Mismatched calls fail on every rank with a message naming both, and the group keeps working.
    expect_error(RuntimeError, lambda: dist.all_reduce(ax.ones(3 + r)), "rank 0: all_reduce float32 (3,)",
                 "rank 1: all_reduce float32 (4,)")
    expect_error(RuntimeError, lambda: dist.all_reduce(ax.ones(3)) if r == 0 else dist.broadcast(ax.ones(3)),
                 "rank 0: all_reduce", "rank 1: broadcast")
    expect_error(ValueError, lambda: dist.all_reduce(ax.ones(2), op="median" if r == 1 else "sum"),
                 "rank 1: op must be one of")
    expect_error(ValueError, lambda: dist.all_reduce(ax.ones(2, dtype=ax.int64), op=dist.ReduceOp.AVG),
                 "ReduceOp.AVG needs a floating point tensor")
    expect_error(ValueError, lambda: dist.all_gather([ax.zeros(2)] * (1 + r), ax.zeros(2)),
                 "rank 0: tensor_list must be a list of 2 tensors")
    expect_error(ValueError, lambda: dist.broadcast(ax.zeros(2), src=5), "src must be a rank in [0, 2)")
    t = ax.ones(2)
    dist.all_reduce(t)
    assert np.array_equal(t.numpy(), [2.0, 2.0])

    if ax.cuda.is_available():  # the emulated device in CI: device arrays go through host buffers
        d = ax.full((3,), float(r + 1), device="cuda")
        dist.all_reduce(d, op=dist.ReduceOp.MAX)
        assert str(d.device).startswith("cuda") and np.array_equal(d.cpu().numpy(), [2.0, 2.0, 2.0])
        outs = [ax.zeros(3, device="cuda") for _ in range(n)]
        dist.all_gather(outs, d * (r + 1))
        assert [float(o.cpu().numpy()[0]) for o in outs] == [2.0, 4.0]

    cores = len(os.sched_getaffinity(0))
    if "OMP_NUM_THREADS" not in os.environ:
        assert ax.get_num_threads() == max(1, cores // 2), (ax.get_num_threads(), cores)
    dist.destroy_process_group()
    assert not dist.is_initialized()
    expect_error(RuntimeError, dist.get_rank, "init_process_group")
    dist.init_process_group("mpi")
    assert dist.get_rank() == r


def train_pair(optimizer_fn, bucket_cap_mb, steps=4, global_batch=8):
    """(ddp, reference model, the bucket layout): `steps` steps of DDP over the ranks' shares of each global batch,
    and of the reference on the whole batch; also checks after each backward that the gradients are averaged."""
    r, n = dist.get_rank(), dist.get_world_size()
    ax.manual_seed(100 + r)  # different initial weights on every rank: DDP must broadcast rank 0's
    model = small_cnn()
    ddp = DDP(model, bucket_cap_mb=bucket_cap_mb)
    first = gathered([p.numpy().copy() for p in model.parameters()])
    assert all(np.array_equal(a, b) for a, b in zip(first[0], first[1])), "construction did not broadcast"
    reference = small_cnn()
    reference.load_state_dict(model.state_dict())
    opt, ref_opt = optimizer_fn(ddp.parameters()), optimizer_fn(reference.parameters())
    for x, y in batches(steps, global_batch):
        opt.zero_grad()
        F.cross_entropy(ddp(ax.from_numpy(my_share(x, r, n))), ax.from_numpy(my_share(y, r, n))).backward()
        ref_opt.zero_grad()
        F.cross_entropy(reference(ax.from_numpy(x)), ax.from_numpy(y)).backward()
        for (name, p), q in zip(model.named_parameters(), reference.parameters()):
            assert_close(p.grad.numpy(), q.grad.numpy(), f"gradient of {name} right after backward")
        opt.step()
        ref_opt.step()
    return ddp, reference


def scenario_ddp_equivalence(folder):
    dist.init_process_group("mpi")
    optimizers = {
        "SGD momentum": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
        "Adam": lambda ps: optim.Adam(ps, lr=1e-2),
    }
    sizes = {}
    for cap_name, cap in (("smaller than any tensor", 1e-6), ("a few tensors", 0.0006), ("larger than all", 1000)):
        for opt_name, opt_fn in optimizers.items():
            ddp, reference = train_pair(opt_fn, cap)
            err = max_diff(ddp.module.parameters(), reference.parameters())
            assert err <= TOL, f"{opt_name}, buckets {cap_name}: parameters differ by {err} from one process"
            finals = gathered([p.numpy() for p in ddp.module.parameters()])
            assert all(np.array_equal(a, b) for a, b in zip(*finals)), "the ranks' parameters diverged"
        sizes[cap_name] = [len(b) for b in ddp.bucket_members]
    # Every optimizer steps on the averaged gradients (one bucket layout, fewer steps).
    for opt_fn in (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
                   lambda ps: optim.ASGD(ps, lr=0.05), lambda ps: optim.Adagrad(ps, lr=0.05),
                   lambda ps: optim.RMSprop(ps, lr=1e-2, momentum=0.5), lambda ps: optim.AdamW(ps, lr=1e-2)):
        ddp, reference = train_pair(opt_fn, 0.0006, steps=2)
        err = max_diff(ddp.module.parameters(), reference.parameters())
        assert err <= TOL, f"{type(opt_fn([ax.zeros(1, requires_grad=True)])).__name__}: differs by {err}"
    assert sizes["smaller than any tensor"] == [1, 1, 1, 1], sizes
    assert sizes["larger than all"] == [4], sizes
    assert 1 < len(sizes["a few tensors"]) < 4, sizes
    # Buckets run from the last layer to the first: the order backward finishes gradients.
    assert ddp.bucket_members[0][0] == "4.bias", ddp.bucket_members


def scenario_no_sync(folder):
    dist.init_process_group("mpi")
    r, n = dist.get_rank(), dist.get_world_size()
    ax.manual_seed(0)
    model = small_cnn()
    ddp = DDP(model)
    reference = small_cnn()
    reference.load_state_dict(model.state_dict())
    opt, ref_opt = optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9), optim.SGD(reference.parameters(), lr=0.1,
                                                                                 momentum=0.9)
    micro = 3
    for x, y in batches(3, global_batch=2 * n * micro, seed=1):
        xs, ys = my_share(x, r, n), my_share(y, r, n)
        parts = np.array_split(np.arange(xs.shape[0]), micro)
        opt.zero_grad()
        with ddp.no_sync():
            for idx in parts[:-1]:
                (F.cross_entropy(ddp(ax.from_numpy(xs[idx])), ax.from_numpy(ys[idx])) / micro).backward()
        local = gathered(model[0].weight.grad.numpy().copy())
        assert not np.allclose(local[0], local[1]), "no_sync() averaged the gradients anyway"
        idx = parts[-1]
        (F.cross_entropy(ddp(ax.from_numpy(xs[idx])), ax.from_numpy(ys[idx])) / micro).backward()
        ref_opt.zero_grad()
        F.cross_entropy(reference(ax.from_numpy(x)), ax.from_numpy(y)).backward()
        for (name, p), q in zip(model.named_parameters(), reference.parameters()):
            assert_close(p.grad.numpy(), q.grad.numpy(), f"accumulated gradient of {name}")
        opt.step()
        ref_opt.step()
    assert max_diff(model.parameters(), reference.parameters()) <= TOL


def scenario_buffers(folder):
    dist.init_process_group("mpi")
    r = dist.get_rank()
    x = ax.from_numpy(np.random.default_rng(r).standard_normal((4, 1, 8, 8)).astype(np.float32))
    for broadcast in (True, False):
        ax.manual_seed(r)
        model = small_cnn(with_bn=True)
        ddp = DDP(model, broadcast_buffers=broadcast)
        bn = model[1]
        assert np.array_equal(*gathered(bn.running_var.numpy().copy())), "construction did not broadcast buffers"
        if r == 1:
            bn.running_mean.data[...] = 99.0
        ddp.eval()
        ddp(x)  # in eval mode the forward itself leaves the running statistics alone
        means = gathered(bn.running_mean.numpy().copy())
        if broadcast:
            assert np.array_equal(means[0], means[1]) and not np.any(means[1] == 99.0), means
        else:
            assert np.all(means[1] == 99.0) and not np.any(means[0] == 99.0), means


def scenario_ddp_mismatch(folder):
    dist.init_process_group("mpi")
    r = dist.get_rank()
    wrong = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2 + r))
    expect_error(ValueError, lambda: DDP(wrong), "model is not the same on every rank",
                 "rank 1: has parameter '1.weight' (3, 3) float32 where rank 0 has parameter '1.weight' (2, 3)")
    extra = nn.Sequential(*([nn.Linear(4, 4)] * 1 + ([nn.Linear(4, 4)] if r == 1 else [])))
    expect_error(ValueError, lambda: DDP(extra), "rank 1: has parameter '1.weight'", "which rank 0 does not have")
    frozen = nn.Linear(2, 2)
    if r == 1:
        frozen.bias.requires_grad_(False)
    expect_error(ValueError, lambda: DDP(frozen), "(frozen)")


def scenario_ddp_unused(folder):
    dist.init_process_group("mpi")
    r, n = dist.get_rank(), dist.get_world_size()

    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.body, self.head, self.other, self.never = nn.Linear(4, 3), nn.Linear(3, 2), nn.Linear(3, 2), nn.Linear(3, 2)

        def forward(self, x, use_other=False):
            h = self.body(x)
            return self.head(h) + (self.other(h) if use_other else 0)

    x = ax.from_numpy(np.random.default_rng(r).standard_normal((4, 4)).astype(np.float32))
    ax.manual_seed(0)
    plain = DDP(TwoHeads())
    plain(x).sum().backward()  # 'other' and 'never' get no gradient: the averaging cannot finish
    expect_error(RuntimeError, lambda: plain(x), "did not finish", "other.weight", "never.bias",
                 "find_unused_parameters=True")

    ax.manual_seed(0)
    model = TwoHeads()
    ddp = DDP(model, find_unused_parameters=True)
    ref = TwoHeads()
    ref.load_state_dict(model.state_dict())
    for step in range(2):
        model.zero_grad()
        ddp(x, use_other=(r == 0)).sum().backward()  # 'other' is used by rank 0 only, 'never' by nobody
        xs = gathered(x.numpy())
        ref.zero_grad()
        (ref(ax.from_numpy(xs[0]), use_other=True).sum() + ref(ax.from_numpy(xs[1])).sum()).backward()
        for name in ("body.weight", "head.bias", "other.weight", "other.bias"):
            got = dict(model.named_parameters())[name].grad.numpy()
            assert_close(got, dict(ref.named_parameters())[name].grad.numpy() / n, f"{name} at step {step}")
        assert model.never.weight.grad is None and model.never.bias.grad is None, "a globally unused grad was set"


def scenario_ddp_device(folder):
    dist.init_process_group("mpi")
    if not ax.cuda.is_available():
        print(f"rank {dist.get_rank()}: no cuda device (real or emulated); skipped")
        return
    r, n = dist.get_rank(), dist.get_world_size()
    ax.manual_seed(r)
    model = small_cnn(with_bn=True).to("cuda")
    ddp = DDP(model, bucket_cap_mb=0.0006)
    reference = small_cnn(with_bn=True)
    reference.load_state_dict({k: v.cpu() for k, v in model.state_dict().items()})
    opt, ref_opt = optim.Adam(ddp.parameters(), lr=1e-2), optim.Adam(reference.parameters(), lr=1e-2)
    model.eval()
    reference.eval()  # BatchNorm from the running statistics: the same function on either side
    for x, y in batches(3, 8):
        opt.zero_grad()
        F.cross_entropy(ddp(ax.from_numpy(my_share(x, r, n)).to("cuda")),
                        ax.from_numpy(my_share(y, r, n)).to("cuda")).backward()
        assert str(model[0].weight.grad.device).startswith("cuda")
        opt.step()
        ref_opt.zero_grad()
        F.cross_entropy(reference(ax.from_numpy(x)), ax.from_numpy(y)).backward()
        ref_opt.step()
    err = max(float(np.abs(a.cpu().numpy() - b.numpy()).max()) for a, b in zip(model.parameters(),
                                                                               reference.parameters()))
    assert err <= TOL, f"device DDP differs by {err} from one CPU process"


def scenario_sync_batchnorm(folder):
    dist.init_process_group("mpi")
    r, n = dist.get_rank(), dist.get_world_size()
    ax.manual_seed(3)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                          nn.Linear(4 * 8 * 8, 6), nn.BatchNorm1d(6, momentum=None), nn.Linear(6, 5))
    reference = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                              nn.Linear(4 * 8 * 8, 6), nn.BatchNorm1d(6, momentum=None), nn.Linear(6, 5))
    reference.load_state_dict(model.state_dict())
    bn_weight = model[1].weight
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert isinstance(model[1], nn.SyncBatchNorm) and isinstance(model[5], nn.SyncBatchNorm)
    assert model[1].weight is bn_weight, "convert_sync_batchnorm must keep the Parameter objects"
    ddp = DDP(model)
    opt, ref_opt = optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9), optim.SGD(reference.parameters(), lr=0.1,
                                                                                 momentum=0.9)
    for step, (x, y) in enumerate(batches(3, 12, seed=2)):
        x = x * (1 + 2 * np.arange(12, dtype=np.float32).reshape(12, 1, 1, 1))  # ranks' batches differ in scale
        opt.zero_grad()
        out = ddp(ax.from_numpy(my_share(x, r, n)))
        F.cross_entropy(out, ax.from_numpy(my_share(y, r, n))).backward()
        ref_opt.zero_grad()
        ref_out = reference(ax.from_numpy(x))
        F.cross_entropy(ref_out, ax.from_numpy(y)).backward()
        assert_close(out.numpy(), my_share(ref_out.numpy(), r, n), f"SyncBatchNorm output at step {step}")
        for (name, p), q in zip(model.named_parameters(), reference.parameters()):
            assert_close(p.grad.numpy(), q.grad.numpy(), f"gradient of {name} at step {step}")
        opt.step()
        ref_opt.step()
    for (name, b), c in zip(model.named_buffers(), reference.buffers()):
        assert_close(b.numpy(), c.numpy(), f"buffer {name}")
    model.eval()
    x = np.random.default_rng(9).standard_normal((4, 1, 8, 8)).astype(np.float32)
    assert_close(model(ax.from_numpy(x)).numpy(), reference.eval()(ax.from_numpy(x)).numpy(), "eval output")


class RecordingSampler(DistributedSampler):
    def set_epoch(self, epoch):
        self.epochs_set = getattr(self, "epochs_set", []) + [epoch]
        super().set_epoch(epoch)


def scenario_fit(folder):
    dist.init_process_group("mpi")
    r = dist.get_rank()
    rng = np.random.default_rng(0)
    data = TensorDataset(rng.standard_normal((44, 1, 8, 8)).astype(np.float32), rng.integers(0, 5, 44))
    sampler = RecordingSampler(data, shuffle=True, seed=5)
    loader = DataLoader(data, batch_size=4, sampler=sampler)
    val = DataLoader(TensorDataset(rng.standard_normal((10, 1, 8, 8)).astype(np.float32), rng.integers(0, 5, 10)),
                     batch_size=5)
    ax.manual_seed(r)
    model = DDP(small_cnn())
    opt = optim.Adam(model.parameters(), lr=1e-2)

    def rank_metric(outputs, targets):
        return float(dist.get_rank())

    ckpt = os.path.join(folder, f"ckpt_rank{r}.safetensors")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        history = ax.train.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=3, val_loader=val,
                               metrics=("accuracy", rank_metric),
                               callbacks=[ax.train.ModelCheckpoint(ckpt, save_best_only=False)], progress=True)
    assert sampler.epochs_set == [0, 1, 2], sampler.epochs_set
    # Metrics are averaged over the ranks (each sees 22 samples a epoch), identically everywhere.
    assert history["rank_metric"] == [0.5, 0.5, 0.5], history["rank_metric"]
    everyone = gathered(history.history)
    assert everyone[0] == everyone[1], "the ranks' histories differ"
    assert history.last("images_per_s") > 0 and len(history.epochs) == 3
    if r == 0:
        assert "epoch 3/3" in out.getvalue(), out.getvalue()
        saved = ax.load(ckpt)
        plain = small_cnn()
        plain.load_state_dict(saved["model"])  # the unwrapped module's names, without "module."
        assert max_diff(plain.parameters(), model.module.parameters()) == 0
    else:
        assert out.getvalue() == "" and "epoch" not in err.getvalue(), (out.getvalue(), err.getvalue())
        assert not os.path.exists(ckpt), "rank 1 wrote a checkpoint"
    finals = gathered([p.numpy() for p in model.parameters()])
    assert all(np.array_equal(a, b) for a, b in zip(*finals))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax.train.fit(small_cnn(), nn.CrossEntropyLoss(), optim.SGD(small_cnn().parameters(), lr=0.1), loader, 1,
                     progress=False)
    assert any("DistributedDataParallel" in str(w.message) for w in caught), [str(w.message) for w in caught]


def scenario_raise(folder):
    dist.init_process_group("mpi")
    r = dist.get_rank()
    ax.manual_seed(0)
    ddp = DDP(small_cnn())
    x, y = next(batches(1, 4))
    if r == 1:
        raise RuntimeError("deliberate failure on rank 1")
    F.cross_entropy(ddp(ax.from_numpy(x)), ax.from_numpy(y)).backward()  # waits for rank 1's buckets
    dist.barrier()
    print("rank 0 was not stopped")


def scenario_singleton(folder):
    """A plain `python script.py`: a job of one rank, where everything works without mpiexec."""
    dist.init_process_group("mpi")
    assert dist.get_world_size() == 1 and dist.get_rank() == 0
    t = ax.ones(3)
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    assert np.array_equal(t.numpy(), [1, 1, 1])
    ax.manual_seed(0)
    model = small_cnn()
    ddp = DDP(model)
    reference = small_cnn()
    reference.load_state_dict(model.state_dict())
    x, y = next(batches(1, 4))
    F.cross_entropy(ddp(ax.from_numpy(x)), ax.from_numpy(y)).backward()
    F.cross_entropy(reference(ax.from_numpy(x)), ax.from_numpy(y)).backward()
    assert max_diff([p.grad for p in model.parameters()], [p.grad for p in reference.parameters()]) == 0
    data = TensorDataset(x, y)
    history = ax.train.fit(ddp, nn.CrossEntropyLoss(), optim.SGD(ddp.parameters(), lr=0.1),
                           DataLoader(data, batch_size=2, sampler=DistributedSampler(data)), 1, progress=False)
    assert len(history.epochs) == 1


SCENARIOS = {name[len("scenario_"):]: fn for name, fn in globals().items() if name.startswith("scenario_")}

if __name__ == "__main__":
    name = sys.argv[1]
    SCENARIOS[name](sys.argv[2] if len(sys.argv) > 2 else ".")
    print(f"rank {dist.get_rank() if dist.is_initialized() else 0}: {name} ok", flush=True)
