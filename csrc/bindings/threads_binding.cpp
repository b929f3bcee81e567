#include <pybind11/pybind11.h>

#include <string>

#include "kernels/gemm.h"
#include "kernels/gemm_blocking.h"
#include "kernels/parallel.h"

namespace axonal {
namespace py = pybind11;

void bind_threads(py::module_& m) {
    m.def("get_num_threads", &get_num_threads, "Number of threads the kernels use.");
    m.def(
        "set_num_threads",
        [](int n) {
            if (n < 1) throw py::value_error("[set_num_threads] n must be >= 1, got " + std::to_string(n));
            set_num_threads(n);
        },
        py::arg("n"));
    m.def("has_openmp", []() {
#ifdef AXONAL_OPENMP
        return true;
#else
        return false;
#endif
    });
    m.def("cpu_has_avx2_fma", &cpu_has_avx2_fma, "Whether this CPU (and build) can run the AVX2/FMA kernels.");
    m.def("avx2_enabled", &avx2_enabled,
          "Whether the AVX2/FMA kernels are in use: the CPU has them and AXONAL_DISABLE_AVX2 was not set at import.");
    m.def("gemm_kernel", []() { return std::string(gemm_kernel_name()); },
          "Which GEMM kernels this process uses: 'avx2' or 'generic'.");
}

}  // namespace axonal
