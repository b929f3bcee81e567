"""The demo CNN on Fashion-MNIST, data parallel on MPI ranks (pip install "axonal[mpi]").

    mpiexec -n 2 python examples/ddp_fashion_mnist.py [--epochs 3] [--sample] [--batch-size 64]

The demo's recipe (Adam 2e-3 decayed x0.3 per epoch, standardized pixels) at the same global batch: every
rank trains a replica on its share of each batch (64 // ranks images), DistributedSampler splits the data,
DistributedDataParallel averages the gradients during backward, so every step computes what one process
computes on the whole batch, and the accuracy is one process's (0.916-0.918 after 3 epochs on the full set).
Each rank uses cores // (ranks on the machine) kernel threads unless OMP_NUM_THREADS says otherwise.
Run it with plain `python` for the one-process baseline.
"""
import argparse

import axonal as ax
import axonal.distributed as dist
from axonal import nn, optim
from axonal.data import DataLoader, DistributedSampler, datasets
from axonal.models import fashion_cnn
from axonal.nn.parallel import DistributedDataParallel
from axonal.train import ModelCheckpoint

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--batch-size", type=int, default=64, help="the global batch, split across the ranks")
parser.add_argument("--sample", action="store_true", help="use the small sample shipped with axonal")
args = parser.parse_args()

dist.init_process_group("mpi")
rank, world = dist.get_rank(), dist.get_world_size()
if args.batch_size % world:
    raise SystemExit(f"--batch-size {args.batch_size} must be a multiple of the {world} ranks")


load = datasets.fashion_mnist_sample if args.sample else datasets.fashion_mnist
train, test = load("train", standardize=True), load("test", standardize=True)
# Every rank's share of every epoch (fit calls set_epoch for a new order each epoch); the test set is split
# too, so evaluation is parallel as well (fit averages the metrics over the ranks' samples).
train_loader = DataLoader(train, batch_size=args.batch_size // world,
                          sampler=DistributedSampler(train, shuffle=True, seed=0))
test_loader = DataLoader(test, batch_size=1000, sampler=DistributedSampler(test, shuffle=False))

ax.manual_seed(0)
model = DistributedDataParallel(fashion_cnn())  # rank 0's initial weights are broadcast to all
optimizer = optim.Adam(model.parameters(), lr=2e-3)
scheduler = optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.3)
if rank == 0:
    print(f"{world} rank(s) x {ax.get_num_threads()} thread(s), {len(train)} training images, "
          f"global batch {args.batch_size} ({args.batch_size // world} per rank)", flush=True)
history = ax.train.fit(model, nn.CrossEntropyLoss(), optimizer, train_loader, args.epochs, val_loader=test_loader,
                       scheduler=scheduler, callbacks=[ModelCheckpoint("ddp_cnn.safetensors", save_best_only=False)])
if rank == 0:  # the logs are the same on every rank; rank 0 wrote the checkpoint (the unwrapped model's names)
    print(f"test accuracy: {history.last('val_accuracy'):.4f} ({history.last('images_per_s'):.0f} images/s "
          f"over all ranks in the last epoch)")
dist.destroy_process_group()
