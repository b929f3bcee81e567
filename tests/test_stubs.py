"""The type stubs are what scripts/gen_stubs.py makes of the code now: axonal/_C.pyi and _C_cuda_emu.pyi
(pybind11-stubgen over the built extensions) and axonal/_tensor_api.pyi (Tensor's bound methods). A binding or a
method-table entry changed without regenerating fails here; the message says how to regenerate."""
import difflib
import importlib
import importlib.util
import sys
from pathlib import Path

import pytest

import axonal

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "python" / "axonal"
REGENERATE = "PYTHONPATH=python python scripts/gen_stubs.py"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_stubs", ROOT / "scripts" / "gen_stubs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated():
    if not (ROOT / "scripts" / "gen_stubs.py").exists():
        pytest.skip("needs the source tree (scripts/gen_stubs.py)")
    pytest.importorskip("pybind11_stubgen", reason="pybind11-stubgen is in the test extra")
    return _generator().generate()


@pytest.mark.parametrize("name", ["_tensor_api.pyi", "_C.pyi", "_C_cuda_emu.pyi"])
def test_stub_is_current(generated, name):
    committed = (SOURCE / name).read_text()
    if committed != generated[name]:
        diff = "".join(difflib.unified_diff(committed.splitlines(True), generated[name].splitlines(True),
                                            f"committed {name}", f"generated {name}", n=1))
        pytest.fail(f"python/axonal/{name} is out of date; regenerate with `{REGENERATE}`:\n{diff[:6000]}")


def test_the_package_ships_its_types():
    here = Path(axonal.__file__).parent  # the installed copy in CI, the source tree in development
    for name in ("py.typed", "_C.pyi", "_C_cuda_emu.pyi", "_tensor_api.pyi"):
        assert (here / name).is_file(), f"{name} missing from {here}"


def test_extension_stub_names_every_binding(generated):
    """What pybind11-stubgen saw is what the module has (a sanity check on the generator, not on its input)."""
    for module in ("_C", "_C_cuda_emu"):
        ext = sys.modules.get(f"axonal.{module}") or importlib.import_module(f"axonal.{module}")
        public = {n for n in dir(ext) if not n.startswith("_")}
        stub = generated[f"{module}.pyi"]
        missing = [n for n in public if f"def {n}(" not in stub and f"class {n}" not in stub and f"{n}:" not in stub]
        assert not missing, f"axonal.{module}: {missing} not in the generated stub"


def test_tensor_stub_declares_every_bound_method(generated):
    from axonal.tensor_methods import _METHODS

    stub = generated["_tensor_api.pyi"]
    missing = [n for n in _METHODS if f"    def {n}(" not in stub]
    assert not missing
