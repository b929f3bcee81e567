"""The reference models (axonal.models) against their torch twins (benchmarks/model_twins.py): same state_dict
names, and from the same weights the same outputs and parameter gradients in training mode (BatchNorm with
batch statistics, the residual joins fused as add+ReLU, BN+ReLU fused), on every device."""
import sys
from pathlib import Path

import numpy as np
import pytest

import axonal as ax
import axonal.nn.functional as F

torch = pytest.importorskip("torch")
BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
if not BENCH.exists():
    pytest.skip("benchmarks/ not present (installed package only)", allow_module_level=True)
sys.path.insert(0, str(BENCH))
from model_twins import copy_weights, torch_twin  # noqa: E402

MODELS = [("resnet8", ax.models.resnet8, (4, 3, 32, 32)), ("lenet5", ax.models.lenet5, (4, 1, 28, 28)),
          ("mlp_bn", ax.models.mlp_bn, (6, 1, 28, 28)), ("cnn", ax.models.fashion_cnn, (3, 1, 28, 28)),
          ("mlp", ax.models.fashion_mlp, (3, 1, 28, 28))]


@pytest.mark.parametrize("name, make, shape", MODELS, ids=[m[0] for m in MODELS])
def test_model_matches_its_torch_twin(device, name, make, shape):
    ax.manual_seed(0)
    model = make()
    twin = copy_weights(model, torch_twin(name, torch), torch)
    if name == "mlp_bn":  # dropout draws differ between libraries: compare without it
        model.train(), twin.train()
        for m in list(model.modules()) + list(twin.modules()):
            if type(m).__name__ == "Dropout":
                m.p = 0.0
    model.to(device)
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(np.float32)
    y = rng.integers(0, 10, shape[0])
    loss_a = F.cross_entropy(model(ax.tensor(x, device=device)), ax.tensor(y, device=device))
    loss_t = torch.nn.functional.cross_entropy(twin(torch.tensor(x)), torch.tensor(y))
    loss_a.backward()
    loss_t.backward()
    assert float(loss_a.item()) == pytest.approx(float(loss_t.item()), rel=1e-5)
    tparams = dict(twin.named_parameters())
    for k, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.cpu().numpy(), tparams[k].grad.numpy(), rtol=2e-4, atol=2e-5, err_msg=k)
    for k, b in model.named_buffers():
        np.testing.assert_allclose(b.cpu().numpy(), twin.state_dict()[k].numpy(), rtol=1e-5, atol=1e-6, err_msg=k)


def test_add_relu_is_relu_of_the_sum(device):
    rng = np.random.default_rng(2)
    a, b = (ax.tensor(rng.standard_normal((3, 4)).astype(np.float32), device=device, requires_grad=True)
            for _ in range(2))
    fused = ax.ops.activation.add_relu(a, b)
    fused.backward(ax.ones(3, 4, device=device))
    ga, gb = a.grad.cpu().numpy(), b.grad.cpu().numpy()
    a.grad = b.grad = None
    plain = F.relu(a + b)
    plain.backward(ax.ones(3, 4, device=device))
    np.testing.assert_array_equal(fused.cpu().numpy(), plain.cpu().numpy())
    np.testing.assert_array_equal(ga, a.grad.cpu().numpy())
    np.testing.assert_array_equal(gb, b.grad.cpu().numpy())
