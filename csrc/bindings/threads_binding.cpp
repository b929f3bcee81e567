// Threads and the CPU level: set/get_num_threads, cpu_info() (the ISA level in use and the CPU's, the
// GEMM kernel and tile) and the older single-purpose queries kept for callers that use them.
#include <pybind11/pybind11.h>

#include <string>

#include "bindings/def_op.h"
#include "kernels/gemm.h"
#include "kernels/cpu_isa.h"
#include "kernels/gemm_blocking.h"
#include "kernels/parallel.h"

namespace axonal {
namespace py = pybind11;

namespace {

py::dict cpu_info_dict() {
    py::dict d;
    d["isa"] = isa_name(isa_level());
    d["cpu_isa"] = isa_name(cpu_isa());
    py::list levels;
    for (int l = 0; l <= int(cpu_isa()); ++l) levels.append(isa_name(Isa(l)));
    d["isa_levels"] = levels;
    d["isa_forced"] = isa_level() != cpu_isa();
    d["threads"] = get_num_threads();
#ifdef AXONAL_OPENMP
    d["openmp"] = true;
#else
    d["openmp"] = false;
#endif
    d["gemm_kernel"] = gemm_kernel_name();
    py::dict tile;
    int mr = 0, nr = 0;
    gemm_tile(false, &mr, &nr);
    tile["float32"] = py::make_tuple(mr, nr);
    gemm_tile(true, &mr, &nr);
    tile["float64"] = py::make_tuple(mr, nr);
    d["gemm_tile"] = tile;
    return d;
}

}  // namespace

void bind_threads(py::module_& m) {
    def_op(m, "get_num_threads", "get_num_threads", &get_num_threads, "Number of threads the kernels use.");
    def_op(
        m, "set_num_threads", "set_num_threads",
        [](int n) {
            if (n < 1) throw py::value_error("[set_num_threads] n must be >= 1, got " + std::to_string(n));
            set_num_threads(n);
        },
        py::arg("n"));
    def_op(m, "has_openmp", "has_openmp", []() {
#ifdef AXONAL_OPENMP
        return true;
#else
        return false;
#endif
    });
    def_op(m, "cpu_has_avx2_fma", "cpu_has_avx2_fma", &cpu_has_avx2_fma,
           "Whether this CPU (and build) can run the AVX2/FMA kernels.");
    def_op(m, "avx2_enabled", "avx2_enabled", &avx2_enabled,
           "Whether the AVX2/FMA kernels are in use: the CPU has them and AXONAL_DISABLE_AVX2 was not set at import.");
    def_op(m, "gemm_kernel", "gemm_kernel", []() { return std::string(gemm_kernel_name()); },
           "Which GEMM kernels this process uses: 'avx512', 'avx2' or 'generic'.");
    def_op(m, "cpu_has_avx512", "cpu_has_avx512", &cpu_has_avx512,
           "Whether this CPU (and build) can run the AVX-512 (F/BW/DQ/VL) kernels.");
    def_op(m, "isa_level", "isa_level", []() { return std::string(isa_name(isa_level())); },
           "The instruction-set level the kernels run at: 'avx512', 'avx2' or 'generic' (AXONAL_ISA forces a lower one).");
    def_op(m, "cpu_info", "cpu_info", &cpu_info_dict,
           "A dict: 'isa' (the level in use), 'cpu_isa' (the widest the CPU and build have), 'isa_levels' (every level "
           "this process could be forced to with AXONAL_ISA), 'isa_forced' (AXONAL_ISA / AXONAL_DISABLE_AVX2 lowered "
           "it), 'threads', 'openmp', 'gemm_kernel', 'gemm_tile' {'float32': (MR, NR), 'float64': (MR, NR)}.");
}

}  // namespace axonal
