// Binding for kernels/embedding: embedding_backward(grad_out (n, D), indices (n,) int64, num_embeddings,
// padding_idx) -> grad_weight (V, D), zero-initialised then scatter-added. Checks types, shapes, contiguity and
// that every index lies in [0, V), so a bad call raises "[embedding] ..." instead of writing out of bounds.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "bindings/aligned_array.h"
#include "bindings/checks.h"
#include "bindings/def_op.h"
#include "kernels/embedding.h"

namespace axonal {
namespace {

const std::string kOp = "embedding";

py::array embedding_backward_py(py::object grad_obj, py::object idx_obj, int64_t num_embeddings, int64_t padding_idx,
                                bool reference) {
    if (!py::isinstance<py::array>(grad_obj) || !py::isinstance<py::array>(idx_obj))
        fail_type(kOp, "grad_out and indices must be numpy.ndarrays");
    py::array grad = py::reinterpret_borrow<py::array>(grad_obj);
    py::array idx = py::reinterpret_borrow<py::array>(idx_obj);
    DType dt = float_dtype(kOp, "grad_out", grad);
    require_ndim(kOp, "grad_out", grad, 2);
    require_c_contiguous(kOp, "grad_out", grad);
    if (!idx.dtype().is(py::dtype::of<int64_t>()))
        fail_type(kOp, "indices must be int64, got ", std::string(py::str(idx.dtype())));
    require_ndim(kOp, "indices", idx, 1);
    require_c_contiguous(kOp, "indices", idx);
    const int64_t n = grad.shape(0), D = grad.shape(1);
    if (idx.shape(0) != n)
        fail_value(kOp, "indices has shape ", shape_str(idx), " but grad_out has ", n, " rows ", shape_str(grad));
    if (num_embeddings < 1) fail_value(kOp, "num_embeddings must be >= 1, got ", num_embeddings);
    const int64_t* ip = static_cast<const int64_t*>(idx.data());
    for (int64_t i = 0; i < n; ++i)
        if (ip[i] < 0 || ip[i] >= num_embeddings)
            fail_value(kOp, "index ", ip[i], " is out of range for ", num_embeddings, " embeddings");
    py::array gw = aligned_zeros(kOp, grad.dtype(), {num_embeddings, D});
    auto run = [&](auto tag) {
        using T = decltype(tag);
        T* w = data_ptr<T>(gw);
        const T* g = cdata_ptr<T>(grad);
        py::gil_scoped_release release;
        if (reference)
            embedding_backward_reference<T>(w, g, ip, n, D, padding_idx);
        else
            embedding_backward<T>(w, g, ip, n, D, padding_idx);
    };
    with_dtype(dt, run);
    return gw;
}

}  // namespace

void bind_embedding(py::module_& m) {
    def_op(m, "embedding_backward", kOp, &embedding_backward_py, py::arg("grad_out"), py::arg("indices"),
           py::arg("num_embeddings"), py::arg("padding_idx") = -1, py::arg("reference") = false,
           "Gradient of an embedding lookup: (num_embeddings, D) zeros with grad_out's rows (n, D) added at the int64 "
           "indices (n,), skipping padding_idx (-1: none).");
}

}  // namespace axonal
