"""Data parallelism across processes: DistributedDataParallel (on axonal.distributed, MPI) and SyncBatchNorm."""
from .distributed import DistributedDataParallel
from .sync_batchnorm import SyncBatchNorm

__all__ = ["DistributedDataParallel", "SyncBatchNorm"]
