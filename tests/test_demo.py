"""The main job and the examples run end to end (on the embedded sample, one short epoch)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

import axonal as ax
from axonal import demo

ROOT = Path(__file__).resolve().parents[1]


def test_demo_trains_and_writes_checkpoint_and_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert demo.main(["--sample", "--epochs", "1", "--out", str(tmp_path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "test accuracy" in out
    accuracy = float(out.split("test accuracy ")[1].split(",")[0])
    assert accuracy > 0.6  # one epoch on 5 000 images: well above chance (0.1)
    state = ax.load(tmp_path / "fashion_cnn.safetensors")
    assert set(state) == {"model", "optimizer", "epoch"}
    assert (tmp_path / "fashion_cnn_curves.png").read_bytes()[:4] == b"\x89PNG"


def test_regression_example_reaches_its_threshold():
    script = ROOT / "examples" / "regression_mse.py"
    if not script.exists():
        pytest.skip("examples/ not present (installed package only)")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr
    assert "reached the target" in result.stdout


@pytest.mark.parametrize("name", ["cnn_fashion_mnist.py", "mlp_fashion_mnist.py"])
def test_fashion_examples_run_on_the_sample(name, tmp_path):
    script = ROOT / "examples" / name
    if not script.exists():
        pytest.skip("examples/ not present (installed package only)")
    # Run in tmp_path (the script writes its checkpoint into the working directory), importing the same
    # axonal as this test session.
    package_parent = str(Path(ax.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, str(script), "--sample", "--epochs", "1"], capture_output=True,
                            text=True, timeout=600, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    accuracy = float(result.stdout.split("test accuracy: ")[1].split()[0])
    assert accuracy > 0.6, result.stdout
