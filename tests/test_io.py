"""Checkpoints: safetensors round trips, resuming training exactly, and refusing bad files."""
import json
import os

import numpy as np
import pytest

import axonal as ax
from axonal import nn, optim
import axonal.nn.functional as F


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


def test_file_is_plain_safetensors(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    path = tmp_path / "m.safetensors"
    ax.save(small_model().state_dict(), path)
    arrays = safetensors_numpy.load_file(str(path))
    assert len(arrays) == 9  # 2 Linear layers x (weight, bias) + BatchNorm weight, bias and 3 buffers
    with open(path, "rb") as f:
        header_len = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(header_len))
    assert "axonal.tree" in header["__metadata__"]


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


@pytest.mark.parametrize("payload", [b"", b"garbage" * 10, b"\xff" * 8 + b"{}", (12).to_bytes(8, "little") + b"not json!!!!"])
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
