"""The linter: `ruff check` over the whole repository passes, with the configuration in pyproject.toml
([tool.ruff]: pycodestyle, pyflakes, import order, shadowed builtins). ruff is in the `test` extra."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_check_passes():
    pytest.importorskip("ruff", reason="ruff is in the test extra: pip install '.[test]'")
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"ruff check found problems (fix them or run `ruff check --fix`):\n{out.stdout}{out.stderr}"
