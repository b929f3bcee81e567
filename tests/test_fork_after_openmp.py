"""A child forked after the kernels ran on several threads does not hang (it runs its kernels on one thread),
with os.fork and with multiprocessing's fork and spawn start methods."""
import multiprocessing as mp
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = textwrap.dedent("""
    import multiprocessing as mp, os, sys
    import numpy as np
    import axonal as ax

    def work(_=None):
        a = ax.tensor(np.ones((256, 256), np.float32))
        return float((a @ a).sum().item())

    if __name__ == "__main__":
        ax.set_num_threads(2)
        work()                      # the parent's OpenMP team now exists
        method = sys.argv[1]
        if method == "os.fork":
            pid = os.fork()
            if pid == 0:
                ok = work() == 256.0 ** 3 and ax.get_num_threads() == 1
                os._exit(0 if ok else 3)
            _, status = os.waitpid(pid, 0)
            assert os.WEXITSTATUS(status) == 0, status
        else:
            with mp.get_context(method).Pool(2) as pool:
                assert pool.map(work, range(4)) == [256.0 ** 3] * 4
        print("OK", method)
""")


@pytest.mark.parametrize("method", ["os.fork", "fork", "spawn"])
def test_child_after_openmp_does_not_hang(tmp_path, method):
    if method != "spawn" and not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    script = tmp_path / "fork_check.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python") + os.pathsep + os.environ.get("PYTHONPATH", ""),
               OMP_NUM_THREADS="2")
    result = subprocess.run([sys.executable, str(script), method], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and f"OK {method}" in result.stdout, result.stdout + result.stderr


def test_fork_handler_is_registered():
    assert hasattr(os, "register_at_fork") or mp.get_start_method() != "fork"
