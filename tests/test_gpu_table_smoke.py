"""benchmarks/gpu_table.py keeps working: its --smoke mode runs every axonal case once on the emulated CUDA
device (the timings mean nothing there; the script, the models and the device code paths are what is checked).
On a real GPU scripts/gpu_check.sh runs the table for its numbers."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "gpu_table.py"


@pytest.mark.skipif(not SCRIPT.exists(), reason="benchmarks/ not present (installed package only)")
def test_gpu_table_smoke_on_the_emulated_device():
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python") + os.pathsep + os.environ.get("PYTHONPATH", ""),
               AXONAL_CUDA_EMULATE="1")
    result = subprocess.run([sys.executable, str(SCRIPT), "--smoke"], env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for row in ("| 64 ", "conv3x3", "max_pool2d", "| cnn, 4", "| mlp, 4", "| resnet8, 4"):
        assert row in result.stdout, row
