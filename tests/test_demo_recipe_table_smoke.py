"""benchmarks/demo_recipe_table.py keeps working and compares like with like: a short run on the embedded sample
trains the demo's network in both libraries from the same weights on the same batches, so their test accuracies
agree to rounding (a wrong twin, schedule or loss shows as a gap); the times mean nothing here."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import axonal

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(axonal.__file__)))  # the session's axonal
SCRIPT = ROOT / "benchmarks" / "demo_recipe_table.py"


@pytest.mark.skipif(not SCRIPT.exists(), reason="benchmarks/ not present (installed package only)")
def test_demo_recipe_table_short_run_gives_matching_accuracies():
    env = dict(os.environ, PYTHONPATH=PACKAGE_PARENT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, str(SCRIPT), "--sample", "--epochs", "2", "--max-batches", "12", "--threads", "1"]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = dict(re.findall(r"^\| (axonal|torch) \| [\d.]+ \([^)]*\) \| ([\d.]+) ", result.stdout, re.M))
    assert sorted(rows) == ["axonal", "torch"], result.stdout
    acc = {k: float(v) for k, v in rows.items()}
    # 24 batches of training lift the sample's test accuracy well above chance (0.1) in both libraries ...
    assert min(acc.values()) > 0.4, result.stdout
    # ... and identical starts and batches keep them within a few test images of each other (1000 test images).
    assert abs(acc["axonal"] - acc["torch"]) <= 0.01, result.stdout
    # The last batch's loss (label smoothing included) agrees to rounding too.
    losses = dict(re.findall(r"run 1 (axonal|torch) *: .* last batch loss ([\d.]+)", result.stdout))
    assert abs(float(losses["axonal"]) / float(losses["torch"]) - 1) < 0.01, result.stdout
    assert re.search(r"torch / axonal training time: [\d.]+x", result.stdout), result.stdout
