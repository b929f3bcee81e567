"""Checkpoints shared with PyTorch through safetensors, both ways: a CNN with BatchNorm buffers, and an optimizer's
state (the nested format's tree, read and written from torch with nothing but the safetensors package)."""
import json

import numpy as np
import pytest

import axonal as ax
import axonal.nn.functional as F
from axonal import nn, optim

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")
from safetensors import safe_open  # noqa: E402


def ax_cnn():  # no conv bias: BatchNorm cancels its gradient, and Adam would amplify the rounding noise
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(4 * 4 * 4, 3))


def torch_cnn():
    tnn = torch.nn
    return tnn.Sequential(tnn.Conv2d(1, 4, 3, padding=1, bias=False), tnn.BatchNorm2d(4), tnn.ReLU(), tnn.MaxPool2d(2),
                          tnn.Flatten(), tnn.Linear(4 * 4 * 4, 3))


def data(n=8, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((6, 1, 8, 8)).astype(np.float32), rng.integers(0, 3, 6)) for _ in range(n)]


def ax_train(model, opt, batches):
    model.train()
    for x, y in batches:
        opt.zero_grad()
        F.cross_entropy(model(ax.tensor(x)), ax.tensor(y)).backward()
        opt.step()


def torch_train(model, opt, batches):
    model.train()
    for x, y in batches:
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        opt.step()


def ax_eval(model, x):
    model.eval()
    with ax.no_grad():
        return model(ax.tensor(x)).numpy()


def torch_eval(model, x):
    model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy()


def assert_same_state(ax_model, torch_model, rtol=1e-5, atol=1e-6):
    ours, theirs = ax_model.state_dict(), torch_model.state_dict()
    assert list(ours) == list(theirs)
    for k in ours:
        np.testing.assert_allclose(ours[k].numpy(), theirs[k].numpy(), rtol=rtol, atol=atol, err_msg=k)


def torch_read_tree(path):
    """Decodes an axonal nested checkpoint in PyTorch, following io.py's documented tree (no axonal code)."""
    with safe_open(str(path), framework="pt") as f:
        tensors = {k: f.get_tensor(k) for k in f.keys()}
        tree = json.loads(f.metadata()["axonal.tree"])

    def walk(node):
        if isinstance(node, dict):
            if "__tensor__" in node or "__array__" in node:
                return tensors[node.get("__tensor__", node.get("__array__"))]
            if "__tuple__" in node:
                return tuple(walk(v) for v in node["__tuple__"])
            return {k: walk(v) for k, v in node["__dict__"]}
        return [walk(v) for v in node] if isinstance(node, list) else node

    return walk(tree)


def torch_write_tree(obj, path):
    """Writes a nested torch checkpoint in axonal's documented format with safetensors.torch.save_file."""
    tensors = {}

    def walk(o, where):
        if isinstance(o, torch.Tensor):
            tensors[where] = o.detach().contiguous()
            return {"__tensor__": where, "shape": list(o.shape)}
        if isinstance(o, dict):
            return {"__dict__": [[k, walk(v, f"{where}.{k}" if where else str(k))] for k, v in o.items()]}
        if isinstance(o, tuple):
            return {"__tuple__": [walk(v, f"{where}.{i}") for i, v in enumerate(o)]}
        if isinstance(o, list):
            return [walk(v, f"{where}.{i}") for i, v in enumerate(o)]
        return o

    tree = walk(obj, "")
    safetensors_torch.save_file(tensors, str(path), metadata={"axonal.format": "2", "axonal.tree": json.dumps(tree)})


def twins(seed=0):
    """An axonal CNN and a torch CNN holding the same weights."""
    torch.manual_seed(seed)
    theirs = torch_cnn()
    ours = ax_cnn()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def test_axonal_state_dict_loads_into_torch_with_load_file(tmp_path):
    ours, _ = twins()
    ax_train(ours, optim.SGD(ours.parameters(), lr=0.1, momentum=0.9), data(4))  # moves the BatchNorm buffers
    path = tmp_path / "cnn.safetensors"
    ax.save(ours.state_dict(), path)
    theirs = torch_cnn()
    result = theirs.load_state_dict(safetensors_torch.load_file(str(path)), strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert theirs[1].num_batches_tracked.item() == 4 and theirs[1].num_batches_tracked.shape == ()
    assert_same_state(ours, theirs, rtol=0, atol=0)
    x = data(1, seed=5)[0][0]
    np.testing.assert_allclose(torch_eval(theirs, x), ax_eval(ours, x), rtol=1e-5, atol=1e-5)


def test_torch_save_file_state_dict_loads_into_axonal(tmp_path):
    torch.manual_seed(1)
    theirs = torch_cnn()
    torch_train(theirs, torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9), data(4))
    path = tmp_path / "torch_cnn.safetensors"
    safetensors_torch.save_file(theirs.state_dict(), str(path))
    ours = ax_cnn()
    missing, unexpected = ours.load_state_dict(ax.load(path))
    assert not missing and not unexpected
    assert ours[1].num_batches_tracked.item() == 4 and ours[1].num_batches_tracked.dtype == np.int64
    assert_same_state(ours, theirs, rtol=0, atol=0)
    x = data(1, seed=6)[0][0]
    np.testing.assert_allclose(ax_eval(ours, x), torch_eval(theirs, x), rtol=1e-5, atol=1e-5)


