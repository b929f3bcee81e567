"""An LSTM that reads each Fashion-MNIST image row by row (28 steps of 28 pixels) and classifies it from its
last hidden state.

    python examples/lstm_fashion_mnist.py [--epochs 8] [--sample] [--out out/lstm_fashion_mnist]

A recurrent network sees the image as a sequence: at step t it gets row t, and its state carries what it has
seen so far. Two stacked LSTM layers of 128 units, then a linear layer on the last step's output; Adam with a
cosine learning-rate schedule. Writes the best checkpoint (by test accuracy) and the loss / accuracy curves to
--out, and prints the test accuracy (the full data set gives >= 0.88; see examples/README.md).
"""
import argparse
import os
import time

import axonal as ax
from axonal import nn, optim
from axonal.data import DataLoader, datasets


class RowLSTM(nn.Module):
    """(N, 1, 28, 28) images -> (N, 10) logits: rows as time steps."""

    def __init__(self, hidden=128, layers=2, dropout=0.0):
        super().__init__()
        self.lstm = nn.LSTM(28, hidden, num_layers=layers, batch_first=True, dropout=dropout)
        self.head = nn.Linear(hidden, 10)

    def forward(self, images):
        rows = images.reshape(images.shape[0], 28, 28)  # (batch, steps = rows, features = pixels)
        out, _ = self.lstm(rows)
        return self.head(out[:, -1])


def save_curves(history, path):
    try:
        history.plot(path)
    except ImportError as e:
        print(f"no plot: {e}")


def main(argv=None):
    parser = argparse.ArgumentParser(description="LSTM classifier on Fashion-MNIST rows")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--sample", action="store_true", help="use the small sample shipped with axonal")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--out", default=os.path.join("out", "lstm_fashion_mnist"))
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    ax.manual_seed(0)
    load = datasets.fashion_mnist_sample if args.sample else datasets.fashion_mnist
    train, test = load("train", standardize=True), load("test", standardize=True)
    train_loader = DataLoader(train, batch_size=args.batch_size, shuffle=True, seed=0)
    test_loader = DataLoader(test, batch_size=1000)

    model = RowLSTM(args.hidden, args.layers)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(args.epochs, 1))
    checkpoint = os.path.join(args.out, "lstm_best.safetensors")
    best = ax.train.ModelCheckpoint(checkpoint, monitor="val_accuracy", mode="max")
    start = time.perf_counter()
    history = ax.train.fit(model, nn.CrossEntropyLoss(), optimizer, train_loader, args.epochs, val_loader=test_loader,
                           scheduler=scheduler, callbacks=[best], progress=not args.no_progress)
    seconds = time.perf_counter() - start
    save_curves(history, os.path.join(args.out, "lstm_curves.png"))
    accuracy = max(history["val_accuracy"])
    print(f"test accuracy: {accuracy:.4f} (best epoch), {history.last('val_accuracy'):.4f} (last epoch); "
          f"{args.epochs} epochs in {seconds:.0f} s on {ax.get_num_threads()} threads")
    print(f"wrote {checkpoint} and {os.path.join(args.out, 'lstm_curves.png')}")
    return accuracy


if __name__ == "__main__":
    main()
