// The one place that knows about OpenMP. Kernels call these helpers, never omp_* directly,
// so that a build without OpenMP still compiles (serially) with no #ifdefs elsewhere.
#pragma once
#include <atomic>
#include <cstdint>

#ifdef AXONAL_OPENMP
#include <omp.h>
#endif

namespace axonal {

#ifdef AXONAL_OPENMP
namespace detail {
// OpenMP's thread count is a per-thread setting (the nthreads ICV): omp_set_num_threads on the main thread
// does not reach a Python thread started later, which would run its kernels with OpenMP's default instead
// (found by tests/test_concurrency.py: two threads training after set_num_threads(1) differed in the last
// bits from the same training done in turn). set_num_threads is process-wide, as in PyTorch: it records the
// request under a new generation, and each thread applies the latest generation before its next kernel.
// Between requests a thread's own omp_set_num_threads (threadpoolctl's limit, for one) still holds.
inline std::atomic<int> requested_threads{0};
inline std::atomic<unsigned> requested_generation{0};
inline thread_local unsigned applied_generation = 0;

inline void apply_requested_threads() {
    const unsigned g = requested_generation.load(std::memory_order_acquire);
    if (g == applied_generation) return;
    applied_generation = g;
    omp_set_num_threads(requested_threads.load(std::memory_order_relaxed));
}
}  // namespace detail
#endif

inline int get_num_threads() {
#ifdef AXONAL_OPENMP
    detail::apply_requested_threads();
    return omp_get_max_threads();
#else
    return 1;
#endif
}

inline void set_num_threads(int n) {
#ifdef AXONAL_OPENMP
    detail::requested_threads.store(n < 1 ? 1 : n, std::memory_order_relaxed);
    detail::requested_generation.fetch_add(1, std::memory_order_release);
    detail::apply_requested_threads();
#else
    (void)n;
#endif
}

inline int thread_id() {
#ifdef AXONAL_OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

// Runs f(begin, end) on contiguous chunks of [0, n), one chunk per thread. Runs inline (no team)
// when the work is too small to pay for waking threads (n * cost_per_item below ~32k units) or
// when already inside a parallel region: axonal never nests OpenMP regions.
template <typename F>
void parallel_for(int64_t n, int64_t cost_per_item, F f) {
    if (n <= 0) return;
#ifdef AXONAL_OPENMP
    const int64_t min_work = 32768;
    int nthreads = get_num_threads();
    if (omp_in_parallel() || nthreads <= 1 || n == 1 || n * cost_per_item < min_work) {
        f(int64_t(0), n);
        return;
    }
    if (int64_t(nthreads) > n) nthreads = int(n);
#pragma omp parallel num_threads(nthreads)
    {
        int t = omp_get_thread_num();
        int nt = omp_get_num_threads();
        int64_t chunk = (n + nt - 1) / nt;
        int64_t b = int64_t(t) * chunk;
        int64_t e = b + chunk < n ? b + chunk : n;
        if (b < e) f(b, e);
    }
#else
    (void)cost_per_item;
    f(int64_t(0), n);
#endif
}

// Runs f(tid, nthreads) once on each of nthreads threads of one team (inline, as f(0, 1), when
// nthreads <= 1 or already inside a parallel region). For kernels that keep shared state across phases
// and synchronise with team_barrier() instead of paying a fork/join per phase.
template <typename F>
void parallel_team(int nthreads, F f) {
#ifdef AXONAL_OPENMP
    if (nthreads > 1 && !omp_in_parallel()) {
#pragma omp parallel num_threads(nthreads)
        f(omp_get_thread_num(), omp_get_num_threads());
        return;
    }
#endif
    (void)nthreads;
    f(0, 1);
}

// Barrier for the team of parallel_team(); pass the nthreads f was given. A no-op for one thread, so a
// kernel running inline inside someone else's region never joins that region's barrier.
inline void team_barrier(int nthreads) {
#ifdef AXONAL_OPENMP
    if (nthreads > 1) {
#pragma omp barrier
    }
#else
    (void)nthreads;
#endif
}

}  // namespace axonal
