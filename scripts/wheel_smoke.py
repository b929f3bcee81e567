"""Trains from an installed axonal (a wheel in a fresh environment): the check that tests/test_wheel.py and
cibuildwheel's test-command run outside the source tree. Exits non-zero when something is wrong.

    python scripts/wheel_smoke.py

One epoch of the MLP on the sample shipped inside the package (5 000 images, a few seconds), then a
checkpoint round trip; the held-out accuracy must beat chance (0.1) by far (0.70 measured; 0.5 is the bar).
"""
import os
import sys
import tempfile

import axonal as ax
from axonal import nn, optim
from axonal.data import DataLoader, datasets
from axonal.models import fashion_mlp


def main():
    here = os.path.dirname(os.path.abspath(ax.__file__))
    if os.path.isdir(os.path.join(here, "..", "..", "csrc")):
        print(f"wheel_smoke: axonal was imported from a source tree ({here}), not from an installed wheel")
        return 1
    ax.manual_seed(0)
    train, test = datasets.fashion_mnist_sample("train"), datasets.fashion_mnist_sample("test")
    model = fashion_mlp()
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    history = ax.train.fit(model, nn.CrossEntropyLoss(), optimizer, DataLoader(train, batch_size=64, shuffle=True,
                           seed=0), epochs=1, val_loader=DataLoader(test, batch_size=500), progress=False)
    accuracy = history.last("val_accuracy")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "mlp.safetensors")
        ax.save(model.state_dict(), path)
        fresh = fashion_mlp()
        fresh.load_state_dict(ax.load(path))
        again = ax.train.evaluate(fresh, nn.CrossEntropyLoss(), DataLoader(test, batch_size=500))["accuracy"]
    print(f"wheel_smoke: axonal {ax.__version__} from {here}, {ax.get_num_threads()} threads, "
          f"kernels {ax._C.gemm_kernel()}: test accuracy {accuracy:.3f} after 1 epoch, {again:.3f} reloaded")
    if not (accuracy > 0.5 and abs(again - accuracy) < 1e-9):
        print("wheel_smoke: FAILED")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
