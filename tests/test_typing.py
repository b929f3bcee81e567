"""mypy over examples/ (the scripts a user copies) against axonal's annotations, in one mypy run with a snippet
of API misuse that must be flagged: a check that passes because everything is Any would let those through.
The configuration is pyproject.toml's [tool.mypy]; mypy is in the test extra."""
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import axonal

ROOT = Path(__file__).resolve().parents[1]

# Each line marked "# E" must get a mypy error; the reveal_type lines must show these types.
MISUSE = textwrap.dedent("""
    import axonal as ax
    from axonal import nn, optim
    from axonal.data import DataLoader, TensorDataset

    t = ax.zeros(2, 3)
    t.sume()  # E
    nn.Linear("784", 10)  # E
    model = nn.Sequential(nn.Linear(4, 2))
    optim.SGD(model.parameters(), lr="fast")  # E
    ax.save(model.state_dict(), 42)  # E
    ax.manual_seed("zero")  # E
    ax.set_num_threads(2.5)  # E
    ax.train.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()), [], epochs="3")  # E
    n: int = t.shape  # E
    reveal_type(t.sum(1, keepdim=True))
    reveal_type(t.shape)
    reveal_type(t.size(0))
    reveal_type(t.max(dim=1).indices)
    reveal_type((t @ t.T + 1).relu_())
    reveal_type(ax.from_dlpack(t).numpy())
    reveal_type(model.parameters())
    reveal_type(ax.train.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), [], epochs=1))
    reveal_type(DataLoader(TensorDataset(t, t), batch_size=2))
""")
REVEALED = ["axonal.tensor.Tensor", "axonal.tensor_methods.Size", "int", "axonal.tensor.Tensor",
            "axonal.tensor.Tensor", "numpy.ndarray", "Iterator[axonal.nn.parameter.Parameter]",
            "axonal.train.history.History", "axonal.data.loader.DataLoader"]


@pytest.fixture(scope="module")
def mypy_output(tmp_path_factory):
    pytest.importorskip("mypy", reason="mypy is in the test extra")
    snippet = tmp_path_factory.mktemp("typing") / "misuse.py"
    snippet.write_text(MISUSE)
    env = dict(os.environ)
    package_parent = Path(axonal.__file__).resolve().parents[1]
    if package_parent == ROOT / "python":  # the source tree (PYTHONPATH=python): mypy reads MYPYPATH, not that
        env["MYPYPATH"] = str(package_parent)
    cache = tmp_path_factory.mktemp("mypy-cache")
    out = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(cache), "--no-error-summary",
                          "--hide-error-context", "examples", str(snippet)],
                         cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
    return out, snippet


def test_examples_type_check(mypy_output):
    out, snippet = mypy_output
    example_lines = [line for line in out.stdout.splitlines() if line.startswith("examples")]
    assert not example_lines, "\n".join(example_lines)
    assert out.returncode in (0, 1), out.stderr  # 1: the snippet's errors; 2 would be a crash or bad config


def test_misuse_is_flagged(mypy_output):
    out, snippet = mypy_output
    mine = [line for line in out.stdout.splitlines() if line.startswith(str(snippet))]
    errors = {int(line.split(":")[1]) for line in mine if ": error:" in line}
    expected = {i for i, line in enumerate(MISUSE.splitlines(), 1) if line.endswith("# E")}
    assert errors == expected, "\n".join(mine)
    revealed = [re.search(r'Revealed type is "([^"]+)"', line).group(1) for line in mine if "Revealed type" in line]
    assert len(revealed) == len(REVEALED), revealed
    for got, want in zip(revealed, REVEALED):
        got = re.sub(r"\b(builtins|typing|collections\.abc)\.", "", got)  # spelled differently by mypy versions
        assert got.startswith(want), (got, want)
