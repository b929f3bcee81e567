"""BatchNorm followed by ReLU in a Sequential runs as one fused op: the same values and gradients as the two
layers one after the other, in training (batch statistics, running statistics updated once) and evaluation."""
import numpy as np
import pytest

import axonal as ax
from axonal import nn


def _twins(bn_cls, channels):
    ax.manual_seed(0)
    fused = nn.Sequential(bn_cls(channels), nn.ReLU())
    plain = nn.Sequential(bn_cls(channels), nn.Identity(), nn.ReLU())  # the Identity breaks the pair apart
    for p in fused.parameters():
        p.data[...] = np.random.default_rng(1).standard_normal(p.shape).astype(np.float32)
    plain.load_state_dict(fused.state_dict())
    return fused, plain


@pytest.mark.parametrize("bn_cls, shape", [(nn.BatchNorm2d, (4, 3, 5, 5)), (nn.BatchNorm1d, (6, 3)),
                                           (nn.BatchNorm1d, (6, 3, 4))], ids=["2d", "1d", "1d-seq"])
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_fused_batchnorm_relu_equals_the_two_layers(device, bn_cls, shape, training):
    fused, plain = _twins(bn_cls, shape[1])
    fused.to(device), plain.to(device)
    fused.train(training), plain.train(training)
    x = np.random.default_rng(2).standard_normal(shape).astype(np.float32)
    results = []
    for model in (fused, plain):
        xt = ax.tensor(x, device=device, requires_grad=True)
        out = model(xt)
        out.backward(ax.ones(*out.shape, device=device))
        results.append([out.cpu().numpy(), xt.grad.cpu().numpy()]
                       + [p.grad.cpu().numpy() for p in model.parameters()]
                       + [b.cpu().numpy() for b in model.buffers()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert (results[0][0] >= 0).all()


def test_sequential_uses_the_fused_op():
    calls = []
    bn = nn.BatchNorm2d(2)
    original = bn.normalize
    bn.normalize = lambda x, relu=False: calls.append(relu) or original(x, relu)
    nn.Sequential(bn, nn.ReLU())(ax.randn(3, 2, 4, 4))
    assert calls == [True]
