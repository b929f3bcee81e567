"""The recurrent / embedding / autoencoder examples run end to end as scripts on the embedded sample (or a slice of
the text) and reach what they should; each writes its outputs under --out. The full-data numbers are in
examples/README.md."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

import axonal as ax

ROOT = Path(__file__).resolve().parents[1]


def run_example(name, args, tmp_path):
    script = ROOT / "examples" / name
    if not script.exists():
        pytest.skip("examples/ not present (installed package only)")
    package_parent = str(Path(ax.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")])),
           "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, str(script), *args, "--out", str(tmp_path / "out")], capture_output=True,
                            text=True, timeout=600, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout, tmp_path / "out"


def is_png(path):
    return path.read_bytes()[:4] == b"\x89PNG"


def test_lstm_classifier_on_the_sample(tmp_path):
    out, folder = run_example("lstm_fashion_mnist.py", ["--sample", "--epochs", "1", "--no-progress"], tmp_path)
    accuracy = float(out.split("test accuracy: ")[1].split()[0])
    assert accuracy > 0.5, out  # one epoch on 5 000 images reads ~0.7; chance is 0.1
    state = ax.load(folder / "lstm_best.safetensors")
    assert "lstm.weight_ih_l0" in state["model"] and "lstm.weight_hh_l1" in state["model"]
    if "no plot" not in out:
        assert is_png(folder / "lstm_curves.png")


def test_autoencoders_on_the_sample(tmp_path):
    out, folder = run_example("autoencoder.py", ["--sample", "--epochs", "1", "--no-progress"], tmp_path)
    baseline = float(out.split("predicting the mean test image gives ")[1].split(")")[0])
    for kind in ("dense", "conv"):
        error = float(out.split(f"{kind} autoencoder: test reconstruction error (MSE per pixel) ")[1].split(";")[0])
        assert error < 0.75 * baseline, out  # better than drawing the average image, after one short epoch
        assert (folder / f"autoencoder_{kind}.safetensors").exists()
    if "no figure" not in out:
        assert is_png(folder / "reconstructions.png")


def test_char_lstm_on_a_slice_of_the_text(tmp_path):
    out, folder = run_example("char_lstm.py", ["--sample"], tmp_path)
    val = float(out.split("validation loss: ")[1].split()[0])
    first = float(out.split("(the first batch: ")[1].split(";")[0])
    assert val < first - 1.0, out  # 40 steps already learn the character frequencies
    sample = (folder / "sample.txt").read_text(encoding="utf-8")
    assert sample.startswith("The ") and len(sample) >= 400
    assert "chars" in ax.load(folder / "char_lstm.safetensors")
