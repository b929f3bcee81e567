"""Calibrates this machine's float32 FMA throughput at every vector level it has: the ceiling a GEMM can approach.

A tiny C++ program is compiled at run time (g++ -O2 -fopenmp; each level's loop carries its own target
attribute, so one build serves every CPU). Each thread runs independent chains of FMAs on registers only --
no loads, so memory plays no part -- with enough chains to cover the FMA latency times the number of FMA
pipes: 16 chains of 512-bit FMAs (avx512), 12 of 256-bit FMAs (avx2: 16 ymm registers), 12 of 128-bit
multiply + add pairs (generic: the SSE2 baseline, which has no FMA). The result is the flops of all chains
over the slowest thread's time, best of several repeats.

    python benchmarks/fma_peak.py                 # every level the CPU has, 1 and 2 threads
    python benchmarks/fma_peak.py --threads 4 --levels avx512

calibrate() returns the widest level's peak ({threads: GFLOP/s}), which gemm_table.py and conv_pool_table.py
use for their fraction-of-peak columns; calibrate_levels() returns every level. On a CPU whose 512-bit
FMAs issue at half the rate of its 256-bit ones per lane (AMD Zen 4 runs them as two halves), avx512 and avx2
give the same peak. If g++ is missing or the CPU has no AVX2/FMA, it says so and reports nothing for the
vector levels (None from calibrate()); the tables then leave the fraction-of-peak column empty.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

LEVELS = ("avx512", "avx2", "generic")

_SOURCE = r"""
#include <immintrin.h>
#include <omp.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#define KEEP(x) __asm__ volatile("" : "+v"(x))
// Named variables, not arrays: an array of vectors stayed in memory at -O2 (a load and a store per FMA).
#define DECL(V, SET, i) V a##i = SET(seed + i);
#define STEP(FMA, i) a##i = FMA(a##i, m, c); KEEP(a##i);
#define R12(X, ...) X(__VA_ARGS__, 0) X(__VA_ARGS__, 1) X(__VA_ARGS__, 2) X(__VA_ARGS__, 3) X(__VA_ARGS__, 4) \
    X(__VA_ARGS__, 5) X(__VA_ARGS__, 6) X(__VA_ARGS__, 7) X(__VA_ARGS__, 8) X(__VA_ARGS__, 9) X(__VA_ARGS__, 10) \
    X(__VA_ARGS__, 11)
#define R16(X, ...) R12(X, __VA_ARGS__) X(__VA_ARGS__, 12) X(__VA_ARGS__, 13) X(__VA_ARGS__, 14) X(__VA_ARGS__, 15)

// 16 chains of 512-bit FMAs: latency 4 x 2 pipes needs 8 in flight; 16 leave room for slower cores.
__attribute__((target("avx512f"))) static float chains512(long iters, float seed) {
    R16(DECL, __m512, _mm512_set1_ps)
    const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
    for (long it = 0; it < iters; ++it) {
        R16(STEP, _mm512_fmadd_ps)
    }
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                             _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)),
                                       _mm512_add_ps(_mm512_add_ps(a12, a13), _mm512_add_ps(a14, a15))));
    return _mm512_reduce_add_ps(s);
}

// 12 chains of 256-bit FMAs (16 ymm registers without AVX-512).
__attribute__((target("avx2,fma"))) static float chains256(long iters, float seed) {
    R12(DECL, __m256, _mm256_set1_ps)
    const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    for (long it = 0; it < iters; ++it) {
        R12(STEP, _mm256_fmadd_ps)
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0] + out[7];
}

// The baseline: 12 chains of 128-bit multiply + add (SSE2 has no FMA; 2 flops per lane per pair).
static inline __m128 muladd(__m128 a, __m128 m, __m128 c) { return _mm_add_ps(_mm_mul_ps(a, m), c); }
static float chains128(long iters, float seed) {
    R12(DECL, __m128, _mm_set1_ps)
    const __m128 m = _mm_set1_ps(0.999999f), c = _mm_set1_ps(1e-7f);
    for (long it = 0; it < iters; ++it) {
        R12(STEP, muladd)
    }
    __m128 s = _mm_add_ps(_mm_add_ps(_mm_add_ps(a0, a1), _mm_add_ps(a2, a3)),
                          _mm_add_ps(_mm_add_ps(a4, a5), _mm_add_ps(a6, a7)));
    s = _mm_add_ps(s, _mm_add_ps(_mm_add_ps(a8, a9), _mm_add_ps(a10, a11)));
    float out[4];
    _mm_storeu_ps(out, s);
    return out[0] + out[3];
}

