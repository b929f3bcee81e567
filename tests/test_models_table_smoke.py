"""benchmarks/models_table.py keeps working: its --quick mode checks every network against its torch twin (the run
aborts on a mismatch) and times each case once or twice; the timings mean nothing here, the script, the twins, the
checks and the table are what is tested."""
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

import axonal

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]
# The subprocess imports the same axonal as this session (installed by pip in CI, or the source tree's python/).
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(axonal.__file__)))
SCRIPT = ROOT / "benchmarks" / "models_table.py"
CASES = ["demo_cnn", "mlp", "resnet8", "lenet5", "mlp_bn", "demo_cnn_infer", "demo_epoch"]
THREADS = ["1", "2"]


@pytest.mark.skipif(not SCRIPT.exists(), reason="benchmarks/ not present (installed package only)")
def test_models_table_quick_has_every_case_with_finite_ratios():
    env = dict(os.environ, PYTHONPATH=PACKAGE_PARENT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # demo_epoch is opt-in under --quick: named here so that its path (data, shared index order) runs too.
    cmd = [sys.executable, str(SCRIPT), "--quick", "--threads", *THREADS, "--cases", *CASES]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = {}
    for line in result.stdout.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and cells[0] in CASES:
            rows[(cells[0], cells[2])] = cells
    assert sorted(rows) == sorted((c, t) for c in CASES for t in THREADS), result.stdout
    for key, cells in rows.items():
        ratio = float(cells[-1])
        assert math.isfinite(ratio) and ratio > 0, (key, cells)
        for median in (cells[4], cells[6]):
            assert math.isfinite(float(median)) and float(median) > 0, (key, cells)
    assert "axonal" in result.stdout and "torch" in result.stdout and "CPU:" in result.stdout
