"""Checkpoints: safetensors round trips, resuming training exactly, and refusing bad files."""
import json
import os

import numpy as np
import pytest

import axonal as ax
import axonal.nn.functional as F
from axonal import nn, optim


def small_model():
    return nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))


def batches(n=12, seed=1):
    rng = np.random.default_rng(seed)
    return [(ax.tensor(rng.standard_normal((5, 6)).astype(np.float32)), ax.tensor(rng.integers(0, 3, 5)))
            for _ in range(n)]


def train_steps(model, opt, data):
    losses = []
    for x, y in data:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def test_nested_round_trip_keeps_types(tmp_path):
    obj = {"model": {"w": ax.ones(2, 3), "b": ax.zeros(3, dtype=ax.float64)},
           "optimizer": {"state": {0: {"step": 3, "exp_avg": np.arange(4, dtype=np.float32)}},
                         "param_groups": [{"lr": 0.1, "betas": (0.9, 0.99), "params": [0], "amsgrad": False}]},
           "epoch": 7, "name": "run", "none": None}
    path = tmp_path / "ckpt.safetensors"
    ax.save(obj, path, metadata={"author": "test"})
    back, meta = ax.load(path, return_metadata=True)
    assert meta["author"] == "test"
    assert isinstance(back["model"]["w"], ax.Tensor) and back["model"]["w"].shape == (2, 3)
    assert back["model"]["b"].dtype == np.float64
    state = back["optimizer"]["state"][0]  # int keys stay ints
    assert isinstance(state["exp_avg"], np.ndarray) and state["exp_avg"].tolist() == [0, 1, 2, 3]
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.99)
    assert back["epoch"] == 7 and back["name"] == "run" and back["none"] is None


def read_raw(path):
    """(arrays, metadata) straight from the file, through safetensors only."""
    from safetensors import safe_open
    with safe_open(str(path), framework="numpy") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, dict(f.metadata())


def test_flat_state_dict_is_stored_under_its_own_names(tmp_path):
    model = small_model()
    path = tmp_path / "m.safetensors"
    ax.save(model.state_dict(), path)
    arrays, meta = read_raw(path)
    assert sorted(arrays) == sorted(model.state_dict())  # 2 Linear x (weight, bias) + BatchNorm's 2 params, 3 buffers
    for name, value in model.state_dict().items():
        assert arrays[name].dtype == value.dtype and arrays[name].shape == value.shape
        np.testing.assert_array_equal(arrays[name], value.numpy())
    assert arrays["1.num_batches_tracked"].shape == () and arrays["1.num_batches_tracked"].dtype == np.int64
    assert meta["axonal.format"] == "2" and "axonal.tree" in meta
    back = ax.load(path)
    assert list(back) == list(model.state_dict())  # the state_dict's order, from the tree
    assert all(isinstance(v, ax.Tensor) for v in back.values())


def test_nested_checkpoint_uses_dotted_names(tmp_path):
    model = small_model()
    opt = optim.Adam(model.parameters(), lr=1e-2)
    train_steps(model, opt, batches(2))
    path = tmp_path / "ckpt.safetensors"
    ax.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3, "shape": (2, [3])}, path)
    arrays, meta = read_raw(path)
    expected = {f"model.{k}" for k in model.state_dict()}
    expected |= {f"optimizer.state.{i}.{name}" for i in range(6) for name in ("exp_avg", "exp_avg_sq")}
    assert set(arrays) == expected  # the epoch, steps and param_groups are metadata, not tensors
    tree = json.loads(meta["axonal.tree"])
    assert [k for k, _ in tree["__dict__"]] == ["model", "optimizer", "epoch", "shape"]
    back = ax.load(path)
    assert back["epoch"] == 3 and back["shape"] == (2, [3]) and back["optimizer"]["state"][0]["step"] == 2
    assert list(back["optimizer"]["state"]) == list(range(6))


def test_name_collisions_get_a_suffix_and_round_trip(tmp_path):
    obj = {"a.b": ax.ones(1), "a": {"b": ax.full((2,), 2.0)}, "__metadata__": ax.zeros(3), "": ax.full((1,), 4.0),
           "l": [ax.ones(1), [np.zeros(2)]]}
    path = tmp_path / "c.safetensors"
    ax.save(obj, path)
    arrays, _ = read_raw(path)
    assert set(arrays) == {"a.b", "a.b#1", "__metadata__#1", "#1", "l.0", "l.1.0"}
    back = ax.load(path)
    assert list(back) == list(obj)
    assert back["a.b"].tolist() == [1.0] and back["a"]["b"].tolist() == [2.0, 2.0]
    assert back["__metadata__"].shape == (3,) and back[""].tolist() == [4.0]
    assert isinstance(back["l"][1][0], np.ndarray)


def write_first_format(path, obj_tree, arrays):
    """A checkpoint as axonal's first format wrote it: names '<n>:<path>', 0-d arrays stored as shape (1,)."""
    from safetensors.numpy import save_file
    save_file(arrays, str(path), metadata={"axonal.tree": json.dumps(obj_tree), "axonal.format": "1"})


def test_first_format_files_still_load(tmp_path):
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    arrays = {"0:model.w": w, "1:model.n": np.array([5], dtype=np.int64), "2:opt.state.0.m": np.ones(3, np.float32)}
    tree = {"__dict__": [
        ["model", {"__dict__": [["w", {"__tensor__": "0:model.w", "shape": [2, 3]}],
                                ["n", {"__tensor__": "1:model.n", "shape": []}]]}],
        ["opt", {"__dict__": [["state", {"__dict__": [[0, {"__dict__": [["m", {"__array__": "2:opt.state.0.m",
                                                                                 "shape": [3]}]]}]]}]]}],
        ["epoch", 4]]}
    path = tmp_path / "old.safetensors"
    write_first_format(path, tree, arrays)
    back = ax.load(path)
    np.testing.assert_array_equal(back["model"]["w"].numpy(), w)
    assert back["model"]["n"].shape == () and back["model"]["n"].item() == 5
    assert isinstance(back["opt"]["state"][0]["m"], np.ndarray) and back["epoch"] == 4


