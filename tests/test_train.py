"""fit / evaluate / callbacks / History on small synthetic problems."""
import numpy as np
import pytest

import axonal as ax
from axonal import nn, optim
from axonal.data import DataLoader, TensorDataset
from axonal.train import EarlyStopping, ModelCheckpoint, evaluate, fit


def blobs(n=120, seed=0):
    """Three well-separated Gaussian blobs in 2-D: any small model learns them."""
    rng = np.random.default_rng(seed)
    centers = np.array([[3, 0], [-3, 0], [0, 3]], dtype=np.float32)
    y = rng.integers(0, 3, n)
    x = centers[y] + 0.5 * rng.standard_normal((n, 2)).astype(np.float32)
    return TensorDataset(ax.from_numpy(x.astype(np.float32)), ax.from_numpy(y.astype(np.int64)))


def model_and_opt(lr=0.05):
    ax.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    return model, optim.SGD(model.parameters(), lr=lr, momentum=0.9)


def test_fit_learns_and_logs_every_epoch():
    model, opt = model_and_opt()
    loader = DataLoader(blobs(), batch_size=16, shuffle=True, seed=0)
    history = fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=5, val_loader=DataLoader(blobs(seed=1), 40),
                  progress=False)
    assert history.epochs == [1, 2, 3, 4, 5]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr", "epoch_time", "images_per_s"):
        assert len(history[key]) == 5
    assert history["loss"][-1] < history["loss"][0]
    assert history.last("val_accuracy") > 0.95


def test_evaluate_matches_manual_computation_and_restores_mode():
    model, _ = model_and_opt()
    ds = blobs()
    model.train()
    result = evaluate(model, nn.CrossEntropyLoss(), DataLoader(ds, batch_size=7))
    assert model.training
    with ax.no_grad():
        out = model(ds.tensors[0])
        expected_loss = nn.functional.cross_entropy(out, ds.tensors[1]).item()
        expected_acc = float((out.numpy().argmax(1) == ds.tensors[1].numpy()).mean())
    assert result["loss"] == pytest.approx(expected_loss, rel=1e-5)
    assert result["accuracy"] == pytest.approx(expected_acc)


def test_early_stopping_at_target_loss():
    model, opt = model_and_opt()
    stop = EarlyStopping(monitor="loss", target=0.2, patience=None)
    history = fit(model, nn.CrossEntropyLoss(), opt, DataLoader(blobs(), 16, shuffle=True, seed=0), epochs=100,
                  callbacks=[stop], progress=False)
    assert history.last("loss") <= 0.2
    assert len(history.epochs) < 100 and stop.stopped_epoch == len(history.epochs)
    assert all(v > 0.2 for v in history["loss"][:-1])  # stopped at the first epoch that reached it


def test_early_stopping_patience():
    model, opt = model_and_opt(lr=0.0)  # nothing changes, so nothing improves after epoch 1
    stop = EarlyStopping(monitor="loss", patience=2)
    history = fit(model, nn.CrossEntropyLoss(), opt, DataLoader(blobs(), 40), epochs=10, callbacks=[stop],
                  progress=False)
    assert len(history.epochs) == 3


def test_model_checkpoint_saves_best_and_reloads(tmp_path):
    model, opt = model_and_opt()
    ckpt = ModelCheckpoint(tmp_path / "best.safetensors", monitor="val_loss")
    val = DataLoader(blobs(seed=1), 40)
    history = fit(model, nn.CrossEntropyLoss(), opt, DataLoader(blobs(), 16), epochs=3, val_loader=val,
                  callbacks=[ckpt], progress=False)
    assert ckpt.saved and (tmp_path / "best.safetensors").exists()
    state = ax.load(tmp_path / "best.safetensors")
    fresh, _ = model_and_opt()
    fresh.load_state_dict(state["model"])
    best = min(history["val_loss"])
    assert evaluate(fresh, nn.CrossEntropyLoss(), val)["loss"] == pytest.approx(best, rel=1e-5)


def test_scheduler_steps_once_per_epoch():
    model, opt = model_and_opt(lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    history = fit(model, nn.CrossEntropyLoss(), opt, DataLoader(blobs(), 40), epochs=3, scheduler=sched,
                  progress=False)
    assert history["lr"] == pytest.approx([0.1, 0.05, 0.025])
    assert opt.param_groups[0]["lr"] == pytest.approx(0.0125)


def test_scheduler_steps_every_batch_when_asked():
    """scheduler_interval="batch": the lr each optimizer step used is the one-cycle sequence, batch by batch."""
    model, opt = model_and_opt(lr=0.1)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=9)
    used, real_step = [], opt.step

    def spy_step(*args, **kwargs):
        used.append(opt.param_groups[0]["lr"])
        return real_step(*args, **kwargs)

    opt.step = spy_step
    fit(model, nn.CrossEntropyLoss(), opt, DataLoader(blobs(), 40), epochs=3, scheduler=sched,
        scheduler_interval="batch", progress=False)
    _, ref_opt = model_and_opt(lr=0.1)
    ref = optim.lr_scheduler.OneCycleLR(ref_opt, max_lr=0.1, total_steps=9)
    expected = []
    for _ in range(9):
        expected.append(ref_opt.param_groups[0]["lr"])
        ref.step()
    assert used == pytest.approx(expected)
    assert len(set(used[:3])) == 3  # it moved inside the first epoch


def test_scheduler_interval_is_checked():
    model, opt = model_and_opt()
    with pytest.raises(ValueError, match=r"\[fit\] scheduler_interval must be"):
        fit(model, nn.CrossEntropyLoss(), opt, DataLoader(blobs(), 40), epochs=1, scheduler_interval="step",
            progress=False)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(opt)
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        fit(model, nn.CrossEntropyLoss(), opt, DataLoader(blobs(), 40), epochs=1, scheduler=plateau,
            scheduler_interval="batch", progress=False)


def test_history_plot_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    model, opt = model_and_opt()
    history = fit(model, nn.CrossEntropyLoss(), opt, DataLoader(blobs(), 40), epochs=2,
                  val_loader=DataLoader(blobs(seed=1), 40), progress=False)
    path = history.plot(tmp_path / "curves.png")
    data = (tmp_path / "curves.png").read_bytes()
    assert path and data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_progress_bar_runs(capsys):
    model, opt = model_and_opt()
    fit(model, nn.CrossEntropyLoss(), opt, DataLoader(blobs(), 40), epochs=1, progress=True)
    captured = capsys.readouterr()
    assert "epoch 1/1" in captured.out + captured.err


def test_fit_rejects_bad_arguments():
    model, opt = model_and_opt()
    loader = DataLoader(blobs(), 40)
    with pytest.raises(ValueError, match=r"\[fit\]"):
        fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=-1)
    with pytest.raises(ValueError, match=r"\[fit\] unknown metric"):
        fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=1, metrics=("f1",), progress=False)
    with pytest.raises(TypeError, match=r"\[fit\] callbacks"):
        fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=1, callbacks=[object()], progress=False)
