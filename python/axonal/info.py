"""``python -m axonal``: what this installation is and what it will run on.

Prints the version, the CPU instruction-set level the kernels use, the kernel threads, whether a CUDA device
can be used (and why not), and where Fashion-MNIST is looked for. ``report()`` returns the same as a dict.
"""
from __future__ import annotations

import sys
from typing import Any

from . import _C, cuda
from ._version import __version__
from .data.datasets import fashion


def _cpu_level() -> dict[str, Any]:
    """The ISA level in use, from ``axonal.cpu_info()`` where this build has it, else from the AVX2 probe."""
    import axonal

    cpu_info = getattr(axonal, "cpu_info", None) or getattr(_C, "cpu_info", None)
    if cpu_info is not None:
        info = dict(cpu_info())
        return {"isa": info.get("isa"), "cpu_isa": info.get("cpu_isa", info.get("isa"))}
    in_use = "avx2" if _C.avx2_enabled() else "generic"
    return {"isa": in_use, "cpu_isa": "avx2" if _C.cpu_has_avx2_fma() else "generic"}


def report() -> dict[str, Any]:
    """What ``python -m axonal`` prints, as a dict.

    Returns:
        version, python, isa (the level the kernels run at), cpu_isa (the widest this CPU and build have),
        gemm_kernel, threads, openmp, cuda_available, cuda_reason (None when available), cuda_device (its
        name), data_dirs (the Fashion-MNIST search order as (directory, exists) pairs) and data_found (the
        directory the files were found in, or None).
    """
    found = fashion.find_files("train")
    dirs = []
    for d in fashion.search_dirs():
        if d not in dirs:
            dirs.append(d)
    return {
        "version": __version__,
        "python": sys.version.split()[0],
        **_cpu_level(),
        "gemm_kernel": _C.gemm_kernel(),
        "threads": _C.get_num_threads(),
        "openmp": bool(_C.has_openmp()),
        "cuda_available": cuda.is_available(),
        "cuda_reason": cuda.unavailable_reason(),
        "cuda_device": cuda.get_device_name() if cuda.is_available() else None,
        "data_dirs": [(str(d), d.is_dir()) for d in dirs],
        "data_found": None if found is None else str(found[0].parent),
    }


def format_report(r: dict[str, Any]) -> str:
    """The report as the lines ``python -m axonal`` prints."""
    cpu = r["isa"] + ("" if r["cpu_isa"] == r["isa"] else f" (the CPU has {r['cpu_isa']})")
    cuda_line = f"available: {r['cuda_device']}" if r["cuda_available"] else f"not available: {r['cuda_reason']}"
    lines = [
        f"axonal {r['version']} (Python {r['python']})",
        f"CPU kernels: {cpu}, GEMM kernel {r['gemm_kernel']}",
        f"threads: {r['threads']}" + ("" if r["openmp"] else " (built without OpenMP)"),
        f"CUDA: {cuda_line}",
        "Fashion-MNIST is looked for in (in order):",
    ]
    lines += [f"  {d}{'' if exists else '  (absent)'}" for d, exists in r["data_dirs"]]
    lines.append(f"  found in: {r['data_found']}" if r["data_found"] else
                 "  not found: fashion_mnist() downloads it; fashion_mnist_sample() needs no files")
    return "\n".join(lines)


def main() -> int:
    print(format_report(report()))
    return 0
