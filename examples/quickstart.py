"""PyTorch's beginner quickstart (Fashion-MNIST, "Learn the Basics"), run on axonal.

The code below is the tutorial's, with two kinds of change only: the imports (``import axonal as torch`` and
friends) and axonal's dataset loader in place of torchvision's (datasets.FashionMNIST with ToTensor gives
1 x 28 x 28 float images in [0, 1] and int labels; axonal.data.datasets.fashion_mnist gives the same).

    python examples/quickstart.py [--epochs 5] [--sample] [--out DIR]
"""
import argparse
import os

import axonal as torch                                      # was: import torch
from axonal import nn                                       # was: from torch import nn
from axonal.data import DataLoader                          # was: from torch.utils.data import DataLoader
from axonal.data import datasets as axonal_datasets         # was: from torchvision import datasets

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--sample", action="store_true", help="the small sample shipped with axonal (a quick run)")
parser.add_argument("--out", default="quickstart-out", help="folder for model.pth")
args = parser.parse_args()
os.makedirs(args.out, exist_ok=True)

# Download training data from open datasets.   (was: datasets.FashionMNIST(root="data", train=..., download=True,
load = axonal_datasets.fashion_mnist_sample if args.sample else axonal_datasets.fashion_mnist  # transform=ToTensor()))
training_data = load("train")
test_data = load("test")

batch_size = 64

# Create data loaders.
train_dataloader = DataLoader(training_data, batch_size=batch_size)
test_dataloader = DataLoader(test_data, batch_size=batch_size)

for X, y in test_dataloader:
    print(f"Shape of X [N, C, H, W]: {X.shape}")
    print(f"Shape of y: {y.shape} {y.dtype}")
    break

device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
print(f"Using {device} device")


# Define model
class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10)
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = NeuralNetwork().to(device)
print(model)

loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)


def train(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        X, y = X.to(device), y.to(device)

        # Compute prediction error
        pred = model(X)
        loss = loss_fn(pred, y)

        # Backpropagation
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

        if batch % 100 == 0:
            loss, current = loss.item(), (batch + 1) * len(X)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")


def test(dataloader, model, loss_fn):
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
    return correct


epochs = args.epochs
for t in range(epochs):
    print(f"Epoch {t+1}\n-------------------------------")
    train(train_dataloader, model, loss_fn, optimizer)
    accuracy = test(test_dataloader, model, loss_fn)
print("Done!")

path = os.path.join(args.out, "model.pth")
torch.save(model.state_dict(), path)            # a safetensors file whatever the name (axonal never pickles)
print(f"Saved PyTorch Model State to {path}")

model = NeuralNetwork().to(device)
model.load_state_dict(torch.load(path, weights_only=True))

classes = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]

model.eval()
x, y = test_data[0][0], test_data[0][1]
with torch.no_grad():
    x = x.to(device)
    pred = model(x)
    predicted, actual = classes[pred[0].argmax(0)], classes[y]
    print(f'Predicted: "{predicted}", Actual: "{actual}"')
print(f"final test accuracy: {accuracy:.4f}")
