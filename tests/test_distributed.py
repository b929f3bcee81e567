"""axonal.distributed, DistributedDataParallel, SyncBatchNorm and fit on two MPI ranks.

Each test runs one scenario of distributed_worker.py under ``mpiexec -n 2`` (mpi4py and the mpich wheel, from
the ``test`` extra) with a timeout: a hang fails the test, and the whole process group of the job is killed.
Without mpi4py or mpiexec the MPI tests skip; the sampler and import tests need neither.
"""
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import axonal as ax

HERE = Path(__file__).resolve().parent
WORKER = HERE / "distributed_worker.py"
PACKAGE_PARENT = str(Path(ax.__file__).resolve().parents[1])


def _mpiexec():
    beside_python = Path(sys.executable).parent / "mpiexec"  # the mpich wheel installs it into the venv
    return str(beside_python) if beside_python.exists() else shutil.which("mpiexec")


def _env(threads="1"):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [PACKAGE_PARENT, os.environ.get("PYTHONPATH")]))}
    env.pop("OMP_NUM_THREADS", None)
    if threads is not None:
        env["OMP_NUM_THREADS"] = threads  # two ranks on a small machine: one kernel thread each
    return env


def run_job(args, timeout, env, cwd=None):
    """(returncode, output): runs a command in its own session and kills the session if it overruns."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=cwd,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # mpiexec and every rank it started
        out, _ = proc.communicate()
        pytest.fail(f"{' '.join(map(str, args))} did not end within {timeout} s (a hang?); output:\n{out}")
    return proc.returncode, out


def run_ranks(scenario, folder, ranks=2, timeout=90, threads="1"):
    mpiexec = _mpiexec()
    if mpiexec is None:
        pytest.skip("mpiexec not found: pip install mpich (the 'test' extra brings it)")
    pytest.importorskip("mpi4py")
    return run_job([mpiexec, "-n", str(ranks), sys.executable, str(WORKER), scenario, str(folder)], timeout,
                   _env(threads))


def assert_ok(scenario, rc, out, ranks=2):
    assert rc == 0, out
    for r in range(ranks):
        assert f"rank {r}: {scenario} ok" in out, out


@pytest.mark.parametrize("scenario", ["collectives", "ddp_equivalence", "no_sync", "buffers", "ddp_mismatch", "ddp_unused",
                                      "ddp_device", "sync_batchnorm", "fit"])
def test_two_ranks(scenario, tmp_path):
    if scenario == "ddp_device" and not ax.cuda.is_available():
        pytest.skip(f"no cuda device, real or emulated: {ax.cuda.unavailable_reason()}")
    rc, out = run_ranks(scenario, tmp_path)
    assert_ok(scenario, rc, out)


def test_thread_default_divides_the_cores_among_local_ranks(tmp_path):
    rc, out = run_ranks("collectives", tmp_path, threads=None)  # asserts cores // 2 threads without OMP_NUM_THREADS
    assert_ok("collectives", rc, out)


def test_a_rank_that_raises_ends_the_job_naming_it(tmp_path):
    rc, out = run_ranks("raise", tmp_path, timeout=60)
    assert rc != 0, out
    assert "deliberate failure on rank 1" in out, out
    assert "rank 1 of 2 raised RuntimeError" in out, out
    assert "rank 0 was not stopped" not in out, out


def test_one_process_without_mpiexec_is_a_job_of_one_rank(tmp_path):
    pytest.importorskip("mpi4py")
    rc, out = run_job([sys.executable, str(WORKER), "singleton", str(tmp_path)], 60, _env())
    assert_ok("singleton", rc, out, ranks=1)


def test_importing_axonal_never_needs_mpi():
    code = (
        "import sys; sys.modules['mpi4py'] = None\n"  # as if mpi4py were not installed
        "import axonal as ax\n"
        "from axonal.nn.parallel import DistributedDataParallel\n"
        "import axonal.distributed as dist\n"
        "assert not dist.is_initialized() and 'mpi4py' in sys.modules and sys.modules['mpi4py'] is None\n"
        "assert len(ax.data.DistributedSampler(range(5), num_replicas=2, rank=1)) == 3\n"
        "try:\n    dist.init_process_group('mpi')\nexcept ImportError as e:\n    print('ImportError:', e)\n"
        "try:\n    DistributedDataParallel(ax.nn.Linear(2, 2))\nexcept RuntimeError as e:\n    print('RuntimeError:', e)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=_env())
    assert result.returncode == 0, result.stderr
    assert "ImportError: [init_process_group]" in result.stdout and "pip install 'axonal[mpi]'" in result.stdout
    assert "RuntimeError: [DistributedDataParallel] the default process group is not initialized" in result.stdout


def test_the_ddp_example_trains_on_two_ranks(tmp_path):
    script = HERE.parent / "examples" / "ddp_fashion_mnist.py"
    if not script.exists():
        pytest.skip("examples/ not present (installed package only)")
    mpiexec = _mpiexec()
    if mpiexec is None:
        pytest.skip("mpiexec not found: pip install mpich (the 'test' extra brings it)")
    pytest.importorskip("mpi4py")
    rc, out = run_job([mpiexec, "-n", "2", sys.executable, str(script), "--sample", "--epochs", "1"], 300, _env(),
                      cwd=tmp_path)
    assert rc == 0, out
    assert "2 rank(s) x 1 thread(s)" in out, out
    accuracy = float(out.split("test accuracy: ")[1].split()[0])
    assert accuracy > 0.6, out  # one epoch on the 5 000-image sample: well above chance (0.1)
    assert out.count("test accuracy: ") == 1, "only rank 0 reports"
    assert (tmp_path / "ddp_cnn.safetensors").exists()
