// The C library's allocator settings for training (glibc only; a no-op elsewhere).
//
// A training step allocates and frees the same large arrays every step (activations and gradients of
// several MB each). With glibc's defaults, blocks above the mmap threshold get their own mapping and
// go back to the kernel when freed, and a heap whose free top grows past the trim threshold is
// shrunk: either way the next step faults the pages in again and the kernel zeroes each one. Measured
// on the Fashion-MNIST CNN at batch 64: ~20% of a step's wall time went to page faults and clear_page.
// Raising both thresholds keeps those blocks in the heap for reuse, at the cost of the process holding
// on to up to 256 MB of freed memory. AXONAL_MALLOC_TUNING=0 (or any GLIBC_TUNABLES malloc setting,
// which this then leaves alone) keeps the defaults.
#include <pybind11/pybind11.h>

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace py = pybind11;

namespace axonal {

namespace {

bool malloc_tuning_wanted() {
    const char* flag = std::getenv("AXONAL_MALLOC_TUNING");
    if (flag && std::strcmp(flag, "0") == 0) return false;
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    return !(tunables && std::strstr(tunables, "glibc.malloc."));
}

// True when the settings were applied.
bool apply_malloc_tuning() {
#if defined(__GLIBC__)
    if (!malloc_tuning_wanted()) return false;
    // 32 MiB is the largest mmap threshold glibc accepts on 64-bit systems.
    return mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 256 << 20) == 1;
#else
    return false;
#endif
}

}  // namespace

void bind_malloc_tuning(py::module_& m) {
    m.attr("malloc_tuned") = apply_malloc_tuning();
}

}  // namespace axonal
