"""Wheels: the cibuildwheel configuration in pyproject.toml selects what it should (default lane), and
`pip wheel .` builds a wheel that installs into a fresh virtual environment and trains there with no compiler
(slow lane: `pytest -m slow tests/test_wheel.py`).

Measured on the 2-core dev machine while other builds ran: `pip wheel .` 6 min 17 s (2 min 18 s of CPU: the C++
kernels and the emulated CUDA module), installing the wheel and its dependencies into a fresh venv 14 s, one epoch
of the smoke test 12 s."""
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYTHONS = ["cp39", "cp310", "cp311", "cp312", "cp313"]


def _pyproject():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _identifiers(platform, archs):
    pytest.importorskip("cibuildwheel", reason="cibuildwheel is in the test extra")
    out = subprocess.run([sys.executable, "-m", "cibuildwheel", "--print-build-identifiers", "--platform", platform,
                          "--archs", archs], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "warning" not in out.stderr.lower(), out.stderr
    return out.stdout.split()


def test_cibuildwheel_linux_x86_64_and_aarch64():
    ids = _identifiers("linux", "x86_64,aarch64")
    assert sorted(ids) == sorted(f"{py}-manylinux_{arch}" for py in PYTHONS for arch in ("x86_64", "aarch64"))


@pytest.mark.parametrize("arch", ["x86_64", "arm64"])
def test_cibuildwheel_macos(arch):
    assert sorted(_identifiers("macos", arch)) == sorted(f"{py}-macosx_{arch}" for py in PYTHONS)


def test_cibuildwheel_options():
    cfg = _pyproject()["tool"]["cibuildwheel"]
    assert "wheel_smoke.py" in cfg["test-command"] and "python -m axonal" in cfg["test-command"]
    assert cfg["linux"]["manylinux-x86_64-image"] == cfg["linux"]["manylinux-aarch64-image"] == "manylinux_2_28"
    mac = cfg["macos"]
    assert "libomp" in mac["before-all"] and "libomp" in mac["environment"]["OpenMP_ROOT"]
    assert float(mac["environment"]["MACOSX_DEPLOYMENT_TARGET"]) >= 11


def _run(cmd, **kwargs):
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    assert out.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{out.stdout[-4000:]}\n{out.stderr[-4000:]}"
    return out.stdout, time.perf_counter() - start


@pytest.mark.slow
def test_wheel_installs_into_a_fresh_venv_and_trains(tmp_path):
    if not (ROOT / "CMakeLists.txt").exists():
        pytest.skip("needs the source tree")
    wheels = tmp_path / "wheels"
    _, build_s = _run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-w", str(wheels), "-q"],
                      timeout=3000)
    (wheel,) = wheels.glob("axonal-*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)  # no system site-packages, nothing from here
    python = env_dir / "bin" / "python"
    # No compiler: none on PATH, CC/CXX that fail, and binary wheels only, so nothing can be built from source.
    env = {"PATH": f"{env_dir / 'bin'}:/nonexistent", "CC": "/bin/false", "CXX": "/bin/false", "HOME": str(tmp_path),
           "OMP_NUM_THREADS": "2"}
    # pip's own settings and the way out to the package index (an index mirror, a proxy, certificates)
    env.update({k: v for k, v in os.environ.items()
                if k.startswith("PIP_") or k.lower() in ("http_proxy", "https_proxy", "no_proxy", "ssl_cert_file")})
    _, install_s = _run([str(python), "-m", "pip", "install", "-q", "--only-binary", ":all:", str(wheel)], env=env,
                        timeout=900)
    info, _ = _run([str(python), "-m", "axonal"], env=env, cwd=tmp_path, timeout=300)
    assert info.startswith("axonal ") and "CPU kernels:" in info
    smoke, train_s = _run([str(python), str(ROOT / "scripts" / "wheel_smoke.py")], env=env, cwd=tmp_path, timeout=600)
    assert "wheel_smoke: axonal" in smoke and str(env_dir) in smoke
    typed, _ = _run([str(python), "-c", "import axonal, pathlib, importlib.metadata as m; "
                     "p = pathlib.Path(axonal.__file__).parent; "
                     "print(m.version('axonal') == axonal.__version__, *(int((p / f).is_file()) for f in "
                     "('py.typed', '_C.pyi', '_tensor_api.pyi')))"], env=env, cwd=tmp_path, timeout=120)
    assert typed.split() == ["True", "1", "1", "1"]
    print(f"\nwheel: build {build_s:.0f} s, install into a fresh venv {install_s:.0f} s, smoke epoch {train_s:.0f} s"
          f"\n{smoke.strip()}")
