"""`python -m axonal` (axonal/info.py) and the one version source (python/axonal/_version.py, read by
pyproject.toml through scikit-build-core's regex provider)."""
import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import axonal
from axonal import info

ROOT = Path(__file__).resolve().parents[1]


def run_module(**env):
    full = dict(os.environ, **env)
    out = subprocess.run([sys.executable, "-m", "axonal"], capture_output=True, text=True, env=full, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_python_m_axonal_prints_the_installation(tmp_path):
    text = run_module(OMP_NUM_THREADS="3", AXONAL_DATA=str(tmp_path), AXONAL_CUDA_EMULATE="0")
    lines = text.splitlines()
    assert lines[0].startswith(f"axonal {axonal.__version__} (Python ")
    assert re.fullmatch(r"CPU kernels: (avx512|avx2|generic)( \(the CPU has \w+\))?, GEMM kernel \w+", lines[1])
    assert lines[2].startswith("threads: 3")
    assert lines[3].startswith("CUDA: not available: ")
    assert lines[4] == "Fashion-MNIST is looked for in (in order):"
    assert lines[5] == f"  {tmp_path}"  # $AXONAL_DATA first (it exists), then its fashion-mnist/ subfolder
    assert lines[6] == f"  {tmp_path / 'fashion-mnist'}  (absent)"
    assert "fashion-mnist" in lines[7] and ".cache" in lines[7]


def test_python_m_axonal_on_the_emulated_device():
    assert "CUDA: available: axonal emulated CUDA device" in run_module(AXONAL_CUDA_EMULATE="1")


def test_report_matches_the_library():
    r = info.report()
    assert r["version"] == axonal.__version__
    assert r["threads"] == axonal.get_num_threads()
    assert r["cuda_available"] == axonal.cuda.is_available()
    assert r["cuda_reason"] == axonal.cuda.unavailable_reason()
    assert [d for d, _ in r["data_dirs"]] == list(dict.fromkeys(map(str, axonal.data.datasets.fashion.search_dirs())))


def test_cpu_level_uses_cpu_info_where_it_exists(monkeypatch):
    """axonal.cpu_info() (the ISA-dispatch build) decides the level; without it the AVX2 probe does."""
    monkeypatch.setattr(axonal, "cpu_info", lambda: {"isa": "avx2", "cpu_isa": "avx512"}, raising=False)
    assert info._cpu_level() == {"isa": "avx2", "cpu_isa": "avx512"}
    assert "CPU kernels: avx2 (the CPU has avx512)" in info.format_report(info.report())
    monkeypatch.delattr(axonal, "cpu_info")
    monkeypatch.delattr(axonal._C, "cpu_info", raising=False)
    assert info._cpu_level()["isa"] == ("avx2" if axonal._C.avx2_enabled() else "generic")


# ---- one version source ------------------------------------------------------------------------------------
def _pyproject():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_version_is_written_once():
    meta = _pyproject()
    assert "version" not in meta["project"] and "version" in meta["project"]["dynamic"]
    provider = meta["tool"]["scikit-build"]["metadata"]["version"]
    assert provider["provider"] == "scikit_build_core.metadata.regex"
    source = (ROOT / provider["input"]).read_text()
    # scikit-build-core's default pattern for the version
    found = re.findall(r'(?im)^(?:__version__|VERSION)(?: ?: ?str)? *= *([\'"])v?(.+?)\1', source)
    assert [v for _, v in found] == [axonal.__version__]
    for path in ROOT.joinpath("python", "axonal").rglob("*.py"):  # nowhere else in the package
        if path.name != "_version.py":
            assert not re.search(r"(?m)^__version__ *=", path.read_text()), path


def test_installed_metadata_agrees():
    try:
        dist = importlib.metadata.distribution("axonal")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("axonal is not installed (running from the source tree)")
    if Path(axonal.__file__).resolve().parent != Path(dist.locate_file("axonal")).resolve():
        pytest.skip("the axonal imported is not the installed distribution")
    assert dist.version == axonal.__version__
