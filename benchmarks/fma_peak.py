"""Calibrates this machine's float32 FMA throughput: the ceiling a GEMM can approach.

A tiny C++ program is compiled at run time (g++ -O2 -mavx2 -mfma -fopenmp). Each thread runs
independent chains of 256-bit FMAs on registers only -- no loads, so memory plays no part -- with enough
chains (12) to cover the FMA latency times the number of FMA pipes on current x86 cores. The result is
2 * 8 * chains * iterations flops per thread over the slowest thread's time, best of several repeats.

    python benchmarks/fma_peak.py            # prints GFLOP/s for 1 and 2 threads
    python benchmarks/fma_peak.py --threads 4

If g++ is missing, or the CPU or compiler cannot do AVX2/FMA, it says so and reports nothing (None
from calibrate()); gemm_table.py then leaves the fraction-of-peak column empty.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

_SOURCE = r"""
#include <immintrin.h>
#include <omp.h>
#include <cstdio>
#include <cstdlib>

// 12 independent accumulators: FMA latency (4-5 cycles) x 2 FMA pipes needs >= 10 chains in flight.
static float chains(long iters, float seed) {
    __m256 a0 = _mm256_set1_ps(seed), a1 = _mm256_set1_ps(seed + 1), a2 = _mm256_set1_ps(seed + 2);
    __m256 a3 = _mm256_set1_ps(seed + 3), a4 = _mm256_set1_ps(seed + 4), a5 = _mm256_set1_ps(seed + 5);
    __m256 a6 = _mm256_set1_ps(seed + 6), a7 = _mm256_set1_ps(seed + 7), a8 = _mm256_set1_ps(seed + 8);
    __m256 a9 = _mm256_set1_ps(seed + 9), a10 = _mm256_set1_ps(seed + 10), a11 = _mm256_set1_ps(seed + 11);
    const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    for (long i = 0; i < iters; ++i) {
        a0 = _mm256_fmadd_ps(a0, m, c); a1 = _mm256_fmadd_ps(a1, m, c); a2 = _mm256_fmadd_ps(a2, m, c);
        a3 = _mm256_fmadd_ps(a3, m, c); a4 = _mm256_fmadd_ps(a4, m, c); a5 = _mm256_fmadd_ps(a5, m, c);
        a6 = _mm256_fmadd_ps(a6, m, c); a7 = _mm256_fmadd_ps(a7, m, c); a8 = _mm256_fmadd_ps(a8, m, c);
        a9 = _mm256_fmadd_ps(a9, m, c); a10 = _mm256_fmadd_ps(a10, m, c); a11 = _mm256_fmadd_ps(a11, m, c);
        // Keeps the compiler from folding or reordering the loop away.
        __asm__ volatile("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3), "+x"(a4), "+x"(a5));
        __asm__ volatile("" : "+x"(a6), "+x"(a7), "+x"(a8), "+x"(a9), "+x"(a10), "+x"(a11));
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0] + out[7];
}

int main(int argc, char** argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    long iters = argc > 2 ? atol(argv[2]) : 200000000L;
    int repeats = argc > 3 ? atoi(argv[3]) : 5;
    double best = 0.0;
    float sink = 0.0f;
    for (int r = 0; r < repeats; ++r) {
        double t0 = omp_get_wtime();
        #pragma omp parallel num_threads(threads) reduction(+ : sink)
        { sink += chains(iters, 1.0f + omp_get_thread_num()); }
        double dt = omp_get_wtime() - t0;
        double gflops = 2.0 * 8 * 12 * double(iters) * threads / dt * 1e-9;
        if (gflops > best) best = gflops;
    }
    printf("%.3f %g\n", best, double(sink));
    return 0;
}
"""

_cache = {}


def _build(workdir):
    cxx = shutil.which(os.environ.get("CXX", "g++")) or shutil.which("g++")
    if cxx is None:
        return None, "g++ not found"
    src = os.path.join(workdir, "fma_peak.cpp")
    exe = os.path.join(workdir, "fma_peak")
    with open(src, "w") as f:
        f.write(_SOURCE)
    proc = subprocess.run([cxx, "-O2", "-mavx2", "-mfma", "-fopenmp", src, "-o", exe],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return None, "compile failed: " + proc.stderr.strip().splitlines()[-1] if proc.stderr else "compile failed"
    return exe, None


def _cpu_has_avx2_fma():
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
        return " avx2" in flags and " fma" in flags
    except OSError:
        return True  # unknown: let the program try


def calibrate(threads_list=(1, 2), iters=100_000_000, repeats=5, verbose=False, fresh=False):
    """{threads: GFLOP/s} for float32 FMA on registers, or None (with a message on stderr) if it cannot run.

    Results are cached per process; fresh=True measures again (to check the machine stayed as fast)."""
    key = (tuple(threads_list), iters, repeats)
    if key in _cache and not fresh:
        return _cache[key]
    if not _cpu_has_avx2_fma():
        print("fma_peak: this CPU has no AVX2/FMA; no peak calibrated", file=sys.stderr)
        return None
    with tempfile.TemporaryDirectory(prefix="axonal_fma_") as tmp:
        exe, err = _build(tmp)
        if exe is None:
            print(f"fma_peak: {err}; no peak calibrated", file=sys.stderr)
            return None
        result = {}
        for t in threads_list:
            proc = subprocess.run([exe, str(t), str(iters), str(repeats)], capture_output=True, text=True)
            if proc.returncode != 0:
                print(f"fma_peak: run with {t} threads failed: {proc.stderr.strip()}", file=sys.stderr)
                return None
            result[t] = float(proc.stdout.split()[0])
            if verbose:
                print(f"{t} thread(s): {result[t]:8.1f} GFLOP/s float32 FMA peak")
    _cache[key] = result
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, nargs="*", default=[1, 2], help="thread counts (default 1 2)")
    p.add_argument("--iters", type=int, default=100_000_000, help="FMA iterations per chain per thread")
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    res = calibrate(tuple(args.threads), args.iters, args.repeats, verbose=True)
    return 0 if res is not None else 1


if __name__ == "__main__":
    sys.exit(main())
