"""Without a usable GPU nothing lies: asking for "cuda" raises RuntimeError saying why, never a silent CPU
fallback, and importing axonal needs neither CuPy nor a driver. Run in a subprocess with the emulated device
off (conftest.py switches it on for the rest of the session)."""
import os
import subprocess
import sys
import textwrap

import pytest

import axonal

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The subprocess imports the same axonal as this session (installed, or the source tree's python/).
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(axonal.__file__)))

SCRIPT = textwrap.dedent("""
    import sys
    import axonal as ax
    from axonal import nn
    assert "cupy" not in sys.modules, "importing axonal imported CuPy"
    assert ax.cuda.is_available() is False and ax.cuda.device_count() == 0
    reason = ax.cuda.unavailable_reason()
    print("REASON", reason)
    calls = {
        "tensor.to": lambda: ax.ones(2).to("cuda"),
        "tensor.cuda": lambda: ax.ones(2).cuda(),
        "zeros(device=)": lambda: ax.zeros(2, device="cuda"),
        "tensor(device=)": lambda: ax.tensor([1.0], device="cuda:0"),
        "model.to": lambda: nn.Linear(2, 2).to("cuda"),
        "Linear(device=)": lambda: nn.Linear(2, 2, device="cuda"),
        "load(map_location=)": lambda: ax.load(sys.argv[1], map_location="cuda"),
        "synchronize": lambda: ax.cuda.synchronize(),
    }
    ax.save({"w": ax.ones(2)}, sys.argv[1])
    for name, call in calls.items():
        try:
            call()
        except RuntimeError as e:
            assert str(e).startswith("[cuda] no CUDA device can be used: ") and reason in str(e), (name, str(e))
        else:
            raise AssertionError(f"{name} did not raise")
    m = nn.Linear(2, 2)
    w = m.weight.data
    try:
        m.to("cuda")
    except RuntimeError:
        pass
    assert m.weight.data is w and m.weight.device == "cpu"  # a failed move leaves the model as it was
    print("OK")
""")


def _run(tmp_path, **env):
    full_env = dict(os.environ, PYTHONPATH=PACKAGE_PARENT + os.pathsep + os.environ.get("PYTHONPATH", ""),
                    **env)
    return subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "c.safetensors")], env=full_env,
                          capture_output=True, text=True, timeout=120)


def test_cuda_requests_raise_without_a_gpu(tmp_path):
    try:
        import cupy  # noqa: F401
        pytest.skip("CuPy is installed here: the no-CuPy reason cannot be shown")
    except ImportError:
        pass
    result = _run(tmp_path, AXONAL_CUDA_EMULATE="0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "REASON CuPy is not installed (pip install 'axonal[cuda]')" in result.stdout
    assert "OK" in result.stdout
