"""An MLP (784-256-128-10) on Fashion-MNIST with SGD + momentum.

    python examples/mlp_fashion_mnist.py [--epochs 10] [--sample]
"""
import argparse

import axonal as ax
from axonal import nn, optim
from axonal.data import DataLoader, datasets
from axonal.models import fashion_mlp

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--sample", action="store_true", help="use the small sample shipped with axonal")
args = parser.parse_args()

ax.manual_seed(0)
load = datasets.fashion_mnist_sample if args.sample else datasets.fashion_mnist
train, test = load("train"), load("test")
train_loader = DataLoader(train, batch_size=64, shuffle=True, seed=0)
test_loader = DataLoader(test, batch_size=1000)

model = fashion_mlp()
optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
history = ax.train.fit(model, nn.CrossEntropyLoss(), optimizer, train_loader, args.epochs,
                       val_loader=test_loader, scheduler=scheduler)
print(f"test accuracy: {history.last('val_accuracy'):.4f}")
