#include <pybind11/pybind11.h>

#include <string>

#include "bindings/def_op.h"
#include "kernels/gemm.h"
#include "kernels/gemm_blocking.h"
#include "kernels/parallel.h"

namespace axonal {
namespace py = pybind11;

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
           "Which GEMM kernels this process uses: 'avx2' or 'generic'.");
}

}  // namespace axonal
