"""Data-parallel training across processes and machines, on MPI (mpi4py), shaped like torch.distributed.

    mpiexec -n 2 python train.py          # pip install "axonal[mpi]" brings mpi4py and mpiexec (mpich)

    import axonal.distributed as dist
    dist.init_process_group("mpi")
    model = ax.nn.parallel.DistributedDataParallel(model)
    loader = DataLoader(train, batch_size=64 // dist.get_world_size(), sampler=DistributedSampler(train))

Importing this module does not import mpi4py; ``init_process_group`` does.
"""
from .collectives import (
    ReduceOp,
    all_gather,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast,
    broadcast_object_list,
)
from .group import (
    destroy_process_group,
    get_backend,
    get_local_rank,
    get_local_world_size,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
)

__all__ = [
    "ReduceOp", "all_gather", "all_gather_object", "all_reduce", "barrier", "broadcast", "broadcast_object_list",
    "destroy_process_group", "get_backend", "get_local_rank", "get_local_world_size", "get_rank",
    "get_world_size", "init_process_group", "is_available", "is_initialized",
]