int main(int argc, char** argv) {
    const char* level = argv[1];
    int threads = atoi(argv[2]);
    long iters = atol(argv[3]);
    int repeats = atoi(argv[4]);
    const bool z = !strcmp(level, "avx512"), y = !strcmp(level, "avx2");
    const double flops_per_iter = z ? 2.0 * 16 * 16 : y ? 2.0 * 8 * 12 : 2.0 * 4 * 12;
    double best = 0.0;
    float sink = 0.0f;
    for (int r = 0; r < repeats; ++r) {
        double t0 = omp_get_wtime();
        #pragma omp parallel num_threads(threads) reduction(+ : sink)
        {
            const float seed = 1.0f + omp_get_thread_num();
            sink += z ? chains512(iters, seed) : y ? chains256(iters, seed) : chains128(iters, seed);
        }
        double dt = omp_get_wtime() - t0;
        double gflops = flops_per_iter * double(iters) * threads / dt * 1e-9;
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
    proc = subprocess.run([cxx, "-O2", "-fopenmp", src, "-o", exe], capture_output=True, text=True)
    if proc.returncode != 0:
        return None, "compile failed: " + proc.stderr.strip().splitlines()[-1] if proc.stderr else "compile failed"
    return exe, None


def cpu_levels():
    """The vector levels of this CPU, widest first, from /proc/cpuinfo (x86-64 Linux); ('generic',) elsewhere."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = set(next((line for line in f if line.startswith("flags")), "").split())
    except OSError:
        return ("generic",)
    levels = []
    if {"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx2", "fma"} <= flags:
        levels.append("avx512")
    if {"avx2", "fma"} <= flags:
        levels.append("avx2")
    if "sse2" in flags:
        levels.append("generic")
    return tuple(levels)


def calibrate_levels(threads_list=(1, 2), iters=100_000_000, repeats=5, verbose=False, fresh=False, levels=None):
    """{level: {threads: GFLOP/s}} for every level this CPU has (or those asked for), widest first; None (with a
    message on stderr) when nothing can run. Cached per process; fresh=True measures again."""
    have = cpu_levels()
    wanted = [lv for lv in (levels or have) if lv in have]
    key = (tuple(threads_list), iters, repeats, tuple(wanted))
    if key in _cache and not fresh:
        return _cache[key]
    if not wanted:
        print("fma_peak: this CPU has none of the levels asked for; no peak calibrated", file=sys.stderr)
        return None
    with tempfile.TemporaryDirectory(prefix="axonal_fma_") as tmp:
        exe, err = _build(tmp)
        if exe is None:
            print(f"fma_peak: {err}; no peak calibrated", file=sys.stderr)
            return None
        result = {}
        for level in wanted:
            # The baseline's multiply + add chains are slow; fewer iterations keep its run short.
            n = iters // 4 if level == "generic" else iters
            result[level] = {}
            for t in threads_list:
                proc = subprocess.run([exe, level, str(t), str(n), str(repeats)], capture_output=True, text=True)
                if proc.returncode != 0:
                    print(f"fma_peak: {level} with {t} threads failed: {proc.stderr.strip()}", file=sys.stderr)
                    return None
                result[level][t] = float(proc.stdout.split()[0])
                if verbose:
                    print(f"{level:8s} {t} thread(s): {result[level][t]:8.1f} GFLOP/s float32 peak")
    _cache[key] = result
    return result


def widest_level():
    """The widest vector level of this CPU with an FMA ('avx512' or 'avx2'), or None."""
    return next((lv for lv in cpu_levels() if lv != "generic"), None)


def calibrate(threads_list=(1, 2), iters=100_000_000, repeats=5, verbose=False, fresh=False):
    """{threads: GFLOP/s} of the widest FMA level this CPU has, or None (with a message on stderr)."""
    level = widest_level()
    if level is None:
        print("fma_peak: this CPU has no AVX2/FMA; no peak calibrated", file=sys.stderr)
        return None
    res = calibrate_levels(threads_list, iters, repeats, verbose, fresh, levels=(level,))
    return res[level] if res else None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, nargs="*", default=[1, 2], help="thread counts (default 1 2)")
    p.add_argument("--levels", nargs="*", choices=LEVELS, help="levels to measure (default: all the CPU has)")
    p.add_argument("--iters", type=int, default=100_000_000, help="FMA iterations per chain per thread")
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    print(f"vector levels of this CPU: {', '.join(cpu_levels())} (widest with FMA: {widest_level()})")
    res = calibrate_levels(tuple(args.threads), args.iters, args.repeats, verbose=True, levels=args.levels)
    return 0 if res else 1


if __name__ == "__main__":
    sys.exit(main())