def test_foreign_safetensors_file_loads_as_flat_dict(tmp_path):
    from safetensors.numpy import save_file
    path = tmp_path / "f.safetensors"
    save_file({"0.weight": np.ones((2, 4), np.float32), "0.bias": np.zeros(2, np.float32)}, str(path))
    back = ax.load(path)
    assert set(back) == {"0.weight", "0.bias"} and all(isinstance(v, ax.Tensor) for v in back.values())
    model = nn.Sequential(nn.Linear(4, 2))
    model.load_state_dict(back)
    assert model[0].weight.numpy().sum() == 8


def test_reserved_metadata_keys_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"\[save\] metadata key 'axonal.tree' is reserved"):
        ax.save({"w": ax.ones(1)}, tmp_path / "r.safetensors", metadata={"axonal.tree": "x"})


def test_pickles_are_refused_with_a_message_naming_safetensors(tmp_path):
    import pickle
    import zipfile
    raw = tmp_path / "raw.pkl"
    raw.write_bytes(pickle.dumps({"w": [1.0, 2.0]}))
    zipped = tmp_path / "model.pth"
    with zipfile.ZipFile(zipped, "w") as z:  # torch.save's layout: <name>/data.pkl + storages
        z.writestr("model/data.pkl", pickle.dumps({"w": 1}))
        z.writestr("model/version", "3")
    old = tmp_path / "proto0.pt"
    old.write_bytes(pickle.dumps({"w": 1}, protocol=0))  # no magic byte: known by its suffix
    for path, what in ((raw, "a pickle"), (zipped, "PyTorch checkpoint in torch.save's zip format"),
                       (old, "not a valid safetensors checkpoint")):
        with pytest.raises(ValueError, match=r"\[load\]") as info:
            ax.load(path)
        message = str(info.value)
        assert what in message and "safetensors.torch.save_file" in message and "weights_only=True" in message
    plain_zip = tmp_path / "data.zip"
    with zipfile.ZipFile(plain_zip, "w") as z:
        z.writestr("a.txt", "hello")
    with pytest.raises(ValueError, match=r"is a zip archive, not a safetensors file"):
        ax.load(plain_zip)


def test_load_accepts_torch_load_keywords(tmp_path):
    path = tmp_path / "k.safetensors"
    ax.save({"w": ax.ones(2)}, path)
    assert ax.load(path, map_location="cpu", weights_only=True)["w"].tolist() == [1.0, 1.0]


def test_resume_from_checkpoint_matches_uninterrupted_run(tmp_path):
    data = batches()
    ax.manual_seed(0)
    model_a = small_model()
    opt_a = optim.Adam(model_a.parameters(), lr=1e-2)
    uninterrupted = train_steps(model_a, opt_a, data)

    ax.manual_seed(0)
    model_b = small_model()
    opt_b = optim.Adam(model_b.parameters(), lr=1e-2)
    first = train_steps(model_b, opt_b, data[:6])
    path = tmp_path / "resume.safetensors"
    ax.save({"model": model_b.state_dict(), "optimizer": opt_b.state_dict()}, path)

    ax.manual_seed(123)  # a different init, fully overwritten by the checkpoint
    model_c = small_model()
    opt_c = optim.Adam(model_c.parameters(), lr=1e-2)
    ckpt = ax.load(path)
    model_c.load_state_dict(ckpt["model"])
    opt_c.load_state_dict(ckpt["optimizer"])
    second = train_steps(model_c, opt_c, data[6:])
    assert first + second == uninterrupted  # bit-identical, not just close


def test_truncated_file_raises_clear_error(tmp_path):
    path = tmp_path / "t.safetensors"
    ax.save(small_model().state_dict(), path)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match=r"\[load\].*not a valid safetensors checkpoint"):
        ax.load(path)


@pytest.mark.parametrize("payload", [b"", b"garbage" * 10, b"\xff" * 8 + b"{}",
                                     (12).to_bytes(8, "little") + b"not json!!!!"])
def test_garbage_file_raises_clear_error(tmp_path, payload):
    path = tmp_path / "g.safetensors"
    path.write_bytes(payload)
    with pytest.raises(ValueError, match=r"\[load\]"):
        ax.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"\[load\]"):
        ax.load(tmp_path / "nope.safetensors")


def test_failed_save_leaves_existing_file_intact(tmp_path):
    path = tmp_path / "keep.safetensors"
    ax.save({"w": ax.ones(3)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=r"\[save\]"):
        ax.save({"w": ax.zeros(3), "bad": object()}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.safetensors"]  # no temp files left behind


def test_load_into_model_with_wrong_shape_names_key(tmp_path):
    path = tmp_path / "m.safetensors"
    ax.save(nn.Linear(4, 2).state_dict(), path)
    with pytest.raises(ValueError, match=r"weight.*\(2, 4\).*\(3, 4\)"):
        nn.Linear(4, 3).load_state_dict(ax.load(path))


def test_checkpoint_uses_no_pickle(tmp_path):
    path = tmp_path / "m.safetensors"
    ax.save({"model": small_model().state_dict()}, path)
    assert b"pickle" not in path.read_bytes() and not os.fspath(path).endswith(".pkl")