def test_optimizer_state_axonal_to_torch_resumes_the_same_training(tmp_path):
    batches = data(10)
    ours, theirs = twins(2)
    ours_opt = optim.Adam(ours.parameters(), lr=1e-2)
    ax_train(ours, ours_opt, batches[:5])
    path = tmp_path / "ckpt.safetensors"
    ax.save({"model": ours.state_dict(), "optimizer": ours_opt.state_dict(), "epoch": 5}, path)

    # PyTorch side: the model's tensors under readable names, the optimizer through the metadata tree.
    flat = safetensors_torch.load_file(str(path))
    theirs.load_state_dict({k[len("model."):]: v for k, v in flat.items() if k.startswith("model.")})
    ckpt = torch_read_tree(path)
    assert ckpt["epoch"] == 5 and ckpt["optimizer"]["state"][0]["step"] == 5
    theirs_opt = torch.optim.Adam(theirs.parameters(), lr=1e-3)
    theirs_opt.load_state_dict(ckpt["optimizer"])
    assert theirs_opt.param_groups[0]["lr"] == 1e-2 and tuple(theirs_opt.param_groups[0]["betas"]) == (0.9, 0.999)

    ax_train(ours, ours_opt, batches[5:])
    torch_train(theirs, theirs_opt, batches[5:])
    assert_same_state(ours, theirs, rtol=1e-4, atol=1e-5)


def test_optimizer_state_torch_to_axonal_resumes_the_same_training(tmp_path):
    batches = data(10, seed=3)
    ours, theirs = twins(3)
    theirs_opt = torch.optim.Adam(theirs.parameters(), lr=1e-2)
    torch_train(theirs, theirs_opt, batches[:5])
    path = tmp_path / "torch_ckpt.safetensors"
    torch_write_tree({"model": theirs.state_dict(), "optimizer": theirs_opt.state_dict(), "epoch": 5}, path)

    ckpt = ax.load(path)
    assert ckpt["epoch"] == 5 and isinstance(ckpt["optimizer"]["state"][0]["exp_avg"], ax.Tensor)
    ours.load_state_dict(ckpt["model"])
    ours_opt = optim.Adam(ours.parameters(), lr=1e-3)
    ours_opt.load_state_dict(ckpt["optimizer"])
    assert ours_opt.param_groups[0]["lr"] == 1e-2 and ours_opt.state[ours[0].weight]["step"] == 5

    ax_train(ours, ours_opt, batches[5:])
    torch_train(theirs, theirs_opt, batches[5:])
    assert_same_state(ours, theirs, rtol=1e-4, atol=1e-5)


def test_torch_pickles_are_refused(tmp_path):
    for name, kwargs in (("model.pth", {}), ("legacy.pt", {"_use_new_zipfile_serialization": False})):
        path = tmp_path / name
        torch.save(torch_cnn().state_dict(), path, **kwargs)
        with pytest.raises(ValueError, match=r"\[load\] .* not a safetensors file: .*safetensors\.torch\.save_file"):
            ax.load(path)


def test_bfloat16_tensors_load_as_float32_exactly(tmp_path):
    values = torch.tensor([1.0, -2.5, 3.140625, 1e-3, -65280.0]).to(torch.bfloat16)
    path = tmp_path / "bf16.safetensors"
    safetensors_torch.save_file({"w": values.reshape(1, 5), "n": torch.tensor(3)}, str(path))
    back = ax.load(path)
    assert back["w"].dtype == np.float32 and back["w"].shape == (1, 5)
    np.testing.assert_array_equal(back["w"].numpy()[0], values.float().numpy())
    assert back["n"].item() == 3
