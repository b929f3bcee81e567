"""The decoder's layers against torch: F.conv_transpose2d / nn.ConvTranspose2d (stride, padding, output_padding,
dilation, groups, bias, output_size; forward and the gradients of input, weight and bias; float64 gradcheck;
init and repr) and F.interpolate / nn.Upsample ('nearest', 'nearest-exact', 'linear', 'bilinear' with
align_corners both ways, size or scale_factor), on every device present, and the errors."""
import numpy as np
import pytest

import axonal as ax
import axonal.nn.functional as F
from axonal import nn
from torch_compare import compare_with_torch

RNG = np.random.default_rng(0)


def randn(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


# (id, input shape, weight shape, kwargs)
CASES = [
    ("3x3", (2, 3, 5, 6), (3, 4, 3, 3), {}),
    ("stride2-pad1-outpad1", (2, 3, 5, 4), (3, 2, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ("stride2-k4-pad1", (1, 4, 7, 7), (4, 3, 4, 4), dict(stride=2, padding=1)),
    ("asymmetric", (2, 2, 4, 5), (2, 3, 2, 3), dict(stride=(3, 1), padding=(1, 2), output_padding=(2, 0))),
    ("dilation", (1, 2, 6, 5), (2, 2, 3, 2), dict(dilation=(2, 3), padding=1)),
    ("outpad-below-dilation", (1, 2, 4, 4), (2, 3, 3, 3), dict(stride=1, dilation=2, output_padding=1)),
    ("groups2", (2, 4, 5, 5), (4, 3, 3, 3), dict(groups=2, stride=2, padding=1, output_padding=1)),
    ("groups4-depthwise", (1, 4, 3, 6), (4, 1, 2, 2), dict(groups=4, stride=2)),
    ("1x1", (3, 5, 1, 1), (5, 7, 1, 1), {}),
    ("awkward-17", (1, 17, 7, 3), (17, 65, 3, 1), dict(stride=(2, 1))),
    # >= 8 channels each way, a batch, 3x3 and 5x5: the shapes where the CPU kernels pick their fast paths.
    ("decoder-16to8-stride2", (4, 16, 7, 7), (16, 8, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ("decoder-8to16-5x5-stride2", (3, 8, 6, 6), (8, 16, 5, 5), dict(stride=2, padding=2, output_padding=1)),
]


@pytest.mark.parametrize("name, x_shape, w_shape, kwargs", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_conv_transpose2d_matches_torch(name, x_shape, w_shape, kwargs, bias):
    torch = pytest.importorskip("torch")
    groups = kwargs.get("groups", 1)
    inputs = [randn(*x_shape), randn(*w_shape)] + ([randn(w_shape[1] * groups)] if bias else [])
    compare_with_torch(lambda x, w, *b: F.conv_transpose2d(x, w, *b, **kwargs),
                       lambda x, w, *b: torch.nn.functional.conv_transpose2d(x, w, *b, **kwargs), inputs,
                       [True] * len(inputs))


@pytest.mark.parametrize("threads", [1, 2])
def test_strided_conv2d_input_gradient_on_the_fast_paths(threads):
    """Regression: conv2d's input gradient took the stride-1 Winograd shortcut for stride-2 3x3 / 5x5 layers with
    >= 8 channels (wrong values); conv_transpose2d's forward is that same kernel."""
    torch = pytest.importorskip("torch")
    before = ax.get_num_threads()
    ax.set_num_threads(threads)
    try:
        for k in (3, 5):
            compare_with_torch(lambda x, w: F.conv2d(x, w, stride=2, padding=k // 2),
                               lambda x, w: torch.nn.functional.conv2d(x, w, stride=2, padding=k // 2),
                               [randn(4, 16, 14, 14), randn(16, 16, k, k)], [True, True])
            compare_with_torch(lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=k // 2, output_padding=1),
                               lambda x, w: torch.nn.functional.conv_transpose2d(x, w, stride=2, padding=k // 2,
                                                                                output_padding=1),
                               [randn(4, 16, 7, 7), randn(16, 16, k, k)], [True, True])
    finally:
        ax.set_num_threads(before)


def test_conv_transpose2d_gradcheck_float64():
    x = ax.tensor(randn(1, 2, 3, 3, dtype=np.float64), requires_grad=True)
    w = ax.tensor(randn(2, 2, 3, 2, dtype=np.float64), requires_grad=True)
    b = ax.tensor(randn(4, dtype=np.float64), requires_grad=True)
    assert ax.autograd.gradcheck(
        lambda x_, w_, b_: F.conv_transpose2d(x_, w_, b_, stride=2, padding=1, output_padding=1, groups=2), [x, w, b])


def test_module_matches_torch_init_repr_and_output_size():
    torch = pytest.importorskip("torch")
    for args, kwargs in (((4, 6, 3), {}), ((4, 6, (3, 2)), dict(stride=2, padding=1, output_padding=1, groups=2,
                                                                   bias=False, dilation=(1, 2)))):
        a, t = nn.ConvTranspose2d(*args, **kwargs), torch.nn.ConvTranspose2d(*args, **kwargs)
        assert repr(a) == repr(t)
        assert [(n, tuple(p.shape)) for n, p in a.named_parameters()] == \
            [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    # torch's init bound: kaiming_uniform(a=sqrt(5)) over fan_in = weight.size(1) * kH * kW.
    ax.manual_seed(0)
    layer = nn.ConvTranspose2d(8, 32, 3)
    bound = 1 / np.sqrt(32 * 9)
    assert np.abs(layer.weight.numpy()).max() <= bound and np.abs(layer.bias.numpy()).max() <= bound
    assert layer.weight.numpy().std() > 0.9 * bound / np.sqrt(3)
    # output_size picks the output_padding, as in torch.
    t_layer = torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    a_layer = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    a_layer.load_state_dict({k: v.detach().numpy() for k, v in t_layer.state_dict().items()})
    x = randn(1, 3, 4, 4)
    for size in ([7, 7], [8, 7], (1, 2, 8, 8)):
        np.testing.assert_allclose(a_layer(ax.tensor(x), output_size=size).numpy(),
                                   t_layer(torch.tensor(x), output_size=size).detach().numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"^\[ConvTranspose2d\] requested an output size of \[9, 7\]"):
        a_layer(ax.tensor(x), output_size=[9, 7])


def test_conv_transpose2d_inverts_the_shapes_of_conv2d():
    # The decoder mirrors the encoder: conv(stride 2, pad 1) of 28 -> 14, conv_transpose back to 28.
    x = ax.tensor(randn(2, 1, 28, 28))
    down = nn.Conv2d(1, 8, 3, stride=2, padding=1)(x)
    up = nn.ConvTranspose2d(8, 1, 3, stride=2, padding=1, output_padding=1)(down)
    assert down.shape == (2, 8, 14, 14) and up.shape == (2, 1, 28, 28)


def test_conv_transpose2d_on_every_device(device):
    x, w, b = randn(2, 4, 5, 5), randn(4, 3, 3, 3), randn(6)
    results = []
    for dev in ("cpu", device):
        ts = [ax.tensor(a, device=dev, requires_grad=True) for a in (x, w, b)]
        out = F.conv_transpose2d(*ts, stride=2, padding=1, output_padding=1, groups=2)
        (out * out).sum().backward()
        results.append([out.cpu().numpy()] + [t.grad.cpu().numpy() for t in ts])
    for a, c in zip(*results):
        np.testing.assert_allclose(c, a, rtol=2e-5, atol=2e-5)


def test_conv_transpose2d_errors():
    x, w = ax.zeros(1, 4, 5, 5), ax.zeros(4, 2, 3, 3)
    cases = [
        (r"^\[conv_transpose2d\] input has 3 channels but weight expects 4",
         lambda: F.conv_transpose2d(ax.zeros(1, 3, 5, 5), w)),
        (r"^\[conv_transpose2d\] output padding must be smaller than either stride or dilation",
         lambda: F.conv_transpose2d(x, w, stride=2, output_padding=2)),
        (r"^\[conv_transpose2d\] in channels 4 are not divisible by groups 3", lambda: F.conv_transpose2d(x, w, groups=3)),
        (r"^\[conv_transpose2d\] bias must have shape \(2,\)", lambda: F.conv_transpose2d(x, w, ax.zeros(3))),
        (r"^\[conv_transpose2d\] the output size \(-3, -3\) is too small",
         lambda: F.conv_transpose2d(x, w, padding=5)),
        (r"^\[conv_transpose2d\] expects a 4-D input", lambda: F.conv_transpose2d(ax.zeros(4, 5, 5), w)),
    ]
    for pattern, call in cases:
        with pytest.raises(ValueError, match=pattern):
            call()
    with pytest.raises(TypeError, match=r"^\[conv_transpose2d\] input, weight and bias must have one dtype"):
        F.conv_transpose2d(x, ax.zeros(4, 2, 3, 3, dtype=ax.float64))


# ---- interpolate / Upsample ---------------------------------------------------------------------------------
RESIZE = [
    ("nearest-x2", (2, 3, 4, 5), dict(scale_factor=2, mode="nearest")),
    ("nearest-x3", (1, 2, 3, 4), dict(scale_factor=3, mode="nearest")),
    ("nearest-size-down", (1, 2, 9, 7), dict(size=(4, 5), mode="nearest")),
    ("nearest-size-up-odd", (1, 2, 3, 5), dict(size=(7, 11), mode="nearest")),
    ("nearest-scale-1.7", (1, 1, 5, 6), dict(scale_factor=1.7, mode="nearest")),
    ("nearest-scale-recompute", (1, 1, 5, 6), dict(scale_factor=1.7, mode="nearest", recompute_scale_factor=True)),
    ("nearest-exact", (1, 2, 5, 7), dict(size=(8, 3), mode="nearest-exact")),
    ("nearest-1d", (2, 3, 7), dict(scale_factor=2.5, mode="nearest")),
    ("linear-1d", (2, 3, 7), dict(size=12, mode="linear")),
    ("linear-1d-corners", (2, 3, 7), dict(size=12, mode="linear", align_corners=True)),
    ("bilinear-x2", (2, 3, 4, 5), dict(scale_factor=2, mode="bilinear")),
    ("bilinear-x2-corners", (2, 3, 4, 5), dict(scale_factor=2, mode="bilinear", align_corners=True)),
    ("bilinear-size-down", (1, 2, 9, 8), dict(size=(4, 5), mode="bilinear")),
    ("bilinear-size-down-corners", (1, 2, 9, 8), dict(size=(4, 5), mode="bilinear", align_corners=True)),
    ("bilinear-scale-pair", (1, 1, 5, 6), dict(scale_factor=(1.5, 0.7), mode="bilinear")),
    ("bilinear-to-1", (1, 1, 5, 6), dict(size=(1, 1), mode="bilinear", align_corners=True)),
    ("bilinear-from-1", (1, 2, 1, 1), dict(size=(3, 4), mode="bilinear")),
]


@pytest.mark.parametrize("name, shape, kwargs", RESIZE, ids=[c[0] for c in RESIZE])
def test_interpolate_matches_torch(name, shape, kwargs):
    torch = pytest.importorskip("torch")
    compare_with_torch(lambda x: F.interpolate(x, **kwargs), lambda x: torch.nn.functional.interpolate(x, **kwargs),
                       [randn(*shape)], [True], rtol=1e-5)


def test_upsample_modules_match_torch():
    torch = pytest.importorskip("torch")
    x = randn(1, 2, 3, 4)
    pairs = [(nn.Upsample(scale_factor=2), torch.nn.Upsample(scale_factor=2)),
             (nn.Upsample(size=(5, 7), mode="bilinear"), torch.nn.Upsample(size=(5, 7), mode="bilinear")),
             (nn.UpsamplingNearest2d(scale_factor=2), torch.nn.UpsamplingNearest2d(scale_factor=2)),
             (nn.UpsamplingBilinear2d(size=(6, 6)), torch.nn.UpsamplingBilinear2d(size=(6, 6)))]
    for a, t in pairs:
        assert repr(a) == repr(t)
        np.testing.assert_allclose(a(ax.tensor(x)).numpy(), t(torch.tensor(x)).numpy(), rtol=1e-5, atol=1e-6)


def test_interpolate_gradcheck_float64():
    x = ax.tensor(randn(1, 2, 3, 4, dtype=np.float64), requires_grad=True)
    assert ax.autograd.gradcheck(lambda x_: F.interpolate(x_, size=(5, 3), mode="bilinear"), [x])
    assert ax.autograd.gradcheck(lambda x_: F.interpolate(x_, scale_factor=2, mode="nearest"), [x])


def test_interpolate_on_every_device(device):
    x = randn(2, 3, 4, 5)
    results = []
    for dev in ("cpu", device):
        t = ax.tensor(x, device=dev, requires_grad=True)
        out = F.interpolate(t, size=(7, 9), mode="bilinear")
        (out * out).sum().backward()
        results.append((out.cpu().numpy(), t.grad.cpu().numpy()))
    for a, c in zip(*results):
        np.testing.assert_allclose(c, a, rtol=1e-5, atol=1e-6)


def test_interpolate_errors():
    x = ax.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match=r"^\[interpolate\] align_corners option can only be set"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match=r"^\[interpolate\] only one of size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match=r"^\[interpolate\] mode 'bilinear' got a 3-D input"):
        F.interpolate(ax.zeros(1, 1, 4), scale_factor=2, mode="bilinear")
    with pytest.raises(NotImplementedError, match=r"^\[interpolate\] mode 'bicubic' is not supported"):
        F.interpolate(x, scale_factor=2, mode="bicubic")
