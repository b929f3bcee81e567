"""What the benchmark tables share about their environment: NumPy's BLAS on its native kernel, and a report of it.

Some environments (this project's machines among them) set OPENBLAS_CORETYPE (e.g. Haswell) and
OPENBLAS_L2_SIZE, which pin NumPy's OpenBLAS to an older kernel: on an AVX-512 CPU the AVX2 one. A user's NumPy
runs its native kernel, so the tables compare against that: native_numpy() re-executes the script once with
both variables removed (OpenBLAS reads them when NumPy loads, so removing them later would not reach it).
Only OpenBLAS reads them; axonal and PyTorch run the same either way. --numpy-pinned keeps the environment.
Tests and CI never change these variables.
"""
import os
import sys

PINNING_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
_MARK = "AXONAL_BENCH_NATIVE_NUMPY"


def native_numpy(argv=None, extra_env=None):
    """Re-exec this script without PINNING_VARS (and with extra_env), once; returns the removed settings
    (from the original environment, passed on through the re-exec) so the table can print them."""
    removed = {v: os.environ[v] for v in PINNING_VARS if v in os.environ}
    extra_env = extra_env or {}
    if os.environ.get(_MARK) is not None:
        return dict(kv.split("=", 1) for kv in os.environ[_MARK].split(";") if kv)
    if not removed and all(os.environ.get(k) == v for k, v in extra_env.items()):
        return {}
    env = {k: v for k, v in os.environ.items() if k not in PINNING_VARS}
    env.update(extra_env)
    env[_MARK] = ";".join(f"{k}={v}" for k, v in removed.items())
    sys.stdout.flush()
    script = os.path.abspath(sys.argv[0])
    os.execve(sys.executable, [sys.executable, script, *(sys.argv[1:] if argv is None else argv)], env)
    return removed  # not reached


def blas_description():
    """One line: NumPy's BLAS library, version, kernel architecture and threads (threadpoolctl), or why not."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "NumPy BLAS: (threadpoolctl not installed: architecture unknown)"
    import numpy  # noqa: F401  (loads the BLAS so threadpoolctl sees it)

    blas = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    if not blas:
        return "NumPy BLAS: none found by threadpoolctl"
    return "NumPy BLAS: " + "; ".join(
        f"{p.get('internal_api')} {p.get('version')}, architecture {p.get('architecture')}, "
        f"{p.get('num_threads')} threads" for p in blas)


def pinning_note(removed):
    """The header line saying what native_numpy() removed."""
    if not removed:
        return "OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE not set: NumPy runs its native kernel"
    settings = ", ".join(f"{k}={v}" for k, v in removed.items())
    return f"removed {settings} for this run so NumPy runs its native kernel (--numpy-pinned keeps them)"
