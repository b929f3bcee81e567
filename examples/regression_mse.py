"""A tiny regression: fit y = sin(3x) + noise with a small MLP and MSE, until the loss is below a threshold."""
import numpy as np

import axonal as ax
from axonal import nn, optim
from axonal.data import DataLoader, TensorDataset
from axonal.train import EarlyStopping

ax.manual_seed(0)
rng = np.random.default_rng(0)
x = rng.uniform(-1, 1, (512, 1)).astype(np.float32)
y = (np.sin(3 * x) + 0.05 * rng.standard_normal(x.shape)).astype(np.float32)
loader = DataLoader(TensorDataset(ax.from_numpy(x), ax.from_numpy(y)), batch_size=32, shuffle=True, seed=0)

model = nn.Sequential(nn.Linear(1, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1))
optimizer = optim.Adam(model.parameters(), lr=1e-2)
# Stop as soon as the training loss is within the noise level (the seeds' "pre-defined threshold").
stop = EarlyStopping(monitor="loss", target=0.004, patience=None)
history = ax.train.fit(model, nn.MSELoss(), optimizer, loader, epochs=200, metrics=(), callbacks=[stop],
                       progress=False)
print(f"stopped after {len(history.epochs)} epochs: {stop.reason}; final MSE {history.last('loss'):.5f}")
