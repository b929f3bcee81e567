"""DistributedSampler: every rank's share, torch's padding and drop_last rules, epochs (no MPI needed)."""
import numpy as np
import pytest

from axonal.data import DistributedSampler, TensorDataset


def shares(n, replicas, **kwargs):
    return [list(DistributedSampler(range(n), num_replicas=replicas, rank=r, **kwargs)) for r in range(replicas)]


@pytest.mark.parametrize("n", [1, 3, 7, 10, 17, 65])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4, 8])
@pytest.mark.parametrize("shuffle", [False, True])
def test_every_index_once_then_padding_from_the_head(n, replicas, shuffle):
    parts = shares(n, replicas, shuffle=shuffle, seed=3)
    per = -(-n // replicas)
    assert all(len(p) == per for p in parts)
    assert len(DistributedSampler(range(n), num_replicas=replicas, rank=0)) == per
    # Interleaved back into one list, the shares are the (shuffled) order followed by its own head.
    order = [parts[i % replicas][i // replicas] for i in range(per * replicas)]
    assert sorted(order[:n]) == list(range(n))
    assert order[n:] == [order[i % n] for i in range(per * replicas - n)]
    if not shuffle:
        assert order[:n] == list(range(n))
    if n % replicas == 0:
        assert sorted(sum(parts, [])) == list(range(n))


@pytest.mark.parametrize("n,replicas", [(10, 3), (7, 2), (8, 4), (5, 8), (17, 4)])
def test_drop_last_drops_the_tail_and_keeps_shares_disjoint(n, replicas):
    parts = shares(n, replicas, shuffle=True, seed=1, drop_last=True)
    per = n // replicas
    assert all(len(p) == per for p in parts)
    flat = sum(parts, [])
    assert len(set(flat)) == len(flat) == per * replicas


@pytest.mark.parametrize("n,replicas", [(10, 3), (7, 2), (5, 8), (16, 4), (1, 3)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_matches_torch_without_shuffle(n, replicas, drop_last):
    torch = pytest.importorskip("torch")
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    for r in range(replicas):
        ours = DistributedSampler(range(n), num_replicas=replicas, rank=r, shuffle=False, drop_last=drop_last)
        theirs = TorchSampler(range(n), num_replicas=replicas, rank=r, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs), (r, list(ours), list(theirs))
    assert torch is not None


def test_set_epoch_changes_the_order_the_same_way_on_every_rank():
    ds = TensorDataset(np.arange(40.0))
    samplers = [DistributedSampler(ds, num_replicas=2, rank=r, seed=7) for r in range(2)]
    epoch0 = [list(s) for s in samplers]
    assert [list(s) for s in samplers] == epoch0, "without set_epoch every epoch repeats the first"
    for s in samplers:
        s.set_epoch(1)
    epoch1 = [list(s) for s in samplers]
    assert epoch1 != epoch0
    assert sorted(epoch1[0] + epoch1[1]) == list(range(40))
    again = DistributedSampler(ds, num_replicas=2, rank=1, seed=7)
    again.set_epoch(1)
    assert list(again) == epoch1[1], "the order is a function of (seed, epoch) only"
    assert list(DistributedSampler(ds, num_replicas=2, rank=1, seed=8)) != epoch0[1]


def test_bad_arguments_say_what_is_wrong():
    with pytest.raises(ValueError, match=r"invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="num_replicas must be >= 1"):
        DistributedSampler(range(4), num_replicas=0, rank=0)
    with pytest.raises(TypeError, match="dataset must define __len__"):
        DistributedSampler(iter(range(4)), num_replicas=1, rank=0)
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(range(4))  # no process group in this process
