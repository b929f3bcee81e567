"""What fit and the demo leave in logs and plots: a live progress bar only on a terminal (a CI log gets one
line per epoch, no carriage-return redraws), plots with whole-number epochs and the test set called "test"."""
import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import textwrap

import numpy as np
import pytest

from axonal.train.history import History
from axonal.train.loop import _draws_bar

# Two epochs of a tiny model with progress on; what the child printed is read back raw.
FIT_SCRIPT = textwrap.dedent("""
    import numpy as np
    import axonal as ax
    from axonal import nn, optim
    from axonal.data import DataLoader, TensorDataset
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    ax.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    ax.train.fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                 DataLoader(TensorDataset(x, y), batch_size=10), epochs=2, progress=True)
""")


def _env():
    return dict(os.environ, COLUMNS="100", TERM="xterm")


def test_no_bar_when_the_output_is_not_a_terminal():
    out = subprocess.run([sys.executable, "-c", FIT_SCRIPT], capture_output=True, env=_env(), timeout=120)
    assert out.returncode == 0, out.stderr.decode()
    logged = out.stdout + out.stderr
    assert b"\r" not in logged
    lines = logged.decode().splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch 1/2", "epoch 2/2"]  # one line per epoch, nothing else
    assert all("images/s" in line for line in lines)


def test_bar_on_a_terminal():
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a 100-column terminal
    proc = subprocess.Popen([sys.executable, "-c", FIT_SCRIPT], stdin=child, stdout=child, stderr=child,
                            env=_env(), close_fds=True)
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    assert proc.wait(timeout=120) == 0
    shown = b"".join(chunks)
    shown = shown.replace(b"\r\n", b"\n")  # the terminal's own newline translation
    assert b"\r" in shown and b"epoch 1/2: 100%" in shown and b"20/20" in shown  # tqdm's bar, redrawn in place
    assert b"epoch 2/2: loss" in shown  # and the epoch's line after it


def test_draws_bar_decides_on_the_stream():
    class Stream:
        def __init__(self, tty):
            self.tty = tty

        def isatty(self):
            if self.tty is None:
                raise ValueError("I/O operation on closed file")
            return self.tty

    assert _draws_bar(Stream(True))
    assert not _draws_bar(Stream(False))
    assert not _draws_bar(Stream(None))
    assert not _draws_bar(object())  # no isatty at all (a stand-in stream)


# ---- plots --------------------------------------------------------------------------------------------------
def _history(epochs=3):
    h = History()
    for e in range(1, epochs + 1):
        h.append(e, {"loss": 1.0 / e, "accuracy": 0.5 + 0.1 * e, "val_loss": 1.1 / e, "val_accuracy": 0.45 + 0.1 * e,
                     "lr": 0.1, "epoch_time": 1.0, "images_per_s": 100.0})
    return h


@pytest.mark.parametrize("epochs", [2, 3, 7])
def test_plot_epochs_are_whole_numbers(epochs):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    fig = _history(epochs).figure()
    try:
        for panel in fig.axes:
            lo, hi = panel.get_xlim()
            shown = [t for t in panel.get_xticks() if lo <= t <= hi]
            assert shown and all(float(t).is_integer() for t in shown), shown
            assert panel.get_xlabel() == "epoch"
    finally:
        plt.close(fig)


def test_plot_names_the_validation_curves():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    for val_label in ("validation", "test"):
        fig = _history().figure(val_label)
        try:
            legends = [[t.get_text() for t in panel.get_legend().get_texts()] for panel in fig.axes]
        finally:
            plt.close(fig)
        assert legends == [["train loss", f"{val_label} loss"], ["train accuracy", f"{val_label} accuracy"]]


def test_demo_plot_calls_the_test_curve_test(tmp_path, monkeypatch, capsys):
    """The demo validates on the test set, so its plot says "test" (training replaced by a canned History)."""
    pytest.importorskip("matplotlib")
    from axonal import demo, optim
    from axonal.models import fashion_cnn

    labels = []
    real_plot = History.plot

    def spy(self, path, val_label="validation"):
        labels.append(val_label)
        return real_plot(self, path, val_label)

    def canned(train, test, *args, **kwargs):
        model = fashion_cnn()
        return model, optim.Adam(model.parameters()), _history(2)

    monkeypatch.setattr(History, "plot", spy)
    monkeypatch.setattr(demo, "train_cnn", canned)
    assert demo.main(["--sample", "--epochs", "2", "--out", str(tmp_path)]) == 0
    assert labels == ["test"]
    assert (tmp_path / "fashion_cnn_curves.png").read_bytes()[:4] == b"\x89PNG"
    assert np.isfinite(float(capsys.readouterr().out.split("test accuracy ")[1].split(",")[0]))
