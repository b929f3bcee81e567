"""The documentation site (mkdocs.yml, docs/) builds with `mkdocs build --strict` (a broken link, a missing
snippet or a docstring documenting a parameter that does not exist fails it), and has what it promises: the API
reference generated from the docstrings, the two commands and the quickstart, the benchmark plots, and a page for
every script in examples/. mkdocs-material and mkdocstrings are in the test extra."""
import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not (ROOT / "mkdocs.yml").exists():
        pytest.skip("needs the source tree (mkdocs.yml, docs/)")
    for module in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python"):
        pytest.importorskip(module, reason="the docs tools are in the test extra")
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
                          "-d", str(out)], cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, f"mkdocs build --strict failed:\n{run.stdout}\n{run.stderr}"
    return out


def text(site, page):
    raw = (site / page / "index.html").read_text()
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


def test_api_reference_comes_from_the_docstrings(site):
    nn = text(site, "api/nn")
    assert "the size of each input's last dimension." in nn  # Linear's Args, rendered as a parameter table
    assert "in_features" in nn and "CrossEntropyLoss" in nn and "load_state_dict" in nn
    tensor = text(site, "api/tensor")
    for name in ("zeros", "from_numpy", "randn", "from_dlpack", "requires_grad_"):
        assert name in tensor, name
    assert "A new Tensor of that shape." in tensor
    for page, names in {"api/optim": ("SGD", "Adam", "Nesterov momentum"), "api/data": ("DataLoader", "batch_size"),
                        "api/train": ("fit", "History", "EarlyStopping"), "api/utilities": ("save", "load",
                                                                                             "set_num_threads")}.items():
        body = text(site, page)
        assert all(n in body for n in names), (page, [n for n in names if n not in body])


def test_getting_started_has_the_two_commands_and_the_quickstart(site):
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```bash\n(.+?)\n```", readme)[:2]
    page = text(site, "getting-started")
    assert len(commands) == 2 and all(c in page for c in commands)  # the README's two commands, verbatim
    assert "import axonal as torch" in page and "def train(dataloader, model, loss_fn, optimizer):" in page


def test_benchmark_page_shows_tables_and_plots(site):
    raw = (site / "benchmarks" / "index.html").read_text()
    for image in ("speedup_vs_pytorch", "op_overhead", "ddp_efficiency"):
        assert f"img/{image}.png" in raw and (site / "img" / f"{image}.png").stat().st_size > 5000
    assert "0.917 test accuracy" in text(site, "benchmarks") and "gemm_table.py" in text(site, "benchmarks")


def test_every_example_has_a_page_with_its_code(site):
    scripts = sorted(p.stem for p in (ROOT / "examples").glob("*.py"))
    assert scripts
    for name in scripts:
        page = site / "examples" / name / "index.html"
        assert page.exists(), f"examples/{name}.py has no page: add docs/examples/{name}.md and a nav entry"
        source = (ROOT / "examples" / f"{name}.py").read_text()
        last_line = [line for line in source.splitlines() if line.strip()][-1].strip()
        assert last_line in text(site, f"examples/{name}"), name
