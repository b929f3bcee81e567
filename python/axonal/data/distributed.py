"""DistributedSampler: each rank's share of a dataset's indices, as torch.utils.data.DistributedSampler.

Every epoch the indices 0..n-1 (shuffled with ``seed + epoch`` when ``shuffle``) are split across
``num_replicas`` ranks: rank r takes positions r, r + R, r + 2R, ... When n is not a multiple of R, the list
is first padded with its own head (repeated as often as needed) so that every rank gets the same number of
indices, ceil(n / R) (the ranks must take the same number of steps); with ``drop_last`` the tail is dropped
instead, floor(n / R) each. Call ``set_epoch(e)`` at the start of each epoch for a new order (axonal's
``fit`` does it for you); without it every epoch repeats the first one, as in torch.

The permutation comes from NumPy's default generator, so the orders differ from torch's, but every rank
computes the same one from the same seed without talking to the others.
"""
import math
import numbers

import numpy as np

from .. import distributed as dist
from .sampler import IndexArraySampler


class DistributedSampler(IndexArraySampler):
    """This rank's share of the indices each epoch (see the module docstring); an index-array sampler, so a
    DataLoader over a TensorDataset cuts each batch with one fancy index."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if not hasattr(dataset, "__len__"):
            raise TypeError(f"[DistributedSampler] dataset must define __len__, got {type(dataset).__name__}")
        if num_replicas is None or rank is None:
            if not dist.is_initialized():
                raise RuntimeError("[DistributedSampler] num_replicas and rank default to the process group's; "
                                   "call axonal.distributed.init_process_group('mpi') first or pass them")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        for name, value in (("num_replicas", num_replicas), ("rank", rank), ("seed", seed)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"[DistributedSampler] {name} must be an int, got {type(value).__name__}")
        if num_replicas < 1:
            raise ValueError(f"[DistributedSampler] num_replicas must be >= 1, got {num_replicas}")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"[DistributedSampler] invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas, self.rank = int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last = bool(shuffle), int(seed), bool(drop_last)
        self.epoch = 0
        n = len(dataset)
        if self.drop_last and n % self.num_replicas != 0:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)  # = n // R, torch's form
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def set_epoch(self, epoch):
        """Makes the next iteration use the order of ``epoch`` (the same on every rank)."""
        self.epoch = int(epoch)

    def indices(self):
        """This rank's indices for the current epoch, as an int64 array."""
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n)
        if self.drop_last:
            order = order[:self.total_size]
        elif self.total_size > n and n > 0:
            order = np.resize(order, self.total_size)  # repeats the list from its head: torch's padding
        return order[self.rank:self.total_size:self.num_replicas].astype(np.int64, copy=False)

    def _index_array(self):
        return self.indices()

    def __len__(self):
        return self.num_samples

    def __repr__(self):
        return (f"DistributedSampler({len(self.dataset)} samples, num_replicas={self.num_replicas}, rank={self.rank}, "
                f"shuffle={self.shuffle}, seed={self.seed}, drop_last={self.drop_last}, epoch={self.epoch})")
