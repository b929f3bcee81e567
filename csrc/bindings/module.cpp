// axonal._C: one bind_<family>() per file in this folder.
#include <pybind11/pybind11.h>

#include <string>

#include "kernels/cpu_isa.h"

namespace py = pybind11;

namespace axonal {
void bind_threads(py::module_& m);
void bind_gemm(py::module_& m);
void bind_conv(py::module_& m);
void bind_pool(py::module_& m);
void bind_optim(py::module_& m);
void bind_activation(py::module_& m);
void bind_norm(py::module_& m);
void bind_malloc_tuning(py::module_& m);
void bind_recurrent(py::module_& m);
void bind_embedding(py::module_& m);
void bind_aligned_array(py::module_& m);
void bind_special(py::module_& m);
}  // namespace axonal

PYBIND11_MODULE(_C, m) {
    m.doc() = "axonal C++ kernels (GEMM, conv2d, pooling, batch norm, fused activations and loss, optimizer updates); called from axonal.ops, not by users directly";
    axonal::bind_aligned_array(m);  // first: the others return arrays based on its class
    axonal::bind_threads(m);
    axonal::bind_gemm(m);
    axonal::bind_conv(m);
    axonal::bind_pool(m);
    axonal::bind_optim(m);
    axonal::bind_activation(m);
    axonal::bind_norm(m);
    axonal::bind_malloc_tuning(m);
    axonal::bind_special(m);
    axonal::bind_recurrent(m);
    axonal::bind_embedding(m);
    // An AXONAL_ISA the process could not honour: say so once, at import, instead of silently ignoring it.
    const std::string isa_warning = axonal::isa_env_warning();
    if (!isa_warning.empty() && PyErr_WarnEx(PyExc_RuntimeWarning, ("[cpu] " + isa_warning).c_str(), 1) < 0)
        throw py::error_already_set();
}
